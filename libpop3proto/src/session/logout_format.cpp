// pop3_logout_format (Dovecot's variables): what the daemon appends to
// "Disconnected: Logged out".
#include "session/session_impl.hpp"

#include <mailstore/var_expand.hpp>

namespace pop3proto::detail {

std::string expand_logout_format(std::string_view format, const SessionStats& stats) {
    const std::string i = std::to_string(stats.bytes_in), o = std::to_string(stats.bytes_out),
                      t = std::to_string(stats.top_count), p = std::to_string(stats.top_bytes),
                      r = std::to_string(stats.retr_count), b = std::to_string(stats.retr_bytes),
                      d = std::to_string(stats.deleted_count), m = std::to_string(stats.message_count),
                      s = std::to_string(stats.mailbox_size), db = std::to_string(stats.deleted_bytes);
    const mailstore::ExpandVariable vars[] = {
        {'i', "input", i},          {'o', "output", o},        {'t', "top_count", t},
        {'p', "top_bytes", p},      {'r', "retr_count", r},    {'b', "retr_bytes", b},
        {'d', "deleted_count", d},  {'m', "message_count", m}, {'s', "message_bytes", s},
        {'\0', "deleted_bytes", db},
        // Dovecot's %u/%v (hashes of the UIDL lists) are not kept: empty.
        {'u', "uidl_change", ""},   {'v', "", ""},
    };
    auto expanded = mailstore::expand_variables(format, vars);
    if (expanded)
        return std::move(*expanded);
    return "top=" + t + "/" + p + ", retr=" + r + "/" + b + ", del=" + d + "/" + m + ", size=" + s;
}

} // namespace pop3proto::detail
