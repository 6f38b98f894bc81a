// REPLACE and UID REPLACE (RFC 8508): the message literal (or CATENATE
// parts) is saved to the named mailbox and the message given by sequence
// number or UID is expunged from the selected one, as one action (§3.4):
//
// - the new message is committed (durable per mail_fsync) before the old
//   one is expunged, and the old one is expunged only when the save
//   succeeded; when the target is the selected mailbox both happen in one
//   transaction, so other sessions see both or neither;
// - nothing about the old message carries over to the new one (§1): its
//   flags and date are the command's;
// - UIDPLUS (§4.3): "* OK [APPENDUID v uid]" goes out before the EXPUNGE
//   (or VANISHED for QRESYNC clients, §4.5), which the session's sync
//   after the command sends; no response of the implied STORE \Deleted;
// - the arguments after the mailbox are APPEND's (shared with
//   commands/append.cpp): flags, date, CATENATE (§4.2), APPENDLIMIT and
//   [TRYCREATE]; MULTIAPPEND does not apply (§4.7): one message only.
#include "commands/append_message.hpp"
#include "commands/commands.hpp"
#include "commands/message_set.hpp"
#include "mailbox/mailbox_names.hpp"

#include <limits>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// seq-number = nz-number / "*" (RFC 3501 §9); "*" is the largest number in
// use. nullopt for anything else (a set or range included: REPLACE takes
// one message). `star` tells which.
std::optional<std::uint32_t> parse_seq_number(std::string_view text, bool& star) {
    star = text == "*";
    if (star)
        return 0;
    if (text.empty() || text.size() > 10 || text[0] == '0')
        return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > std::numeric_limits<std::uint32_t>::max())
        return std::nullopt;
    return static_cast<std::uint32_t>(n);
}

// Saves the new message and expunges `old_uid` from the selected mailbox.
// Answers on failure; on success returns the commit that saved.
std::optional<st::CommitResult> replace_message(Context& ctx, Selected& sel, st::Mailbox& target,
                                                const std::vector<AppendMessage>& messages, st::Uid old_uid) {
    st::UidSet old;
    old.add(old_uid);
    const bool same = &target == sel.mailbox.get();
    st::Transaction tx = target.begin();
    if (!save_append_messages(ctx, tx, messages))
        return std::nullopt; // rolled back: the old message stays
    if (same) {
        // One transaction: the save and the expunge commit together.
        if (auto status = tx.expunge(old); !status) {
            ctx.finish_status(status);
            return std::nullopt;
        }
    }
    auto saved = tx.commit();
    if (!saved) {
        ctx.finish_status(saved.status());
        return std::nullopt;
    }
    ctx.stats().expunged += saved->expunged.count();
    if (same)
        return std::move(saved.value());

    // Another mailbox: the new message is durable now; only then does the
    // old one go. Should that fail, the new one is taken back out so the
    // client is left with what it had (RFC 8508 §3.4: no partial result).
    st::Transaction expunge_tx = sel.mailbox->begin();
    auto status = expunge_tx.expunge(old);
    auto expunged = status ? expunge_tx.commit() : mailstore::Result<st::CommitResult>(status);
    if (!expunged) {
        ctx.log().errorf("REPLACE: expunging UID {} failed after saving to {}: {}", old_uid, target.name(),
                         expunged.status().message());
        st::UidSet added;
        for (st::Uid uid : saved->saved)
            added.add(uid);
        st::Transaction undo = target.begin();
        if (auto undone = undo.expunge(added); !undone || !undo.commit())
            ctx.log().errorf("REPLACE: could not remove the new message from {} again", target.name());
        ctx.finish_status(expunged.status());
        return std::nullopt;
    }
    ctx.stats().expunged += expunged->expunged.count();
    return std::move(saved.value());
}

} // namespace

std::unique_ptr<CommandRun> cmd_replace(Context& ctx, const Command& cmd) {
    // replace = "REPLACE" SP seq-number SP mailbox append-message (§5).
    if (cmd.args.size() < 3 || cmd.args[0].type != Arg::Type::atom) {
        finish_syntax_error(ctx, "Invalid arguments.");
        return nullptr;
    }
    bool star = false;
    auto number = parse_seq_number(cmd.args[0].text, star);
    if (!number) {
        finish_syntax_error(ctx, cmd.uid ? "Invalid uid" : "Invalid message sequence number");
        return nullptr;
    }
    std::vector<AppendMessage> messages;
    if (!parse_append_messages(ctx, cmd, 2, messages))
        return nullptr;
    if (messages.size() != 1) {
        // §4.7: REPLACE takes exactly one message, MULTIAPPEND or not.
        finish_syntax_error(ctx, "REPLACE takes one message");
        return nullptr;
    }
    Selected& sel = *ctx.selected();
    const st::View& view = sel.mailbox->view();
    st::Seq seq = 0;
    if (!cmd.uid) {
        // RFC 3501 §9: a sequence number must exist in the mailbox.
        seq = star ? view.count() : *number;
        if (seq == 0 || seq > view.count()) {
            finish_syntax_error(ctx, "Invalid message sequence number");
            return nullptr;
        }
    } else {
        seq = star ? view.count() : view.seq(*number);
        if (seq == 0) {
            // Nothing to replace, so nothing is appended either (§3.4).
            ctx.finish_no("NONEXISTENT", "The message to replace does not exist.");
            return nullptr;
        }
    }
    const st::Uid old_uid = view.uid(seq);
    auto name = take_mailbox_name(ctx, cmd.args[1]);
    if (!name)
        return nullptr;
    if (sel.read_only) {
        // The old message cannot be expunged after EXAMINE, so the new one
        // is not saved either.
        ctx.finish_no("", "Mailbox is read-only.");
        return nullptr;
    }
    if (sel.mailbox->message(seq).expunged()) {
        // RFC 2180 §4: another session expunged it; we have not told the
        // client yet.
        ctx.finish_no("EXPUNGEISSUED", "The message to replace no longer exists.");
        return nullptr;
    }
    if (!check_append_sizes(ctx, messages))
        return nullptr;
    st::Mailbox* target = nullptr;
    auto owned = open_append_target(ctx, *name, target);
    if (!target)
        return nullptr;
    auto saved = replace_message(ctx, sel, *target, messages, old_uid);
    if (!saved)
        return nullptr;
    if (saved->saved.size() == 1) {
        // §4.3: APPENDUID in an untagged OK, ahead of the EXPUNGE the sync
        // after this command sends.
        ctx.untagged("OK [APPENDUID " + std::to_string(saved->uidvalidity) + ' ' + std::to_string(saved->saved[0]) +
                     "] Replacement Message ready.");
    }
    ctx.finish_ok("", "Replace completed.");
    return nullptr;
}

} // namespace imapproto::detail
