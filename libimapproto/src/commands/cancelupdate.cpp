// CANCELUPDATE (RFC 5267 §4.3.5): ends the UPDATE contexts of the tags
// given ("CANCELUPDATE" 1*(SP quoted), §5). Answers as Dovecot does: BAD
// "Invalid parameters" without a quoted tag, NO "Unknown tag" when a tag
// names no open context; then none of the tags is cancelled.
#include "commands/commands.hpp"
#include "commands/message_set.hpp"
#include "session/search_updates.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_cancelupdate(Context& ctx, const Command& cmd) {
    if (cmd.args.empty()) {
        finish_syntax_error(ctx, "Invalid parameters");
        return nullptr;
    }
    for (const Arg& arg : cmd.args) {
        if (!arg.is_string()) {
            finish_syntax_error(ctx, "Invalid parameters");
            return nullptr;
        }
    }
    for (const Arg& arg : cmd.args) {
        if (!ctx.search_updates().has_context(arg.text)) {
            ctx.finish_no("", "Unknown tag");
            return nullptr;
        }
    }
    for (const Arg& arg : cmd.args)
        ctx.search_updates().cancel(arg.text);
    ctx.finish_ok("", "Updates cancelled");
    return nullptr;
}

} // namespace imapproto::detail
