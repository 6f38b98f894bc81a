#include "config_source.hpp"

#include "demo_user.hpp"
#include "service_plan.hpp"

#include <loft_build_config.hpp>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;
namespace cfg = mailstore::config;

ConfigSource ConfigSource::resolve(const std::optional<std::string>& cli_path) {
    if (cli_path)
        return ConfigSource(std::filesystem::absolute(*cli_path).lexically_normal().string());
    if (const char* env = std::getenv("LOFT_CONFIG"); env && *env)
        return ConfigSource(std::filesystem::absolute(env).lexically_normal().string());
    std::string system = std::string(LOFT_SYSCONFDIR) + "/loft.conf";
    struct stat st {};
    if (stat(system.c_str(), &st) == 0)
        return ConfigSource(system);
    return ConfigSource("");
}

std::string ConfigSource::describe() const {
    return is_builtin() ? "the built-in default" : path_;
}

Result<std::string> ConfigSource::base_dir() const {
    if (is_builtin())
        return default_var_dir() + "/run";
    auto config = cfg::Config::load_file(path_);
    if (!config)
        return config.status();
    std::string dir = global_setting(*config, "base_dir", "/run/loft");
    return std::filesystem::absolute(dir).lexically_normal().string();
}

Result<LoadedConfig> ConfigSource::load() const {
    if (!is_builtin()) {
        auto config = cfg::Config::load_file(path_);
        if (!config)
            return config.status();
        return LoadedConfig{*config, std::nullopt};
    }
    auto setup = prepare_builtin_default(default_var_dir());
    if (!setup)
        return setup.status();
    // The text goes to a file like any config (no secrets in it: the key is
    // a `<file`), so `loftconf -c` can show it and an admin can copy it.
    std::string path = setup->options.var_dir + "/run/loft-builtin.conf";
    if (Status st = write_file_atomically(path, setup->config_text, 0644); !st)
        return st;
    auto config = cfg::Config::load_file(path);
    if (!config)
        return Status::error(Status::Code::internal,
                             "the built-in default does not load (a bug): " + config.status().message());
    return LoadedConfig{*config, std::move(*setup)};
}

} // namespace loftd
