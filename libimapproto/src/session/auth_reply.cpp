// Finishing LOGIN and AUTHENTICATE (auth_reply.hpp).
#include "session/auth_reply.hpp"

namespace imapproto::detail {

namespace auth = mailstore::auth;

namespace {

// RFC 2221 §4.1 / RFC 2192 (IMAP URL) escaping of the user name and host,
// as Dovecot 2.3 writes them: ALPHA DIGIT and -._~!$&'()*+,= stay, every
// other octet (';', '/', ':', '@', '%', '?', '[', ']', 8-bit, ...) becomes
// %xx in lower-case hex.
std::string url_escape(std::string_view s) {
    static constexpr std::string_view kKept = "-._~!$&'()*+,=";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
            kKept.find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        }
    }
    return out;
}

} // namespace

std::string referral_url(const auth::FieldList& passdb_fields, std::string_view user, std::string_view mechanism) {
    std::string url = "imap://" + url_escape(passdb_fields.get_or("destuser", user)) + ";AUTH=" +
                      std::string(mechanism) + "@" + url_escape(passdb_fields.get_or("host", ""));
    std::string port = passdb_fields.get_or("port", "");
    if (!port.empty() && port != "143")
        url += ":" + url_escape(port);
    return url + "/";
}

Progress AuthFinisher::finish(Context& ctx, const auth::AuthReply& reply, const std::string& mechanism) {
    using K = auth::AuthReply::Kind;
    if (reply.kind == K::success) {
        auto st = ctx.login(reply.user, mechanism, reply.userdb_fields);
        if (st) {
            ctx.finish_ok("CAPABILITY " + ctx.capabilities(), "Logged in");
            return Progress::done;
        }
        switch (st.code()) {
        case mailstore::Status::Code::temporary_failure:
            ctx.finish_no("UNAVAILABLE", st.message());
            break;
        case mailstore::Status::Code::permission_denied:
            // The daemon's on_login refused (its message says why).
            ctx.finish_no(ctx.login_refusal_code(), st.message());
            break;
        default:
            ctx.finish_no("SERVERBUG", st.message());
            break;
        }
        return Progress::done;
    }
    // RFC 4954-style penalty: the answer to a failure waits (auth_failure_delay).
    if (!slept_ && reply.delay.count() > 0) {
        slept_ = true;
        ctx.set_delay(reply.delay);
        return Progress::sleep;
    }
    if (reply.kind == K::temporary_failure) {
        ctx.finish_no("UNAVAILABLE", "Temporary authentication failure.");
        return Progress::done;
    }
    ctx.auth_failed();
    if (reply.passdb_fields.has("nologin") && !reply.passdb_fields.get_or("host", "").empty() &&
        !reply.passdb_fields.has("proxy") && !reply.passdb_fields.has("proxy_maybe")) {
        // RFC 2221 §4.2: a login referral, driven by the passdb's nologin +
        // host (+ port, destuser, reason) fields as Dovecot 2.3 does it.
        // A host without nologin logs in here without a referral (Dovecot
        // 2.3.19 sends no OK [REFERRAL]).
        ctx.finish_no("REFERRAL " + referral_url(reply.passdb_fields, reply.user, mechanism),
                      reply.passdb_fields.get_or("reason", "Try this server instead."));
        return Progress::done;
    }
    if (!reply.reason.empty()) {
        // A passdb nologin with reason= (Dovecot: [CONTACTADMIN]).
        const bool nologin = reply.passdb_fields.has("nologin");
        ctx.finish_no(nologin ? "CONTACTADMIN" : "AUTHENTICATIONFAILED", reply.reason);
        return Progress::done;
    }
    if (reply.passdb_fields.has("nologin")) {
        // nologin without reason= (the passdb fields come only with the
        // right password): Dovecot 2.3's text.
        ctx.finish_no("CONTACTADMIN", "Login disabled for this user");
        return Progress::done;
    }
    ctx.finish_no("AUTHENTICATIONFAILED", "Authentication failed.");
    return Progress::done;
}

void refuse_plaintext(Context& ctx, bool password_was_sent) {
    if (password_was_sent)
        ctx.untagged("BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it "
                     "anyway. If anyone was listening, the password was exposed.");
    ctx.finish_no("PRIVACYREQUIRED", "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
}

} // namespace imapproto::detail
