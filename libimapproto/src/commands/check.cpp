// CHECK (RFC 3501 §6.4.1): a checkpoint. Every committed change is already
// durable, so there is nothing to flush; the session's sync after the
// command reports what changed, as Dovecot's CHECK does. IMAP4rev2 removed
// the command (RFC 9051 Appendix E, item 17: clients use NOOP), so a rev2
// session gets the answer of a command the server does not know.
#include "commands/commands.hpp"
#include "session/rev2.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_check(Context& ctx, const Command& cmd) {
    if (rev2(ctx)) {
        ctx.finish_bad("Error in IMAP command CHECK: Unknown command.");
        return nullptr;
    }
    if (!cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    ctx.finish_ok("", "Check completed.");
    return nullptr;
}

} // namespace imapproto::detail
