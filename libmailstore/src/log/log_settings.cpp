// LogSettings: the options handle behind configure().
#include <mailstore/log.hpp>

namespace mailstore::log {

struct LogSettings::Impl {
    std::string log_path;
    std::string info_log_path;
    std::string debug_log_path;
    std::string log_timestamp = "%b %d %H:%M:%S ";
    std::string syslog_facility = "mail";
    std::string syslog_ident = "loft";
    bool auth_verbose = false;
    bool auth_debug = false;
    bool mail_debug = false;
    bool verbose_proctitle = false;
};

LogSettings::LogSettings() : impl_(std::make_unique<Impl>()) {}
LogSettings::~LogSettings() = default;
LogSettings::LogSettings(const LogSettings& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
LogSettings& LogSettings::operator=(const LogSettings& other) {
    if (this != &other)
        *impl_ = *other.impl_;
    return *this;
}
// A moved-from handle is left holding defaults, never null.
LogSettings::LogSettings(LogSettings&& other) noexcept : impl_(std::move(other.impl_)) {
    try {
        other.impl_ = std::make_unique<Impl>();
    } catch (...) {
    }
}
LogSettings& LogSettings::operator=(LogSettings&& other) noexcept {
    if (this != &other)
        std::swap(impl_, other.impl_);
    return *this;
}

#define LOFT_STRING_OPTION(name)                                                                                       \
    const std::string& LogSettings::name() const noexcept { return impl_->name; }                                     \
    LogSettings& LogSettings::set_##name(std::string_view value) {                                                    \
        impl_->name.assign(value);                                                                                     \
        return *this;                                                                                                  \
    }
#define LOFT_BOOL_OPTION(name)                                                                                         \
    bool LogSettings::name() const noexcept { return impl_->name; }                                                   \
    LogSettings& LogSettings::set_##name(bool on) noexcept {                                                          \
        impl_->name = on;                                                                                              \
        return *this;                                                                                                  \
    }

LOFT_STRING_OPTION(log_path)
LOFT_STRING_OPTION(info_log_path)
LOFT_STRING_OPTION(debug_log_path)
LOFT_STRING_OPTION(log_timestamp)
LOFT_STRING_OPTION(syslog_facility)
LOFT_STRING_OPTION(syslog_ident)
LOFT_BOOL_OPTION(auth_verbose)
LOFT_BOOL_OPTION(auth_debug)
LOFT_BOOL_OPTION(mail_debug)
LOFT_BOOL_OPTION(verbose_proctitle)

#undef LOFT_STRING_OPTION
#undef LOFT_BOOL_OPTION

} // namespace mailstore::log
