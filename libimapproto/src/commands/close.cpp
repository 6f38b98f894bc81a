// CLOSE (RFC 3501 §6.4.2) and UNSELECT (RFC 3691). CLOSE expunges the
// \Deleted messages silently (no untagged EXPUNGE) when the mailbox is
// read-write; UNSELECT and a CLOSE after EXAMINE leave them alone. Both
// return to the authenticated state, even when the expunge fails.
#include "commands/commands.hpp"
#include "mailbox/expunge_deleted.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_close(Context& ctx, const Command& cmd) {
    const bool close = cmd.name == "CLOSE";
    if (!cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    Selected* sel = ctx.selected();
    mailstore::Status status;
    if (close && sel && sel->mailbox && !sel->read_only) {
        // The flags another session set since our last sync count too: the
        // client is leaving, nothing it was told needs to stay consistent.
        if (auto synced = sel->mailbox->sync(mailstore::storage::sync_no_expunges); !synced)
            ctx.log().warning("CLOSE: sync failed: " + synced.status().message());
        status = expunge_deleted(ctx, *sel->mailbox, nullptr);
    }
    ctx.deselect();
    if (!status) {
        ctx.finish_status(status);
        return nullptr;
    }
    ctx.finish_ok("", close ? "Close completed." : "Unselect completed.");
    return nullptr;
}

} // namespace imapproto::detail
