// GENURLAUTH, RESETKEY, URLFETCH (RFC 4467).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_genurlauth(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_resetkey(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_urlfetch(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

} // namespace imapproto::detail
