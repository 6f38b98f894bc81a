#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_select(Context& ctx, const Command&)
{
    ctx.finish_no("", "Not implemented");
    return nullptr;
}

} // namespace imapproto::detail
