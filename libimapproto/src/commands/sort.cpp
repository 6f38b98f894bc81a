// SORT (RFC 5256), ESORT (RFC 5267), SORT=DISPLAY (RFC 5957).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_sort(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

} // namespace imapproto::detail
