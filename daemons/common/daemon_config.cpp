#include "daemon_config.hpp"

#include <mailstore/log.hpp>

#include <cstdio>

namespace loft {

std::optional<mailstore::config::Config> load_daemon_config(const std::string& path, std::string_view service,
                                                            std::string_view program) {
    auto config = mailstore::config::Config::load_file(path);
    if (!config) {
        std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(),
                     config.status().message().c_str());
        return std::nullopt;
    }
    if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(*config, std::string(service)));
        !st) {
        std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(), st.message().c_str());
        return std::nullopt;
    }
    if (path.rfind("/proc/self/fd/", 0) != 0) {
        mailstore::log::Logger log(service);
        for (const auto& w : config->warnings())
            log.warningf("{}: {}", w.where.to_string(), w.message);
    }
    return std::move(*config);
}

} // namespace loft
