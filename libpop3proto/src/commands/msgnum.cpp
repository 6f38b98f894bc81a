// The "msg" argument of LIST, UIDL, RETR, TOP and DELE (RFC 1939 §5), with
// Dovecot's replies for each way it can be wrong.
#include "session/session_impl.hpp"

#include <cstdint>

namespace pop3proto {

std::optional<std::size_t> Session::Impl::message_arg(std::string_view text, std::string_view* rest,
                                                      bool allow_deleted) {
    if (text.empty() || text.front() < '0' || text.front() > '9') {
        bad("Invalid message number: " + std::string(text));
        return std::nullopt;
    }
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        n = n * 10 + static_cast<unsigned>(text[i] - '0');
        if (n > 0xffffffffULL) {
            bad("Message number too large: " + std::string(text));
            return std::nullopt;
        }
    }
    if (i < text.size() && text[i] != ' ') {
        bad("Invalid message number: " + std::string(text));
        return std::nullopt;
    }
    *rest = text.substr(i);
    if (n == 0 || n > messages_.size()) {
        bad("There's no message " + std::to_string(n) + ".");
        return std::nullopt;
    }
    if (messages_[n - 1].deleted && !allow_deleted) {
        bad("Message is deleted.");
        return std::nullopt;
    }
    return static_cast<std::size_t>(n - 1);
}

} // namespace pop3proto
