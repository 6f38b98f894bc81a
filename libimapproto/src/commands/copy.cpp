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
#include "commands/message_limit.hpp"
#include "commands/message_set.hpp"
#include "session/progress.hpp"

#include <algorithm>

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

// Copies (or moves) the messages in one transaction on the destination.
// COPY prepares them kPiece at a time and may send an INPROGRESS report
// (RFC 9585, session/progress.hpp) between two pieces, handing control back
// to the session so it goes out; the one commit at the end keeps the
// command all-or-nothing. MOVE is one piece: each piece of a MOVE would
// expunge its originals in a commit of its own.
class CopyRun final : public CommandRun {
public:
    static constexpr std::uint64_t kPiece = 256;

    CopyRun(bool move, ms::UidSet uids, ms::Mailbox dest, std::optional<ms::Uid> cut)
        : move_(move), uids_(std::move(uids)), dest_(std::move(dest)), txn_(dest_.begin()), cut_(cut) {}

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            ctx.finish_no("", "No mailbox selected");
            return Progress::done;
        }
        ms::Mailbox& source = *sel->mailbox;
        progress_.start(ctx);
        const std::uint64_t total = uids_.count();
        while (range_ < uids_.ranges().size()) {
            // The next piece of the set, in ascending UIDs.
            ms::UidSet piece;
            std::uint64_t taken = 0;
            while (range_ < uids_.ranges().size() && (move_ || taken < kPiece)) {
                const ms::UidRange& r = uids_.ranges()[range_];
                const ms::Uid first = next_uid_ != 0 ? next_uid_ : r.first;
                const std::uint64_t left = std::uint64_t{r.last} - first + 1;
                const std::uint64_t room = move_ ? left : std::min(kPiece - taken, left);
                const ms::Uid last = static_cast<ms::Uid>(first + room - 1);
                piece.add(first, last);
                taken += room;
                if (last == r.last) {
                    ++range_;
                    next_uid_ = 0;
                } else {
                    next_uid_ = last + 1;
                }
            }
            mailstore::Status st = move_ ? txn_.move(source, piece) : txn_.copy(source, piece);
            if (!st) {
                if (st.code() == mailstore::Status::Code::not_found)
                    ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
                else
                    ctx.finish_status(st);
                return Progress::done;
            }
            done_ += taken;
            if (done_ < total && progress_.due_now(ctx)) {
                progress_.write(ctx, done_, total);
                return Progress::more_output;
            }
        }
        finish(ctx);
        return Progress::done;
    }

private:
    void finish(Context& ctx) {
        auto committed = txn_.commit();
        if (!committed) {
            if (committed.status().code() == mailstore::Status::Code::not_found) {
                ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
                return;
            }
            ctx.finish_status(committed.status());
            return;
        }
        const ms::CommitResult& result = committed.value();
        // Messages expunged by another process since our view was synced are
        // skipped by the storage. RFC 2180 §4.4.1: answer NO and copy nothing,
        // so the copies that were made are expunged again. Moved messages are
        // already gone from the source: those stay moved and are reported.
        const bool incomplete = result.copy_src.size() < uids_.count();
        if (incomplete && !move_ && !result.copy_dst.empty()) {
            ms::UidSet copies;
            for (ms::Uid uid : result.copy_dst)
                copies.add(uid);
            ms::Transaction undo = dest_.begin();
            mailstore::Status undone = undo.expunge(copies);
            if (undone) {
                auto undo_commit = undo.commit();
                if (!undo_commit)
                    undone = undo_commit.status();
            }
            if (!undone)
                ctx.log().error("COPY to " + dest_.name() + ": removing a partial copy failed: " + undone.message());
        }
        if (is_trash(ctx, dest_.name()) && (move_ || !incomplete))
            ctx.stats().trashed += result.copy_src.size();

        std::string copyuid;
        if (!result.copy_src.empty() && result.copy_src.size() == result.copy_dst.size())
            copyuid = "COPYUID " + std::to_string(result.uidvalidity) + " " + ordered_set_text(result.copy_src) + " " +
                      ordered_set_text(result.copy_dst);
        if (move_) {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the
            // expunges, which the session sends after this command.
            if (!copyuid.empty())
                ctx.untagged("OK [" + copyuid + "] Moved UIDs.");
            static constexpr std::string_view cut_text = "Move completed for the messages with the highest UIDs.";
            if (incomplete) {
                announce_cut(ctx, cut_, cut_text);
                ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
            } else {
                finish_ok_limited(ctx, cut_, "", "Move completed.", cut_text);
            }
            return;
        }
        if (incomplete) {
            ctx.finish_no("EXPUNGEISSUED", "Some of the requested messages no longer exist.");
            return;
        }
        ctx.finish_ok(copyuid, "Copy completed.");
    }

    bool move_;
    ms::UidSet uids_;
    ms::Mailbox dest_;
    ms::Transaction txn_;
    std::size_t range_ = 0; // the next piece starts in this range of uids_
    ms::Uid next_uid_ = 0;  // ... at this UID (0: at its start)
    std::uint64_t done_ = 0;
    ProgressReport progress_;
    std::optional<ms::Uid> cut_; // MOVE cut by MESSAGELIMIT at this UID
};

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
    // RFC 9738 §3.1: a COPY over imap_save_limit copies nothing. MOVE need
    // not be atomic and SAVELIMIT does not cover it.
    if (!move && refuse_copy_over_save_limit(ctx, source.view(), *uids))
        return nullptr;
    // RFC 9738 §3.1: MOVE under MESSAGELIMIT moves the messages with the
    // highest UIDs and says where it stopped.
    std::optional<ms::Uid> cut;
    if (move)
        cut = cut_to_message_limit(ctx, source.view(), *uids);
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

    auto run = std::make_unique<CopyRun>(move, std::move(*uids), std::move(dest).value(), cut);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
