// THREAD (RFC 5256): ORDEREDSUBJECT, REFERENCES, REFS.
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_thread(Context& ctx, const Command&) {
    ctx.finish_bad("Unknown command.");
    return nullptr;
}

} // namespace imapproto::detail
