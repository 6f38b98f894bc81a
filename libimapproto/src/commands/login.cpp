// LOGIN (RFC 3501 §6.2.3): user name and password as astrings, refused with
// [PRIVACYREQUIRED] where plaintext authentication is not allowed
// (disable_plaintext_auth on an insecure connection, ssl = required).
#include "commands/commands.hpp"

#include "session/auth_reply.hpp"

namespace imapproto::detail {

namespace {

class LoginRun final : public CommandRun {
public:
    explicit LoginRun(mailstore::auth::AuthReply reply) : reply_(std::move(reply)) {}
    Progress resume(Context& ctx) override { return finisher_.finish(ctx, reply_, "PLAIN"); }

private:
    mailstore::auth::AuthReply reply_;
    AuthFinisher finisher_;
};

} // namespace

std::unique_ptr<CommandRun> cmd_login(Context& ctx, const Command& cmd) {
    if (cmd.args.size() != 2 || !cmd.args[0].is_astring() || !cmd.args[1].is_astring() || cmd.args[0].spool ||
        cmd.args[1].spool) {
        ctx.finish_bad("Error in IMAP command received by server.");
        return nullptr;
    }
    if (!ctx.plaintext_allowed()) {
        refuse_plaintext(ctx, true);
        return nullptr;
    }
    LoginBackend* backend = ctx.login_backend();
    if (!backend) {
        ctx.finish_no("UNAVAILABLE", "Temporary authentication failure.");
        return nullptr;
    }
    auto reply = backend->verify_plain(cmd.args[0].text, cmd.args[1].text, ctx.options().client);
    // The reply (and its delay) is handled by the run the session resumes
    // next, so a failure's delay becomes Step::sleep.
    return std::make_unique<LoginRun>(std::move(reply));
}

} // namespace imapproto::detail
