// RENAME (RFC 3501 §6.3.5): children move along, missing parents of the new
// name are created, and RENAME INBOX moves INBOX's messages into the new
// mailbox and leaves INBOX (and its children) in place (the storage does
// both).
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_rename(Context& ctx, const Command& cmd) {
    if (cmd.args.size() != 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    auto from = take_mailbox_name(ctx, cmd.args[0]);
    if (!from)
        return nullptr;
    auto to = take_mailbox_name(ctx, cmd.args[1]);
    if (!to)
        return nullptr;
    if (!ctx.user().exists(*from)) {
        ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*from));
        return nullptr;
    }
    if (is_inbox_name(*to) || ctx.user().exists(*to)) {
        ctx.finish_no("ALREADYEXISTS", "Target mailbox already exists");
        return nullptr;
    }
    // The selected mailbox (or one of its parents) moving away: the
    // session cannot follow it under the new name, so, as Dovecot does, the
    // client is told to log in again. INBOX stays where it is (its messages
    // move; the next sync reports them expunged).
    Selected* sel = ctx.selected();
    bool moves_selected = false;
    if (sel && sel->mailbox && !is_inbox_name(*from)) {
        const std::string& current = sel->mailbox->name();
        const char sep = mailbox_separator(ctx, *from);
        moves_selected = current == *from ||
                         (current.size() > from->size() && current.compare(0, from->size(), *from) == 0 &&
                          current[from->size()] == sep);
    }
    // Deselect only once the rename happened: a refused RENAME leaves the
    // session as it was (RFC 3501 6.3.5: NO changes nothing).
    if (auto status = ctx.user().rename_mailbox(*from, *to); !status) {
        if (status.code() == mailstore::Status::Code::already_exists)
            ctx.finish_no("ALREADYEXISTS", "Target mailbox already exists");
        else
            finish_mailbox_error(ctx, status, *from);
        return nullptr;
    }
    if (moves_selected) {
        ctx.deselect();
        ctx.untagged("BYE IMAP session state is inconsistent, please relogin.");
        ctx.request_logout();
    }
    ctx.finish_ok("", "Rename completed.");
    return nullptr;
}

} // namespace imapproto::detail
