// CHECK (RFC 3501 §6.4.1): a checkpoint. Every committed change is already
// durable, so there is nothing to flush; the session's sync after the
// command reports what changed, as Dovecot's CHECK does.
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_check(Context& ctx, const Command& cmd) {
    if (!cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    ctx.finish_ok("", "Check completed.");
    return nullptr;
}

} // namespace imapproto::detail
