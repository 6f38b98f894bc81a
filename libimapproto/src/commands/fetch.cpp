// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8; RFC 3516 BINARY; RFC 7162
// §3.1.4 MODSEQ and the CHANGEDSINCE modifier).
//
// The command resolves the message set, sets \Seen on the messages a
// non-PEEK body item reads (one transaction, before any output, so the
// FLAGS sent are what is stored), and then answers message by message in
// ascending order (fetch/fetch_message.hpp). It is resumable: whenever the
// output passes the high-water mark it returns Progress::more_output and
// goes on after the flush, also in the middle of a big body.
#include "ascii.hpp"
#include "commands/commands.hpp"
#include "commands/message_limit.hpp"
#include "commands/partial_range.hpp"
#include "fetch/fetch_items.hpp"
#include "fetch/fetch_message.hpp"
#include "mailbox/condstore.hpp"
#include "session/progress.hpp"
#include "session/uidonly.hpp"

#include <mailstore/search.hpp>

#include <memory>
#include <string>
#include <vector>

namespace imapproto::detail {

namespace ms = mailstore::storage;
using fetch::FetchItem;
using fetch::FetchRequest;
using fetch::ItemKind;
using fetch::MessageFetch;

namespace {

// Dovecot's wording: "Error in IMAP command FETCH: Invalid messageset", and
// for UID FETCH (like every UID command) "... UID FETCH: Invalid uidset".
void syntax_error(Context& ctx, std::string_view message) {
    std::string text = ctx.command().uid ? "Error in IMAP command UID FETCH: " : "Error in IMAP command FETCH: ";
    text += message;
    ctx.finish_bad(text);
}

// The FETCH modifiers: "(CHANGEDSINCE <mod-sequence-valzer>)" (RFC 7162
// §3.1.4.1), for UID FETCH with QRESYNC enabled VANISHED (§3.2.6), and for
// UID FETCH "PARTIAL <range>" (RFC 9394 §3.3), in any order. false with
// `error` (the BAD text) for anything else.
struct FetchModifiers {
    std::optional<ms::ModSeq> changed_since;
    bool vanished = false;
    std::optional<PartialRange> partial;
};

bool parse_modseq_value(const Arg& arg, ms::ModSeq& modseq) {
    // mod-sequence-valzer: 0 .. 2^63-1.
    if (arg.type != Arg::Type::atom || arg.text.empty() || arg.text.size() > 19)
        return false;
    modseq = 0;
    for (char c : arg.text) {
        if (c < '0' || c > '9')
            return false;
        modseq = modseq * 10 + static_cast<unsigned>(c - '0');
    }
    return modseq <= static_cast<ms::ModSeq>(INT64_MAX);
}

bool parse_modifiers(Context& ctx, const Arg& arg, FetchModifiers& mods, std::string& error) {
    if (arg.type != Arg::Type::list || arg.children.empty() || arg.children.size() > 5) {
        error = "Unknown FETCH modifier";
        return false;
    }
    const auto& items = arg.children;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].type != Arg::Type::atom) {
            error = "Unknown FETCH modifier";
            return false;
        }
        if (ascii_iequals(items[i].text, "CHANGEDSINCE") && !mods.changed_since) {
            ms::ModSeq modseq = 0;
            if (i + 1 >= items.size() || !parse_modseq_value(items[i + 1], modseq)) {
                error = "Invalid CHANGEDSINCE modseq";
                return false;
            }
            mods.changed_since = modseq;
            ++i;
        } else if (ascii_iequals(items[i].text, "VANISHED") && !mods.vanished) {
            mods.vanished = true;
        } else if (ascii_iequals(items[i].text, "PARTIAL") && !mods.partial) {
            // RFC 9394 §3.3: the same range as the PARTIAL search return
            // option; it extends UID FETCH only.
            if (i + 1 >= items.size() || items[i + 1].type != Arg::Type::atom ||
                !(mods.partial = parse_partial_range(items[i + 1].text))) {
                error = "Invalid PARTIAL range";
                return false;
            }
            if (!ctx.command().uid) {
                error = "PARTIAL only allowed with UID FETCH";
                return false;
            }
            ++i;
        } else {
            error = "Unknown FETCH modifier";
            return false;
        }
    }
    if (mods.vanished) {
        // RFC 7162 §3.2.6: VANISHED needs UID FETCH, QRESYNC enabled and
        // CHANGEDSINCE; a tagged BAD otherwise (Dovecot's texts).
        if (!ctx.command().uid) {
            error = "VANISHED only allowed with UID FETCH";
            return false;
        }
        if (!ctx.enabled().qresync) {
            error = "QRESYNC not enabled";
            return false;
        }
        if (!mods.changed_since) {
            error = "VANISHED used without CHANGEDSINCE";
            return false;
        }
    }
    return true;
}

// CHANGEDSINCE implies MODSEQ in every response (RFC 7162 §3.1.4.1).
void add_modseq(FetchRequest& req) {
    if (req.has_modseq)
        return;
    FetchItem item;
    item.kind = ItemKind::modseq;
    item.name = "MODSEQ";
    req.items.insert(req.items.begin() + static_cast<std::ptrdiff_t>(req.flags_insert_at), std::move(item));
    ++req.flags_insert_at;
    req.has_modseq = true;
}

class FetchRun final : public CommandRun {
public:
    FetchRun(FetchRequest request, ms::UidSet uids, ms::UidSet seen_added, std::optional<ms::ModSeq> changed_since,
             std::optional<ms::ModSeq> announce_highest)
        : request_(std::move(request)), uids_(std::move(uids)), seen_added_(std::move(seen_added)),
          changed_since_(changed_since), announce_highest_(announce_highest) {}

    // RFC 9738 §3.1: the set was cut to the messages from this UID up.
    void set_cut(std::optional<ms::Uid> cut) { cut_ = cut; }

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            ctx.finish_no("", "No mailbox selected");
            return Progress::done;
        }
        ms::Mailbox& mailbox = *sel->mailbox;
        for (;;) {
            if (current_) {
                if (!current_->write(ctx))
                    return Progress::more_output;
                account(ctx, *current_);
                current_.reset();
            }
            if (ctx.output_full())
                return Progress::more_output;
            ms::Seq seq = next_seq(mailbox.view());
            if (seq == 0) {
                if (!deferred_previews_.empty() && !previews_flushed_) {
                    // PREVIEW (LAZY): the answers go out first (RFC 8970 §4).
                    previews_flushed_ = true;
                    return Progress::more_output;
                }
                break;
            }
            ++visited_;
            if (changed_since_ && mailbox.view().modseq(seq) <= *changed_since_)
                continue;
            bool seen = !seen_added_.empty() && seen_added_.contains(mailbox.view().uid(seq));
            current_ = std::make_unique<MessageFetch>(mailbox, request_, seq, seen);
            // RFC 9585: progress (the messages before this one are done),
            // sent before this message's answer.
            if (progress_.due(ctx)) {
                progress_.write(ctx, visited_ - 1, total(mailbox.view()));
                return Progress::more_output;
            }
        }
        compute_deferred_previews(mailbox);
        finish(ctx);
        return Progress::done;
    }

private:
    // How many messages the set names (for INPROGRESS's GOAL; counted only
    // when a report is due).
    std::uint64_t total(const ms::View& view) const {
        std::uint64_t n = 0;
        for (const ms::UidRange& r : uids_.ranges()) {
            auto [first, last] = view.seq_range(r.first, r.last);
            if (first != 0)
                n += last - first + 1;
        }
        return n;
    }

    // The next message in ascending sequence order, 0 at the end. The set
    // holds UIDs; each UID range is a run of sequence numbers in the view.
    // A FETCH cut by MESSAGELIMIT goes from the highest UID down instead
    // (RFC 9738 §3.1: "REQUIRED to process messages from highest to lowest
    // UID", as its examples answer).
    ms::Seq next_seq(const ms::View& view) {
        const auto& ranges = uids_.ranges();
        if (cut_) {
            while (true) {
                if (seq_ != 0 && seq_ > seq_first_)
                    return --seq_;
                if (range_ >= ranges.size())
                    return 0;
                const ms::UidRange& r = ranges[ranges.size() - 1 - range_];
                auto [first, last] = view.seq_range(r.first, r.last);
                ++range_;
                if (first == 0)
                    continue;
                seq_ = last;
                seq_first_ = first;
                return seq_;
            }
        }
        while (true) {
            if (seq_ != 0 && seq_ < seq_last_)
                return ++seq_;
            if (range_ >= ranges.size())
                return 0;
            auto [first, last] = view.seq_range(ranges[range_].first, ranges[range_].last);
            ++range_;
            if (first == 0)
                continue;
            seq_ = first;
            seq_last_ = last;
            return seq_;
        }
    }

    // RFC 8970 §4: a preview PREVIEW (LAZY) answered NIL for is made now,
    // after the client has its answers, so a later FETCH finds it cached.
    // Bounded per command; the rest are made when next asked for.
    static constexpr std::size_t kMaxDeferredPreviews = 100;

    void compute_deferred_previews(ms::Mailbox& mailbox) {
        for (ms::Uid uid : deferred_previews_) {
            ms::Seq seq = mailbox.view().seq(uid);
            if (seq != 0)
                fetch::message_preview(mailbox.message(seq));
        }
        deferred_previews_.clear();
    }

    void account(Context& ctx, const MessageFetch& m) {
        const auto& o = m.outcome();
        if (o.preview_deferred && deferred_previews_.size() < kMaxDeferredPreviews)
            deferred_previews_.push_back(m.uid());
        expunged_ = expunged_ || o.expunged;
        unknown_cte_ = unknown_cte_ || o.unknown_cte;
        invalid_data_ = invalid_data_ || o.invalid_data;
        if (!o.error.is_ok() && error_.is_ok())
            error_ = o.error;
        SessionStats& stats = ctx.stats();
        if (m.sent_header()) {
            ++stats.fetch_hdr_count;
            stats.fetch_hdr_bytes += m.header_bytes();
        }
        if (m.sent_body()) {
            ++stats.fetch_body_count;
            stats.fetch_body_bytes += m.body_bytes();
        }
    }

    void finish(Context& ctx) {
        // RFC 7162 §3.1: the first CONDSTORE enabling command reports
        // HIGHESTMODSEQ. After the FETCH data (Dovecot sends it first;
        // either is allowed), with the value from before the command so it
        // covers no change the client has not heard of yet.
        if (announce_highest_)
            ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(*announce_highest_) + "] Highest");
        static constexpr std::string_view cut_text = "Fetch completed with partial results.";
        if (!error_.is_ok() || unknown_cte_ || invalid_data_)
            announce_cut(ctx, cut_, cut_text);
        if (!error_.is_ok())
            ctx.finish_no("SERVERBUG", internal_error_text());
        else if (unknown_cte_)
            ctx.finish_no("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding.");
        else if (invalid_data_)
            ctx.finish_no("PARSE", "Invalid data in MIME part.");
        else if (expunged_)
            finish_ok_limited(ctx, cut_, "EXPUNGEISSUED", "Some messages were already expunged.", cut_text);
        else
            finish_ok_limited(ctx, cut_, "", "Fetch completed.", cut_text);
    }

    FetchRequest request_;
    ms::UidSet uids_;
    ms::UidSet seen_added_;
    std::optional<ms::ModSeq> changed_since_;
    std::optional<ms::ModSeq> announce_highest_;
    std::optional<ms::Uid> cut_;
    std::size_t range_ = 0;
    ms::Seq seq_ = 0;
    ms::Seq seq_last_ = 0;
    ms::Seq seq_first_ = 0; // descending (cut) order: the range's lowest
    std::unique_ptr<MessageFetch> current_;
    ProgressReport progress_;
    std::uint64_t visited_ = 0; // messages of the set reached, for INPROGRESS
    std::vector<ms::Uid> deferred_previews_;
    bool previews_flushed_ = false;
    bool expunged_ = false;
    bool unknown_cte_ = false;
    bool invalid_data_ = false;
    mailstore::Status error_;
};

// Sets \Seen on the messages of `uids` that lack it, in one transaction.
// Returns the UIDs it changed (empty when none, or on failure, which is
// logged: the data is still sent, as with a read-only mailbox). They are
// recorded as this session's own changes: the FETCH responses carry the
// new FLAGS, so the update after the command does not repeat them.
ms::UidSet set_seen(Context& ctx, Selected& sel, const ms::UidSet& uids) {
    ms::Mailbox& mailbox = *sel.mailbox;
    const ms::View& view = mailbox.view();
    ms::UidSet unseen;
    for (const ms::UidRange& r : uids.ranges()) {
        auto [first, last] = view.seq_range(r.first, r.last);
        for (ms::Seq seq = first; seq != 0 && seq <= last; ++seq)
            if ((view.flags(seq) & ms::flag_seen) == 0 && !mailbox.message(seq).expunged())
                unseen.add(view.uid(seq));
    }
    if (unseen.empty())
        return unseen;
    auto tx = mailbox.begin();
    ms::FlagUpdate update;
    update.mode = ms::FlagUpdate::Mode::add;
    update.flags = ms::flag_seen;
    auto st = tx.update_flags(unseen, update);
    if (st.is_ok()) {
        auto committed = tx.commit();
        if (committed) {
            for (const ms::UidRange& r : unseen.ranges()) {
                auto [first, last] = view.seq_range(r.first, r.last);
                for (ms::Seq seq = first; seq != 0 && seq <= last; ++seq) {
                    OwnChange& own = sel.own_changes[view.uid(seq)];
                    own.modseq = committed->modseq;
                    own.flags = static_cast<ms::MailFlags>(view.flags(seq) | ms::flag_seen);
                    own.keywords = view.keywords(seq);
                    // RFC 7162 §3.1: with CONDSTORE the implicit \Seen
                    // change is reported with its modseq ("* n FETCH
                    // (MODSEQ (m))" after the data, as Dovecot does); the
                    // FLAGS went out with the data.
                    own.echo = ctx.enabled().condstore ? OwnChange::Echo::modseq : OwnChange::Echo::none;
                }
            }
            return unseen;
        }
        st = committed.status();
    }
    ctx.log().errorf("FETCH: setting \\Seen in {} failed: {}", mailbox.name(), st.message());
    return {};
}

} // namespace

std::unique_ptr<CommandRun> cmd_fetch(Context& ctx, const Command& cmd) {
    Selected* sel = ctx.selected();
    if (sel == nullptr || !sel->mailbox) {
        ctx.finish_bad("No mailbox selected.");
        return nullptr;
    }
    if (cmd.args.size() < 2 || cmd.args.size() > 3) {
        syntax_error(ctx, "Invalid arguments");
        return nullptr;
    }
    std::optional<mailstore::search::SequenceSet> set;
    if (cmd.args[0].type == Arg::Type::atom)
        set = mailstore::search::SequenceSet::parse(cmd.args[0].text, true);
    if (!set) {
        syntax_error(ctx, cmd.uid ? "Invalid uidset" : "Invalid messageset");
        return nullptr;
    }
    std::string error;
    // UID FETCH adds the UID item (RFC 3501 §6.4.8) unless the response is
    // UIDFETCH, whose number is the UID (RFC 9586 §3.3).
    auto request = fetch::parse_fetch_items(cmd.args[1], cmd.uid && !uidonly(ctx), error);
    if (!request) {
        syntax_error(ctx, error);
        return nullptr;
    }
    FetchModifiers mods;
    if (cmd.args.size() == 3) {
        if (!parse_modifiers(ctx, cmd.args[2], mods, error)) {
            syntax_error(ctx, error);
            return nullptr;
        }
        if (mods.changed_since)
            add_modseq(*request);
    }

    ms::Mailbox& mailbox = *sel->mailbox;
    const ms::View& view = mailbox.view();
    ms::UidSet uids;
    if (cmd.uid) {
        uids = set->resolve_uids(view, &ctx.saved_result());
    } else {
        auto resolved = set->resolve_seqs(view, &ctx.saved_result());
        if (!resolved) {
            syntax_error(ctx, "Invalid messageset");
            return nullptr;
        }
        uids = std::move(resolved).value();
    }
    // RFC 9738 §3.1: a PARTIAL range longer than imap_message_limit is
    // refused before any work; without PARTIAL, only the messages with the
    // highest UIDs are fetched (and get \Seen).
    const std::uint64_t limit = ctx.settings().message_limit;
    if (mods.partial && limit != 0 && std::uint64_t{mods.partial->high()} - mods.partial->low() + 1 > limit) {
        ctx.finish_no(message_limit_code(ctx, 0),
                      "FETCH exceeds the maximum " + std::to_string(limit) + "-message limit");
        return nullptr;
    }
    std::optional<ms::Uid> cut;
    if (!mods.partial)
        cut = cut_to_message_limit(ctx, view, uids);
    // RFC 9394 §3.3: only the messages at the PARTIAL positions.
    if (mods.partial)
        uids = partial_fetch_uids(view, uids, mods.changed_since, *mods.partial);
    // RFC 7162 §3.1: MODSEQ and CHANGEDSINCE are CONDSTORE-enabling.
    std::optional<ms::ModSeq> announce_highest;
    if (request->has_modseq && !ctx.enabled().condstore) {
        ctx.enabled().condstore = true;
        announce_highest = view.highest_modseq();
    }
    // RFC 7162 §3.2.6: the UIDs of the set expunged since CHANGEDSINCE,
    // before the FETCH data. Without the history that far back, every UID
    // of the set that is gone (a superset, never a wrong answer).
    if (mods.vanished) {
        ms::UidSet asked;
        const ms::Uid top = view.uidnext() > 1 ? view.uidnext() - 1 : 0;
        for (const auto& r : set->ranges) {
            const ms::Uid first = r.first == mailstore::search::SequenceSet::star ? top : r.first;
            const ms::Uid last = r.last == mailstore::search::SequenceSet::star ? top : r.last;
            asked.add(first, last);
        }
        if (set->saved)
            asked = ctx.saved_result();
        auto gone = mailbox.expunged_since(*mods.changed_since, &asked);
        ms::UidSet vanished = gone ? std::move(gone).value() : missing_uids(view, asked);
        if (!vanished.empty())
            ctx.untagged("VANISHED (EARLIER) " + vanished.to_string());
    }

    // RFC 3501 §6.4.5: reading a body part without PEEK sets \Seen (not in a
    // read-only mailbox). This session's own change is reported in the
    // FETCH responses themselves, so the update after the command must not
    // echo it.
    ms::UidSet seen_added;
    if (request->sets_seen && !sel->read_only && !mailbox.read_only() && !uids.empty()) {
        seen_added = set_seen(ctx, *sel, uids);
    }

    auto run = std::make_unique<FetchRun>(std::move(*request), std::move(uids), std::move(seen_added),
                                          mods.changed_since, announce_highest);
    run->set_cut(cut);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
