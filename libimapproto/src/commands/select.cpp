// SELECT and EXAMINE (RFC 3501 §6.3.1, §6.3.2; RFC 7162 CONDSTORE select
// and QRESYNC parameters). The untagged lines and texts are Dovecot 2.3's,
// in its order: FLAGS, PERMANENTFLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY,
// UIDNEXT, HIGHESTMODSEQ.
#include "commands/commands.hpp"
#include "mailbox/condstore.hpp"
#include "mailbox/mailbox_names.hpp"
#include "session/rev2.hpp"
#include "session/uidonly.hpp"
#include "storage/object_id.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// RFC 7162 §3.2.5: SELECT mailbox (QRESYNC (uidvalidity modseq
// [known-uids [(seq-match-data)]])).
struct Qresync {
    std::uint32_t uidvalidity = 0;
    st::ModSeq modseq = 0;
    std::optional<st::UidSet> known;
    // §3.2.5.2: pairs of (sequence number, UID) the client holds, ascending.
    std::vector<std::pair<st::Seq, st::Uid>> seq_match;
};

// Dovecot's BAD texts carry the command name.
std::string bad_text(const Command& cmd, std::string_view message) {
    return "Error in IMAP command " + cmd.name + ": " + std::string(message);
}

// A number up to `max`, 0 included: Dovecot takes a UIDVALIDITY or modseq
// of 0 (no mailbox has UIDVALIDITY 0, so that is a plain SELECT; modseq 0
// asks for every message).
bool parse_number(const Arg& arg, std::uint64_t max, std::uint64_t& value) {
    if (arg.type != Arg::Type::atom || arg.text.empty() || arg.text.size() > 20)
        return false;
    value = 0;
    for (char c : arg.text) {
        if (c < '0' || c > '9')
            return false;
        if (value > (max - static_cast<std::uint64_t>(c - '0')) / 10)
            return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

// A sequence-set of plain numbers (no '*'), as known-uids and the two
// seq-match sets are written.
std::optional<st::UidSet> parse_plain_set(const Arg& arg) {
    if (arg.type != Arg::Type::atom || arg.text.find('*') != std::string::npos)
        return std::nullopt;
    return st::UidSet::parse(arg.text);
}

// The seq-match-data "(known-sequence-set known-uid-set)": two sets of the
// same size, paired in ascending order (§3.2.5.2). At most
// kMaxSeqMatchPairs pairs: clients send a sparse sample (RFC 7162 suggests
// exponentially spaced ones), never the whole mailbox.
constexpr std::uint64_t kMaxSeqMatchPairs = 100000;

bool parse_seq_match(const Arg& arg, Qresync& q, std::string& error) {
    if (arg.type != Arg::Type::list || arg.children.size() != 2) {
        error = "Invalid QRESYNC known-uid-set";
        return false;
    }
    auto seqs = parse_plain_set(arg.children[0]);
    auto uids = parse_plain_set(arg.children[1]);
    if (!seqs || !uids) {
        error = "Invalid QRESYNC known-uid-set";
        return false;
    }
    if (seqs->count() != uids->count() || seqs->count() > kMaxSeqMatchPairs) {
        error = "Invalid QRESYNC sets";
        return false;
    }
    auto s = seqs->to_vector();
    auto u = uids->to_vector();
    q.seq_match.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i)
        q.seq_match.emplace_back(s[i], u[i]);
    return true;
}

// The optional select parameter list: (CONDSTORE) (RFC 7162 §3.1.8) or
// (QRESYNC (...)), which needs ENABLE QRESYNC first (RFC 7162 §3.2.5).
bool parse_select_params(Context& ctx, const Arg& list, std::optional<Qresync>& qresync, std::string& error) {
    if (list.type != Arg::Type::list) {
        error = "Invalid arguments.";
        return false;
    }
    const auto& params = list.children;
    bool condstore = false;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Arg& param = params[i];
        if (param.type == Arg::Type::atom && ascii_iequals(param.text, "CONDSTORE") && !condstore) {
            condstore = true;
            continue;
        }
        if (param.type == Arg::Type::atom && ascii_iequals(param.text, "QRESYNC") && !qresync &&
            i + 1 < params.size()) {
            if (!ctx.enabled().qresync) {
                error = "QRESYNC not enabled";
                return false;
            }
            const Arg& values = params[++i];
            std::uint64_t uidvalidity = 0, modseq = 0;
            if (values.type != Arg::Type::list || values.children.size() < 2 || values.children.size() > 4 ||
                !parse_number(values.children[0], 0xFFFFFFFFu, uidvalidity) ||
                !parse_number(values.children[1], ~std::uint64_t{0} >> 1, modseq)) {
                error = "Invalid QRESYNC parameters";
                return false;
            }
            Qresync q;
            q.uidvalidity = static_cast<std::uint32_t>(uidvalidity);
            q.modseq = modseq;
            if (values.children.size() >= 3) {
                const Arg& third = values.children[2];
                if (third.type == Arg::Type::list && values.children.size() == 3) {
                    // seq-match-data without known-uids: not in the
                    // grammar, but harmless; Dovecot refuses it too.
                    error = "Invalid QRESYNC parameters";
                    return false;
                }
                q.known = parse_plain_set(third);
                if (!q.known) {
                    error = "Invalid QRESYNC known-uids";
                    return false;
                }
            }
            // seq-match-data pairs message sequence numbers with UIDs: not
            // for a UIDONLY session (RFC 9586 §3.7).
            if (values.children.size() == 4 && uidonly(ctx)) {
                error = kUidRequired;
                return false;
            }
            if (values.children.size() == 4 && !parse_seq_match(values.children[3], q, error))
                return false;
            qresync = std::move(q);
            continue;
        }
        error = "Unknown select parameter";
        return false;
    }
    // Only a SELECT that goes on turns CONDSTORE on (RFC 7162 §3.1.8).
    if (condstore)
        ctx.enabled().condstore = true;
    return true;
}

// §3.2.5.2: the highest UID of the client's (seq, uid) pairs that still
// sits at the same sequence number. New messages only get higher UIDs and
// an expunge moves every later message down, so when message `seq` still
// has `uid`, none of the UIDs below it was expunged: only UIDs above it
// need reporting. 0 when no pair matches.
st::Uid seq_match_floor(const st::View& view, const Qresync& q) {
    st::Uid floor = 0;
    for (const auto& [seq, uid] : q.seq_match) {
        if (seq == 0 || seq > view.count())
            break;
        if (view.uid(seq) != uid)
            break;
        floor = uid;
    }
    return floor;
}

// RFC 7162 §3.2.5.1: what changed since the client's modseq, when its
// UIDVALIDITY is still right: VANISHED (EARLIER) for expunged UIDs, then a
// FETCH with UID, FLAGS and MODSEQ for every changed message.
void send_qresync(Context& ctx, st::Mailbox& mailbox, const Qresync& q) {
    const st::View& view = mailbox.view();
    if (q.uidvalidity != view.uidvalidity())
        return;
    auto vanished = mailbox.expunged_since(q.modseq, q.known ? &*q.known : nullptr);
    st::UidSet gone;
    if (vanished) {
        gone = std::move(vanished).value();
    } else {
        // The history does not reach back that far (an index rebuilt from
        // the mail files, or more expunges than it keeps): every UID the
        // client may know that is no longer here, known-uids defaulting
        // to all UIDs ever given out (§3.2.5.1). The seq-match data
        // (§3.2.5.2) narrows that down: up to the last pair that still
        // matches, the client's messages are exactly the server's.
        st::UidSet candidates;
        if (q.known) {
            candidates = *q.known;
        } else if (view.uidnext() > 1) {
            candidates.add(1, view.uidnext() - 1);
        }
        if (const st::Uid floor = seq_match_floor(view, q); floor != 0) {
            st::UidSet above;
            for (const auto& r : candidates.ranges())
                if (r.last > floor)
                    above.add(std::max<st::Uid>(r.first, floor + 1), r.last);
            candidates = std::move(above);
        }
        gone = missing_uids(view, candidates);
    }
    if (!gone.empty())
        ctx.untagged("VANISHED (EARLIER) " + gone.to_string());
    for (st::Seq seq = 1; seq <= view.count(); ++seq) {
        if (view.modseq(seq) <= q.modseq)
            continue;
        st::Uid uid = view.uid(seq);
        if (q.known && !q.known->contains(uid))
            continue;
        // RFC 9586 §3.6: UIDFETCH, without the UID item, with UIDONLY.
        ctx.untagged(fetch_response_head(uidonly(ctx), seq, uid) + (uidonly(ctx) ? "" : "UID " + std::to_string(uid) + " ") +
                     "FLAGS (" +
                     flags_text(view.flags(seq), view.keywords(seq), shows_recent(ctx) && view.recent(seq)) +
                     ") MODSEQ (" + std::to_string(view.modseq(seq)) + "))");
    }
}

} // namespace

std::unique_ptr<CommandRun> cmd_select(Context& ctx, const Command& cmd) {
    const bool examine = cmd.name == "EXAMINE";
    if (cmd.args.empty() || cmd.args.size() > 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    // RFC 3501 §6.3.1: a SELECT that fails leaves no mailbox selected, so
    // the old selection goes whatever happens next. RFC 7162 §3.2.11:
    // [CLOSED] tells the client where the old mailbox's responses end.
    auto leave_old = [&ctx] {
        if (ctx.selected()) {
            ctx.deselect();
            ctx.untagged("OK [CLOSED] Previous mailbox closed.");
        }
    };
    std::string error;
    std::optional<Qresync> qresync;
    if (cmd.args.size() == 2 && !parse_select_params(ctx, cmd.args[1], qresync, error)) {
        leave_old();
        ctx.finish_bad(error == kUidRequired ? error : bad_text(cmd, error));
        return nullptr;
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name) {
        leave_old();
        return nullptr;
    }
    st::OpenOptions options;
    options.read_only = examine;
    // EXAMINE must not change \Recent (RFC 3501 §6.3.2).
    options.claim_recent = !examine;
    auto opened = st::Mailbox::open(ctx.user(), *name, options);
    if (!opened) {
        leave_old();
        const auto& status = opened.status();
        // A \Noselect level holds no mail: Dovecot calls it nonexistent.
        if (status.code() == mailstore::Status::Code::invalid_argument)
            ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*name));
        else
            finish_mailbox_error(ctx, status, *name);
        return nullptr;
    }
    const bool read_only = examine || opened->read_only();
    ctx.select(std::make_unique<st::Mailbox>(std::move(opened.value())), read_only);
    Selected* sel = ctx.selected();
    if (!sel) {
        ctx.finish_status(mailstore::Status::error(mailstore::Status::Code::internal, "SELECT: selection lost"));
        return nullptr;
    }
    ctx.send_flags();
    const st::View& view = sel->mailbox->view();
    sel->expunges_reported_at = view.highest_modseq();
    ctx.untagged(std::to_string(view.count()) + " EXISTS");
    // RFC 9051 §6.3.2: no RECENT and no UNSEEN code in IMAP4rev2.
    if (shows_recent(ctx)) {
        ctx.untagged(std::to_string(view.recent_count()) + " RECENT");
        // The UNSEEN code names a sequence number, which a UIDONLY
        // session is never given (RFC 9586 §3).
        if (st::Seq first = view.first_unseen(); first != 0 && !uidonly(ctx))
            ctx.untagged("OK [UNSEEN " + std::to_string(first) + "] First unseen.");
    }
    ctx.untagged("OK [UIDVALIDITY " + std::to_string(view.uidvalidity()) + "] UIDs valid");
    ctx.untagged("OK [UIDNEXT " + std::to_string(view.uidnext()) + "] Predicted next UID");
    // RFC 4467 BASE.7.1.URLMECH: SELECT/EXAMINE return the URLAUTH
    // mechanisms in an untagged OK (Dovecot 2.3 omits it); only while
    // URLAUTH is advertised (imap_urlauth_host set).
    if (!ctx.settings().urlauth_host.empty())
        ctx.untagged("OK [URLMECH INTERNAL] URLAUTH mechanisms");
    // RFC 7162 §3.1.2.1 (as RFC 4551 §3.1.1): a server that keeps modseqs
    // MUST send HIGHESTMODSEQ with every successful SELECT or EXAMINE; Loft
    // keeps them for every mailbox. (Dovecot sends it only once CONDSTORE
    // was used; clients that never enable it ignore the code.)
    ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(view.highest_modseq()) + "] Highest");
    // RFC 8474 §4.2: an untagged OK [MAILBOXID (<objectid>)] on every
    // successful SELECT and EXAMINE.
    ctx.untagged("OK [MAILBOXID (" + st::mailbox_object_id(sel->mailbox->guid()) + ")] Ok");
    if (rev2(ctx))
        send_selected_list(ctx, sel->mailbox->name());
    if (qresync)
        send_qresync(ctx, *sel->mailbox, *qresync);
    ctx.finish_ok(read_only ? "READ-ONLY" : "READ-WRITE", examine ? "Examine completed." : "Select completed.");
    return nullptr;
}

} // namespace imapproto::detail
