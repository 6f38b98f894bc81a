// DELE and RSET (RFC 1939 §5): DELE only marks; the marks are applied at
// QUIT (session/update.cpp) and forgotten by RSET or a lost connection.
#include "session/session_impl.hpp"

namespace pop3proto::detail {

void cmd_dele(Session::Impl& s, std::string_view args) {
    std::string_view rest;
    auto index = s.message_arg(args, &rest);
    if (!index)
        return;
    if (!rest.empty()) {
        s.bad("Noise after message number: " + std::string(rest));
        return;
    }
    s.messages_[*index].deleted = true;
    ++s.deleted_count_;
    s.deleted_bytes_ += s.messages_[*index].size;
    s.ok("Marked to be deleted.");
}

void cmd_rset(Session::Impl& s) {
    for (auto& m : s.messages_)
        m.deleted = m.set_seen = false;
    s.deleted_count_ = 0;
    s.deleted_bytes_ = 0;
    // RFC 1460 §4 (LAST): RSET makes the highest message accessed 0 again
    // (as Dovecot answers). The \Seen flags RETR would set at QUIT are
    // forgotten too.
    s.last_accessed_ = 0;
    s.ok();
}

} // namespace pop3proto::detail
