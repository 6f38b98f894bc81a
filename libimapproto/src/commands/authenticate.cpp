#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_authenticate(Context& ctx, const Command&) {
    ctx.finish_no("", "not implemented");
    return nullptr;
}

} // namespace imapproto::detail
