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

// Dovecot 2.3's pop3_delete_type: "default" sets pop3_deleted_flag when it
// is set and expunges otherwise; "expunge" expunges even with a flag set
// (the flag then only hides messages that already carry it); "flag" needs
// pop3_deleted_flag (Dovecot refuses to start without it).
bool read_delete_type(Session::Impl& s) {
    const std::string type = s.setting("pop3_delete_type");
    if (type == "expunge") {
        s.delete_by_flag_ = false;
    } else if (type == "flag") {
        if (s.deleted_flag_.empty()) {
            s.log_.error("pop3_delete_type=flag, but pop3_deleted_flag not set");
            return false;
        }
        s.delete_by_flag_ = true;
    } else if (type == "default" || type.empty()) {
        s.delete_by_flag_ = !s.deleted_flag_.empty();
    } else {
        s.log_.error("pop3_delete_type: unknown value " + type + " (default, expunge or flag)");
        return false;
    }
    return true;
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
