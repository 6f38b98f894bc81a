// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6, §6.3.7). As in Dovecot,
// SUBSCRIBE wants the mailbox to exist; UNSUBSCRIBE of a name that is not
// subscribed (or does not exist) succeeds, so a client can always clean up
// a subscription whose mailbox is gone.
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_subscribe(Context& ctx, const Command& cmd) {
    const bool subscribe = cmd.name == "SUBSCRIBE";
    if (cmd.args.size() != 1) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    if (subscribe && !ctx.user().exists(*name)) {
        ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*name));
        return nullptr;
    }
    if (auto status = ctx.user().subscribe(*name, subscribe); !status) {
        finish_mailbox_error(ctx, status, *name);
        return nullptr;
    }
    ctx.finish_ok("", subscribe ? "Subscribe completed." : "Unsubscribe completed.");
    return nullptr;
}

} // namespace imapproto::detail
