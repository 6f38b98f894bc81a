// STATUS (RFC 3501 §6.3.10; SIZE RFC 8438, HIGHESTMODSEQ RFC 7162, DELETED
// RFC 9051). STATUS of the selected mailbox is answered too (RFC 3501 only
// says SHOULD NOT ask; Dovecot answers).
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_status(Context& ctx, const Command& cmd) {
    if (cmd.args.size() != 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::string error;
    auto items = parse_status_items(cmd.args[1], error);
    if (!items) {
        ctx.finish_bad(error);
        return nullptr;
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    auto status = ctx.user().status(*name, *items);
    if (!status) {
        if (status.status().code() == mailstore::Status::Code::invalid_argument && !ctx.user().exists(*name))
            ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*name));
        else
            finish_mailbox_error(ctx, status.status(), *name);
        return nullptr;
    }
    send_status_line(ctx, *name, *items, *status);
    ctx.finish_ok("", "Status completed.");
    return nullptr;
}

} // namespace imapproto::detail
