// The CAPABILITY list (RFC 3501 §7.2.1) for the session's state: the
// greeting, CAPABILITY, and the [CAPABILITY] code of a successful login.
// Only what Loft implements is listed.
#include "session/session_impl.hpp"

namespace imapproto::detail {

namespace {

// After login, in Dovecot's order where Dovecot has the same extension.
constexpr std::string_view kPostLogin = " NAMESPACE UNSELECT UIDPLUS CHILDREN MOVE LIST-EXTENDED LIST-STATUS"
                                        " SPECIAL-USE CREATE-SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES"
                                        " WITHIN MULTIAPPEND BINARY COMPRESS=DEFLATE PREVIEW STATUS=SIZE SAVEDATE";

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
    std::string caps = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE";
    caps += s.settings_.literal_minus ? " LITERAL-" : " LITERAL+";
    if (!logged_in) {
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
        caps += kPostLogin;
        // RFC 5465 NOTIFY.
        caps += " NOTIFY";
        // RFC 5256 SORT, RFC 5957 SORT=DISPLAY, RFC 5267 ESORT, and RFC 5255
        // I18NLEVEL=1 (i;unicode-casemap in SEARCH and SORT), as Dovecot lists.
        caps += " SORT SORT=DISPLAY ESORT I18NLEVEL=1";
        // RFC 5256 THREAD, and Dovecot's REFS.
        caps += " THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT";
        // RFC 5267 §4: PARTIAL, UPDATE contexts and CANCELUPDATE for SEARCH
        // and SORT.
        caps += " CONTEXT=SEARCH CONTEXT=SORT";
        if (s.settings_.append_max_size != 0) {
            // RFC 7889: the largest message APPEND takes.
            caps += " APPENDLIMIT=";
            caps += std::to_string(s.settings_.append_max_size);
        }
        // RFC 5464: only with imap_metadata = yes, as in Dovecot. METADATA
        // covers server entries too; METADATA-SERVER is listed for clients
        // that look only for it.
        if (s.settings_.metadata)
            caps += " METADATA METADATA-SERVER";
        // RFC 5550 URL-PARTIAL and RFC 4469 CATENATE always; RFC 4467
        // URLAUTH only with imap_urlauth_host set, as Dovecot does.
        caps += " URL-PARTIAL CATENATE";
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
