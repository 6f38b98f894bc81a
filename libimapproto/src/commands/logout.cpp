// LOGOUT (RFC 3501 §6.1.3): "* BYE", the tagged OK, then the session closes.
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_logout(Context& ctx, const Command&) {
    ctx.untagged("BYE Logging out");
    ctx.request_logout();
    ctx.finish_ok("", "Logout completed.");
    return nullptr;
}

} // namespace imapproto::detail
