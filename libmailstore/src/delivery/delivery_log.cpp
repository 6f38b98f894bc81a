// deliver_log_format expansion (docs/delivery.md, "Logging").
#include "delivery/delivery_log.hpp"

#include <mailstore/var_expand.hpp>

namespace mailstore::delivery {

namespace {

Result<std::string> expand(const std::string& format, const LogValues& v, std::string_view message) {
    const std::string size = std::to_string(v.size), vsize = std::to_string(v.vsize);
    const ExpandVariable vars[] = {
        {'$', "", message},
        {'m', "msgid", v.msgid},
        {'s', "subject", v.subject},
        {'f', "from", v.from},
        {'e', "from_envelope", v.from_envelope},
        {'\0', "to_envelope", v.to_envelope},
        {'p', "size", size},
        {'w', "vsize", vsize},
    };
    return expand_variables(format, vars);
}

} // namespace

std::string DeliveryLog::line(std::string_view message) const {
    auto expanded = expand(format_, values_, message);
    if (expanded)
        return std::move(expanded.value());
    return "msgid=" + values_.msgid + ": " + std::string(message);
}

Status check_deliver_log_format(const std::string& format) {
    auto expanded = expand(format, LogValues{}, "");
    if (!expanded)
        return Status::invalid("deliver_log_format: " + expanded.status().message());
    return Status::ok();
}

} // namespace mailstore::delivery
