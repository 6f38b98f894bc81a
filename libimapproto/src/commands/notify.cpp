// NOTIFY (RFC 5465).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_notify(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

} // namespace imapproto::detail
