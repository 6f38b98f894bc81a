// GETMETADATA and SETMETADATA (RFC 5464).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_getmetadata(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_setmetadata(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

} // namespace imapproto::detail
