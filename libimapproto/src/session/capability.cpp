// The CAPABILITY list (RFC 3501 §7.2.1) for the session's state: the
// greeting, CAPABILITY, and the [CAPABILITY] code of a successful login.
// Only what Loft implements is listed.
#include "session/session_impl.hpp"

namespace imapproto::detail {

namespace {

// After login, in Dovecot 2.3's order (observed with 2.3.19), then what
// Loft has beyond Dovecot's default list. LITERAL+/LITERAL- sits where
// Dovecot puts it; SPECIAL-USE follows as in Dovecot with special-use
// mailboxes configured.
constexpr std::string_view kPostLoginHead = " SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT"
                                            " MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS"
                                            " LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES"
                                            " WITHIN CONTEXT=SEARCH CONTEXT=SORT LIST-STATUS BINARY MOVE PREVIEW"
                                            " STATUS=SIZE SAVEDATE";
// OBJECTID (RFC 8474: MAILBOXID, EMAILID, THREADID; storage/object_id.hpp)
// is Loft's own, after Dovecot's list.
constexpr std::string_view kPostLoginTail =
    " NOTIFY SPECIAL-USE CREATE-SPECIAL-USE COMPRESS=DEFLATE OBJECTID";

} // namespace

std::string capability_list(const Session::Impl& s) {
    const std::string& custom = s.settings_.capability_override;
    const bool logged_in = s.state_ != SessionState::not_authenticated;
    // imap_capability = "+FOO BAR" adds to the list; any other value
    // replaces the list after login (Dovecot's rule). Before login the list
    // must stay truthful about STARTTLS and AUTH=, so it is not replaced.
    const bool append = !custom.empty() && custom[0] == '+';
    if (logged_in && !custom.empty() && !append)
        return custom;

    // LOGIN-REFERRALS (RFC 2221) before and after login, where Dovecot lists it.
    // IMAP4rev2 (RFC 9051) beside IMAP4rev1: a client switches with ENABLE
    // IMAP4rev2 (session/rev2.hpp); one that does not stays on rev1.
    std::string caps = "IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE";
    const std::string_view literal = s.settings_.literal_minus ? " LITERAL-" : " LITERAL+";
    if (!logged_in) {
        caps += literal;
        if (s.starttls_available())
            caps += " STARTTLS";
        const bool plaintext = s.plaintext_allowed();
        // ssl = required: no mechanism at all before TLS.
        const bool any_auth = !(s.options_.ssl_required && !s.secured());
        if (!plaintext)
            caps += " LOGINDISABLED";
        if (any_auth && s.options_.login) {
            for (const auto& m : s.options_.login->mechanisms()) {
                if (m.private_ || (m.plaintext && !plaintext))
                    continue;
                caps += " AUTH=";
                caps += m.name;
            }
        }
    } else {
        // SORT/SORT=DISPLAY/ESORT/I18NLEVEL=1 (RFC 5256, 5957, 5267, 5255),
        // THREAD (RFC 5256 and Dovecot's REFS), CONTEXT=SEARCH/SORT (RFC
        // 5267 §4), CONDSTORE/QRESYNC (RFC 7162), PREVIEW (RFC 8970),
        // SAVEDATE (RFC 8514), NOTIFY (RFC 5465): docs/imap.md lists them all.
        caps += kPostLoginHead;
        caps += literal;
        caps += kPostLoginTail;
        // RFC 8508 REPLACE (commands/replace.cpp); RFC 9755 UTF8=ACCEPT,
        // which a session switches on with ENABLE (session/utf8_accept.hpp),
        // unless imap_utf8_accept = no.
        caps += " REPLACE";
        if (s.settings_.utf8_accept)
            caps += " UTF8=ACCEPT";
        // RFC 9394 PARTIAL (paged SEARCH/SORT results and UID FETCH) and
        // RFC 9585 INPROGRESS (session/progress.hpp).
        caps += " PARTIAL INPROGRESS";
        // RFC 9586: switched on per session with ENABLE UIDONLY.
        caps += " UIDONLY";
        if (s.settings_.append_max_size != 0) {
            // RFC 7889: the largest message APPEND takes.
            caps += " APPENDLIMIT=";
            caps += std::to_string(s.settings_.append_max_size);
        }
        if (s.settings_.message_limit != 0) {
            // RFC 9738 §3: FETCH, SEARCH, STORE, MOVE and UID EXPUNGE do at
            // most this many messages, COPY and MULTIAPPEND refuse more
            // (commands/message_limit.hpp). It replaces SAVELIMIT.
            caps += " MESSAGELIMIT=";
            caps += std::to_string(s.settings_.message_limit);
        } else if (s.settings_.save_limit != 0) {
            // RFC 9738: COPY and MULTIAPPEND refuse more messages than this
            // (commands/message_limit.hpp).
            caps += " SAVELIMIT=";
            caps += std::to_string(s.settings_.save_limit);
        }
        // RFC 5464: only with imap_metadata = yes, as in Dovecot. METADATA
        // covers server entries too; METADATA-SERVER is listed for clients
        // that look only for it.
        if (s.settings_.metadata)
            caps += " METADATA METADATA-SERVER";
        // RFC 4467 URLAUTH only with imap_urlauth_host set, as Dovecot does.
        if (!s.settings_.urlauth_host.empty())
            caps += " URLAUTH";
    }
    if (append) {
        caps += ' ';
        caps += custom.substr(1);
    }
    return caps;
}

} // namespace imapproto::detail
