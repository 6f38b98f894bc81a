#include "auth/auth_log.hpp"

namespace mailstore::auth {

std::string log_safe_user(std::string_view user) {
    static const char hexdigits[] = "0123456789abcdef";
    std::string out;
    std::size_t limit = std::min<std::size_t>(user.size(), 128);
    for (std::size_t i = 0; i < limit; ++i) {
        auto c = static_cast<unsigned char>(user[i]);
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '\\') {
            out += "\\x";
            out += hexdigits[c >> 4];
            out += hexdigits[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (user.size() > limit)
        out += "...";
    return out;
}

std::string failure_log_line(std::string_view user, std::string_view method, const ClientInfo& client,
                             std::string_view reason) {
    std::string line = "Authentication failed: user=<" + log_safe_user(user) + ">";
    line += ", method=" + std::string(method.empty() ? "none" : method);
    if (!client.remote_ip.empty())
        line += ", rip=" + client.remote_ip;
    if (!client.local_ip.empty())
        line += ", lip=" + client.local_ip;
    if (!client.service.empty())
        line += ", service=" + client.service;
    if (client.secured)
        line += ", secured";
    if (!client.session_id.empty())
        line += ", session=<" + log_safe_user(client.session_id) + ">";
    line += ", reason=" + std::string(reason);
    return line;
}

} // namespace mailstore::auth
