// Finishing LOGIN and AUTHENTICATE (auth_reply.hpp).
#include "session/auth_reply.hpp"

namespace imapproto::detail {

namespace auth = mailstore::auth;

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
    if (!reply.reason.empty()) {
        // A passdb nologin with reason= (Dovecot: [CONTACTADMIN]).
        const bool nologin = reply.passdb_fields.has("nologin");
        ctx.finish_no(nologin ? "CONTACTADMIN" : "AUTHENTICATIONFAILED", reply.reason);
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
