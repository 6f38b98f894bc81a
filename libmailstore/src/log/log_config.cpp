// Reading the logging settings from a Config: kept apart from log.cpp so the
// logger works in programs (and tests) that never load a config.
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

namespace mailstore::log {

LogSettings settings_from_config(const config::Config& config, std::string_view protocol) {
    config::LookupContext ctx;
    ctx.protocol = std::string(protocol);
    LogSettings s;
    s.set_log_path(config.get("log_path", ctx))
        .set_info_log_path(config.get("info_log_path", ctx))
        .set_debug_log_path(config.get("debug_log_path", ctx))
        .set_log_timestamp(config.get("log_timestamp", ctx))
        .set_syslog_facility(config.get("syslog_facility", ctx))
        .set_auth_verbose(config.get_bool("auth_verbose", ctx))
        .set_auth_debug(config.get_bool("auth_debug", ctx))
        .set_mail_debug(config.get_bool("mail_debug", ctx))
        .set_verbose_proctitle(config.get_bool("verbose_proctitle", ctx));
    return s;
}

} // namespace mailstore::log
