// COPY, UID COPY, MOVE and UID MOVE (RFC 3501 §6.4.7, RFC 6851), with
// UIDPLUS's COPYUID (RFC 4315 §3).
//
// One transaction on the destination copies (or moves) every message, so a
// failure leaves both mailboxes as they were (RFC 3501 §6.4.7). The
// destination is always opened as a second Mailbox, also when it is the
// selected one: the copies then reach the client through the session's
// next sync as EXISTS, like mail from anyone else. MOVE's expunges reach it
// the same way, right after the untagged "OK [COPYUID ...]" (RFC 6851
// §4.3), in the session's numbering.
#include "commands/commands.hpp"
#include "commands/message_set.hpp"

#include <strings.h>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;

// Whether `name` is the user's \Trash mailbox: its special-use flag, or the
// name Trash when no mailbox is marked (the trashed= logout counter).
bool is_trash(Context& ctx, const std::string& name) {
    if (strcasecmp(name.c_str(), "Trash") == 0)
        return true;
    if (name.find_first_of("*%") != std::string::npos)
        return false;
    ms::ListQuery query;
    query.patterns.push_back(name);
    auto found = ctx.user().list(query);
    if (!found)
        return false;
    for (const auto& info : found.value())
        if (info.name == name && (info.special_use & ms::special_trash))
            return true;
    return false;
}

} // namespace

std::unique_ptr<CommandRun> cmd_copy(Context& ctx, const Command& cmd) {
    const bool move = cmd.name == "MOVE";
    const auto& args = cmd.args;
    if (args.size() < 2) {
        finish_syntax_error(ctx, "Missing arguments");
        return nullptr;
    }
    if (args.size() > 2 || !args[1].is_astring()) {
        finish_syntax_error(ctx, "Invalid arguments");
        return nullptr;
    }
    std::string error;
    auto uids = resolve_message_set(ctx, args[0], cmd.uid, error);
    if (!uids) {
        finish_syntax_error(ctx, error);
        return nullptr;
    }
    auto name = mailbox_name_arg(ctx, args[1], error);
    if (!name) {
        finish_syntax_error(ctx, error);
        return nullptr;
    }
    Selected& sel = *ctx.selected();
    ms::Mailbox& source = *sel.mailbox;
    if (move && sel.read_only) {
        // MOVE expunges from the source, which EXAMINE does not allow.
        ctx.finish_no("", "Mailbox is read-only.");
        return nullptr;
    }

    ms::OpenOptions open_options;
    open_options.claim_recent = false; // the copies are \Recent for whoever selects the destination
    auto dest = ms::Mailbox::open(ctx.user(), *name, open_options);
    if (!dest) {
        if (dest.status().code() == mailstore::Status::Code::not_found) {
            // RFC 3501 §6.4.7: [TRYCREATE] tells the client CREATE may help.
            // The name as the client wrote it (mUTF-7), printable only.
            std::string shown;
            for (char c : args[1].text)
                if (c >= 0x20 && c < 0x7f && shown.size() < 200)
                    shown += c;
            ctx.finish_no("TRYCREATE", "Mailbox doesn't exist: " + shown);
            return nullptr;
        }
        ctx.finish_status(dest.status());
        return nullptr;
    }
    if (uids->empty()) {
        ctx.finish_ok("", "No messages found.");
        return nullptr;
    }
    // RFC 2180 §4.4.1: a message another session expunged cannot be copied;
    // the command fails as a whole and nothing is copied.
    const ms::View& view = source.view();
    for (const auto& range : uids->ranges()) {
        for (std::uint64_t u = range.first; u <= range.last; ++u) {
            ms::Seq seq = view.seq(static_cast<ms::Uid>(u));
            if (seq != 0 && source.message(seq).expunged()) {
                ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
                return nullptr;
            }
        }
    }

    ms::Transaction txn = dest->begin();
    mailstore::Status st = move ? txn.move(source, *uids) : txn.copy(source, *uids);
    if (!st) {
        if (st.code() == mailstore::Status::Code::not_found) {
            ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
            return nullptr;
        }
        ctx.finish_status(st);
        return nullptr;
    }
    auto committed = txn.commit();
    if (!committed) {
        if (committed.status().code() == mailstore::Status::Code::not_found) {
            ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
            return nullptr;
        }
        ctx.finish_status(committed.status());
        return nullptr;
    }
    const ms::CommitResult& result = committed.value();
    // Messages expunged by another process since our view was synced are
    // skipped by the storage. RFC 2180 §4.4.1: answer NO and copy nothing,
    // so the copies that were made are expunged again. Moved messages are
    // already gone from the source: those stay moved and are reported.
    const bool incomplete = result.copy_src.size() < uids->count();
    if (incomplete && !move && !result.copy_dst.empty()) {
        ms::UidSet copies;
        for (ms::Uid uid : result.copy_dst)
            copies.add(uid);
        ms::Transaction undo = dest->begin();
        mailstore::Status undone = undo.expunge(copies);
        if (undone) {
            auto undo_commit = undo.commit();
            if (!undo_commit)
                undone = undo_commit.status();
        }
        if (!undone)
            ctx.log().error("COPY to " + dest->name() + ": removing a partial copy failed: " + undone.message());
    }
    if (is_trash(ctx, dest->name()) && (move || !incomplete))
        ctx.stats().trashed += result.copy_src.size();

    std::string copyuid;
    if (!result.copy_src.empty() && result.copy_src.size() == result.copy_dst.size())
        copyuid = "COPYUID " + std::to_string(result.uidvalidity) + " " + ordered_set_text(result.copy_src) + " " +
                  ordered_set_text(result.copy_dst);
    if (move) {
        // RFC 6851 §4.3: COPYUID goes in an untagged OK before the
        // expunges, which the session sends after this command.
        if (!copyuid.empty())
            ctx.untagged("OK [" + copyuid + "] Moved UIDs.");
        if (incomplete)
            ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
        else
            ctx.finish_ok("", "Move completed.");
        return nullptr;
    }
    if (incomplete) {
        ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
        return nullptr;
    }
    ctx.finish_ok(copyuid, "Copy completed.");
    return nullptr;
}

} // namespace imapproto::detail
