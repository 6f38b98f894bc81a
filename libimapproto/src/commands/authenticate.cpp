// AUTHENTICATE (RFC 3501 §6.2.2) with SASL-IR (RFC 4959): challenges go out
// as "+ base64", each response comes back as one line; "*" aborts; "=" is an
// empty initial response. Mechanisms come from the LoginBackend.
#include "commands/commands.hpp"

#include "session/auth_reply.hpp"

#include "auth/crypto.hpp"

#include <cctype>

namespace imapproto::detail {

namespace {

namespace auth = mailstore::auth;

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

class AuthenticateRun final : public CommandRun {
public:
    AuthenticateRun(std::unique_ptr<SaslExchange> exchange, std::string mechanism)
        : exchange_(std::move(exchange)), mechanism_(std::move(mechanism)) {}

    auth::AuthReply step_first(std::string_view response, bool has_initial) {
        return exchange_->step(response, has_initial);
    }

    // Sends a challenge or moves on to finishing.
    void handle(Context& ctx, auth::AuthReply reply) {
        if (reply.kind == auth::AuthReply::Kind::challenge) {
            ctx.continuation(mailstore::auth::crypto::base64(reply.data));
            return;
        }
        if (reply.kind == auth::AuthReply::Kind::success && !reply.data.empty()) {
            // Final server data (SCRAM): sent as a challenge the client
            // answers with an empty line (RFC 4959 has no other way).
            ctx.continuation(mailstore::auth::crypto::base64(reply.data));
            final_wait_ = true;
        }
        reply_ = std::move(reply);
        done_ = true;
    }

    Progress resume(Context& ctx) override {
        if (done_ && !final_wait_)
            return finisher_.finish(ctx, reply_, mechanism_);
        auto line = ctx.take_line();
        if (!line)
            return Progress::need_line;
        if (*line == "*") {
            ctx.finish_bad("Authentication aborted by client.");
            return Progress::done;
        }
        if (final_wait_) {
            final_wait_ = false;
            return finisher_.finish(ctx, reply_, mechanism_);
        }
        auto decoded = mailstore::auth::crypto::unbase64(*line);
        if (!decoded) {
            // Dovecot's answer to a bad continuation response.
            ctx.finish_no("ALERT", "Invalid base64 in response");
            return Progress::done;
        }
        handle(ctx, exchange_->step(*decoded, true));
        return resume_after_step(ctx);
    }

    Progress resume_after_step(Context& ctx) {
        if (!done_ || final_wait_)
            return Progress::need_line;
        return finisher_.finish(ctx, reply_, mechanism_);
    }

private:
    std::unique_ptr<SaslExchange> exchange_;
    std::string mechanism_;
    auth::AuthReply reply_;
    AuthFinisher finisher_;
    bool done_ = false;
    bool final_wait_ = false;
};

} // namespace

std::unique_ptr<CommandRun> cmd_authenticate(Context& ctx, const Command& cmd) {
    if (cmd.args.empty() || cmd.args.size() > 2 || cmd.args[0].type != Arg::Type::atom ||
        (cmd.args.size() == 2 && cmd.args[1].type != Arg::Type::atom)) {
        ctx.finish_bad("Error in IMAP command received by server.");
        return nullptr;
    }
    LoginBackend* backend = ctx.login_backend();
    if (!backend) {
        ctx.finish_no("UNAVAILABLE", "Temporary authentication failure.");
        return nullptr;
    }
    const std::string mechanism = upper(cmd.args[0].text);
    bool known = false, plaintext = false;
    // APOP is POP3's greeting-bound login (RFC 1939 §7): accepted here it
    // would let a sniffed POP3 APOP login be replayed, so it is unknown.
    for (const auto& m : backend->mechanisms())
        if (m.name == mechanism && mechanism != "APOP") {
            known = true;
            plaintext = m.plaintext;
        }
    if (!known) {
        ctx.finish_no("ALERT", "Unsupported authentication mechanism.");
        return nullptr;
    }
    // ssl = required refuses every mechanism before TLS; otherwise only
    // the plaintext ones when plaintext is not allowed.
    if (plaintext && !ctx.plaintext_allowed()) {
        refuse_plaintext(ctx, false);
        return nullptr;
    }
    if (ctx.options().ssl_required && !ctx.tls_active() && !ctx.plaintext_allowed()) {
        refuse_plaintext(ctx, false);
        return nullptr;
    }
    std::string initial;
    bool has_initial = false;
    if (cmd.args.size() == 2) {
        has_initial = true;
        // RFC 4959: "=" is an empty initial response.
        if (cmd.args[1].text != "=") {
            auto decoded = mailstore::auth::crypto::unbase64(cmd.args[1].text);
            if (!decoded) {
                ctx.finish_bad("Invalid base64 data in initial response");
                return nullptr;
            }
            initial = std::move(*decoded);
        }
    }
    auto exchange = backend->begin(mechanism, ctx.options().client);
    if (!exchange) {
        switch (exchange.status().code()) {
        case mailstore::Status::Code::not_found:
            ctx.finish_no("ALERT", "Unsupported authentication mechanism.");
            break;
        case mailstore::Status::Code::permission_denied:
            refuse_plaintext(ctx, false);
            break;
        default:
            ctx.log().error("authentication: " + exchange.status().message());
            ctx.finish_no("UNAVAILABLE", "Temporary authentication failure.");
            break;
        }
        return nullptr;
    }
    auto run = std::make_unique<AuthenticateRun>(std::move(*exchange), mechanism);
    run->handle(ctx, run->step_first(initial, has_initial));
    return run;
}

} // namespace imapproto::detail
