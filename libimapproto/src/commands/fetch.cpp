// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8; RFC 3516 BINARY).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_fetch(Context& ctx, const Command&) {
    ctx.finish_no("", "not implemented");
    return nullptr;
}

} // namespace imapproto::detail
