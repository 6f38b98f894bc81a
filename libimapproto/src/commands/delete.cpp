// DELETE (RFC 3501 §6.3.4). Children survive: the mailbox becomes a
// \Noselect level when it has any (the storage decides). Deleting the
// selected mailbox ends the session as Dovecot does: the client's view of
// it cannot be kept up.
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"
#include "session/rev2.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_delete(Context& ctx, const Command& cmd) {
    if (cmd.args.size() != 1) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    if (is_inbox_name(*name)) {
        ctx.finish_no("", "INBOX can't be deleted.");
        return nullptr;
    }
    if (rev2_refuse_delete_of_parent(ctx, *name))
        return nullptr;
    if (!ctx.user().exists(*name)) {
        ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*name));
        return nullptr;
    }
    Selected* sel = ctx.selected();
    const bool deleting_selected = sel && sel->mailbox && sel->mailbox->name() == *name;
    // Deselect only once the mailbox is gone: a refused DELETE leaves the
    // session as it was (RFC 3501 6.3.4: NO changes nothing).
    if (auto status = ctx.user().delete_mailbox(*name); !status) {
        finish_mailbox_error(ctx, status, *name);
        return nullptr;
    }
    if (deleting_selected) {
        ctx.deselect();
        ctx.untagged("BYE Selected mailbox was deleted, have to disconnect.");
        ctx.request_logout();
    }
    ctx.finish_ok("", "Delete completed.");
    return nullptr;
}

} // namespace imapproto::detail
