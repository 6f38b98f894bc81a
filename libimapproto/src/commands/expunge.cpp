// EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1: only the given
// UIDs that are \Deleted). The command only commits the expunge; the
// session's sync after it sends the "* n EXPUNGE" lines, each numbered
// after the previous ones were removed. With QRESYNC enabled the tagged OK
// carries the new HIGHESTMODSEQ when something was expunged (RFC 7162
// §3.2.7, §3.2.9; Dovecot: only then, and not for CLOSE).
#include "commands/commands.hpp"
#include "commands/message_limit.hpp"
#include "mailbox/expunge_deleted.hpp"

#include <mailstore/search.hpp>

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_expunge(Context& ctx, const Command& cmd) {
    Selected* sel = ctx.selected();
    if (!sel || !sel->mailbox) {
        ctx.finish_bad("No mailbox selected");
        return nullptr;
    }
    std::optional<mailstore::storage::UidSet> within;
    if (cmd.uid) {
        if (cmd.args.size() != 1 || cmd.args[0].type != Arg::Type::atom) {
            ctx.finish_bad("Invalid arguments.");
            return nullptr;
        }
        auto set = mailstore::search::SequenceSet::parse(cmd.args[0].text);
        if (!set) {
            ctx.finish_bad("Invalid uidset");
            return nullptr;
        }
        within = set->resolve_uids(sel->mailbox->view(), &ctx.saved_result());
    } else if (!cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    if (sel->read_only) {
        // Nothing may change after EXAMINE; Dovecot answers OK and removes
        // nothing, and so do we.
        ctx.finish_ok("", "Expunge completed.");
        return nullptr;
    }
    // The \Deleted flags other sessions set count too (Dovecot expunges
    // what is stored, not what this session was told): their changes are
    // reported first, so the view the expunge works on is current.
    ctx.send_updates(true);
    if (ctx.selected() != sel) {
        ctx.finish_no("", "Mailbox closed.");
        return nullptr;
    }
    // RFC 9738 §3.1: UID EXPUNGE removes at most imap_message_limit
    // \Deleted messages, those with the highest UIDs; EXPUNGE (and CLOSE)
    // are never limited.
    std::optional<mailstore::storage::Uid> cut;
    if (within) {
        const mailstore::storage::View& view = sel->mailbox->view();
        cut = cut_to_message_limit(ctx, view, *within, [&view](mailstore::storage::Seq seq) {
            return (view.flags(seq) & mailstore::storage::flag_deleted) != 0;
        });
    }
    static constexpr std::string_view cut_text = "UID EXPUNGE completed for the messages with the highest UIDs.";
    const auto expunged_before = ctx.stats().expunged;
    if (auto status = expunge_deleted(ctx, *sel->mailbox, within ? &*within : nullptr); !status) {
        ctx.finish_status(status);
        return nullptr;
    }
    if (ctx.enabled().qresync && ctx.stats().expunged != expunged_before) {
        // The VANISHED responses go out now rather than after the command,
        // so the HIGHESTMODSEQ below is that of a view the client has been
        // told everything about (RFC 7162 §3.2: the client must not lose a
        // change when it resyncs from this value later).
        ctx.send_updates(true);
        if (Selected* now = ctx.selected(); now && now->mailbox) {
            finish_ok_limited(ctx, cut, "HIGHESTMODSEQ " + std::to_string(now->mailbox->view().highest_modseq()),
                              "Expunge completed.", cut_text);
            return nullptr;
        }
    }
    finish_ok_limited(ctx, cut, "", "Expunge completed.", cut_text);
    return nullptr;
}

} // namespace imapproto::detail
