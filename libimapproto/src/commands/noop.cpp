// NOOP (RFC 3501 §6.1.2): does nothing itself; the mailbox updates the
// session sends after every command with UpdatePolicy::full are its point
// (the client's poll).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_noop(Context& ctx, const Command&) {
    ctx.finish_ok("", "NOOP completed.");
    return nullptr;
}

} // namespace imapproto::detail
