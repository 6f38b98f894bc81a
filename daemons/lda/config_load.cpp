#include "config_load.hpp"

#include <cstdlib>
#include <filesystem>
#include <loft_build_config.hpp>
#include <sys/stat.h>

namespace lda {

namespace {

bool valid_key(std::string_view key) {
    if (key.empty() || key.front() == '/' || key.back() == '/')
        return false;
    for (char c : key)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/'))
            return false;
    return key.find("//") == std::string_view::npos;
}

} // namespace

std::string config_path(const std::string& cli) {
    if (!cli.empty())
        return cli;
    if (const char* env = std::getenv("LOFT_CONFIG"); env != nullptr && *env != '\0')
        return env;
    std::string installed = std::string(LOFT_SYSCONFDIR) + "/loft.conf";
    struct stat st {};
    if (::stat(installed.c_str(), &st) == 0)
        return installed;
    return "";
}

mailstore::Result<mailstore::config::Config> load_config(const std::string& path,
                                                         const std::vector<std::string>& overrides) {
    namespace cfg = mailstore::config;
    if (overrides.empty())
        return path.empty() ? mailstore::Result<cfg::Config>(cfg::Config::defaults()) : cfg::Config::load_file(path);

    // The overrides are appended to the file as settings written after it:
    // the last value of a key wins, as in Dovecot's config files.
    std::string text;
    std::string base_dir = ".";
    if (!path.empty()) {
        std::error_code ec;
        std::filesystem::path abs = std::filesystem::absolute(path, ec);
        if (ec)
            return mailstore::Status::not_found(path + ": cannot read config file: " + ec.message());
        struct stat st {};
        if (::stat(abs.c_str(), &st) != 0)
            return cfg::Config::load_file(path); // its "cannot read" message
        text = "!include " + cfg::format_value(abs.string()) + "\n";
        base_dir = abs.parent_path().string();
    }
    for (const auto& o : overrides) {
        auto eq = o.find('=');
        std::string key = o.substr(0, eq);
        if (eq == std::string::npos || !valid_key(key))
            return mailstore::Status::invalid("-o " + o + ": expected key=value");
        std::string value = cfg::format_value(std::string_view(o).substr(eq + 1));
        std::string closing;
        std::string_view rest = key;
        for (auto slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/')) {
            text += std::string(rest.substr(0, slash)) + " {\n";
            closing += "}\n";
            rest.remove_prefix(slash + 1);
        }
        text += std::string(rest) + " = " + value + "\n" + closing;
    }
    return cfg::Config::load_string(text, path.empty() ? "-o" : path, base_dir);
}

} // namespace lda
