// ESEARCH/ESORT UPDATE contexts (RFC 5267 §4).
//
// A context keeps its result as UIDs, so expunges and new messages do not
// invalidate it; sequence numbers are computed from the view when an
// update is written. SEARCH contexts hold the result as ranges and report
// at context position 0 in mailbox order (§4.3.3, §4.3.4); SORT contexts
// hold the UIDs in sort order and report 1-based positions in it.
#include "session/search_updates.hpp"

#include "session/context.hpp"

#include <imapproto/string_writer.hpp>

#include <algorithm>
#include <ctime>
#include <utility>

namespace imapproto::detail {

namespace ms = mailstore::storage;
namespace search = mailstore::search;

// One open context. Not in the anonymous namespace: SearchUpdates::State
// holds it.
struct UpdateContext {
    std::string tag;
    search::Program program;
    bool uid = false;
    std::vector<search::SortCriterion> sort;
    bool reads_flags = true;    // flag changes can change the result
    ms::UidSet set;             // the matching UIDs
    std::vector<ms::Uid> order; // SORT: the same UIDs in sort order

    bool sorted() const { return !sort.empty(); }
    std::uint64_t size() const { return set.count(); }
    bool contains(ms::Uid uid) const { return set.contains(uid); }
};

namespace {

// Up to this many new matches of a SORT context are placed by binary
// search; more are placed by sorting the whole result once.
constexpr std::size_t kInsertOneByOne = 64;

// One "position ids" pair of ADDTO/REMOVEFROM: ids in the requested order.
struct Run {
    std::size_t position = 0;
    std::vector<std::uint32_t> ids;
};

// Whether a message's match can change when only its flags, keywords or
// modseq change (the rest of a message never changes).
bool reads_flags(const search::Node& node) {
    using K = search::Key;
    switch (node.key) {
    case K::answered:
    case K::deleted:
    case K::draft:
    case K::flagged:
    case K::seen:
    case K::recent:
    case K::new_:
    case K::old:
    case K::unanswered:
    case K::undeleted:
    case K::undraft:
    case K::unflagged:
    case K::unseen:
    case K::keyword:
    case K::unkeyword:
    case K::modseq:
        return true;
    default:
        break;
    }
    for (const auto& child : node.children)
        if (reads_flags(child))
            return true;
    return false;
}

// Replaces sequence-number keys and "$" by the UIDs they name now
// (RFC 5267 §4.3: they are evaluated when the command is received).
void freeze_sets(search::Node& node, const ms::View& view, const ms::UidSet* saved) {
    if (node.key == search::Key::sequence || (node.key == search::Key::uid && node.set.saved)) {
        ms::UidSet uids;
        if (node.key == search::Key::sequence) {
            auto resolved = node.set.resolve_seqs(view, saved);
            if (resolved) {
                uids = std::move(resolved).value();
            } else {
                // Numbers beyond the view name nothing (SEARCH clamps them).
                for (const auto& range : node.set.ranges) {
                    const ms::Seq count = view.count();
                    ms::Seq first = range.first == search::SequenceSet::star ? count : range.first;
                    ms::Seq last = range.last == search::SequenceSet::star ? count : range.last;
                    if (first > last)
                        std::swap(first, last);
                    for (ms::Seq seq = first; seq <= std::min(last, count) && seq != 0; ++seq)
                        uids.add(view.uid(seq));
                }
            }
        } else {
            uids = node.set.resolve_uids(view, saved);
        }
        if (uids.empty()) {
            // Matches nothing: NOT ALL.
            node.key = search::Key::not_;
            node.set = {};
            node.children.assign(1, search::Node{});
            return;
        }
        node.key = search::Key::uid;
        node.set = {};
        for (const auto& range : uids.ranges())
            node.set.ranges.push_back({range.first, range.last});
        return;
    }
    for (auto& child : node.children)
        freeze_sets(child, view, saved);
}

// "2:4,9" for ids in the given order: ranges only where they ascend by one
// (RFC 5267 §3.2).
void append_ids(std::string& line, const std::vector<std::uint32_t>& ids) {
    std::size_t i = 0;
    while (i < ids.size()) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
            ++j;
        if (i != 0)
            line += ',';
        line += std::to_string(ids[i]);
        if (j > i) {
            line += ':';
            line += std::to_string(ids[j]);
        }
        i = j + 1;
    }
}

void append_runs(std::string& line, std::string_view item, const std::vector<Run>& runs) {
    if (runs.empty())
        return;
    line += ' ';
    line += item;
    line += " (";
    bool first = true;
    for (const Run& run : runs) {
        if (!first)
            line += ' ';
        first = false;
        line += std::to_string(run.position);
        line += ' ';
        append_ids(line, run.ids);
    }
    line += ')';
}

// "* ESEARCH (TAG "t") [UID] REMOVEFROM (...) ADDTO (...)" (RFC 5267 §5);
// nothing when both are empty.
void write_update(Context& ctx, const UpdateContext& c, const std::vector<Run>& removed,
                  const std::vector<Run>& added) {
    if (removed.empty() && added.empty())
        return;
    std::string line = "ESEARCH (TAG ";
    write_string(line, c.tag);
    line += ')';
    if (c.uid)
        line += " UID";
    append_runs(line, "REMOVEFROM", removed);
    append_runs(line, "ADDTO", added);
    ctx.untagged(line);
}

// Adds `id` at `position` to the runs, joining the previous run when it
// continues it.
void push_run(std::vector<Run>& runs, std::size_t position, std::uint32_t id, bool removal) {
    if (!runs.empty()) {
        Run& last = runs.back();
        // An insertion continues a run at the next position; a removal at
        // the same position (the list closed up behind the previous one).
        const std::size_t next = removal ? last.position : last.position + last.ids.size();
        if (last.position != 0 && position == next) {
            last.ids.push_back(id);
            return;
        }
    }
    runs.push_back({position, {id}});
}

// Position 0 runs for a SEARCH context: one set, in mailbox order.
std::vector<Run> unordered_run(std::vector<std::uint32_t> ids) {
    std::vector<Run> runs;
    if (ids.empty())
        return runs;
    std::sort(ids.begin(), ids.end());
    runs.push_back({0, std::move(ids)});
    return runs;
}

// Whether message `a` sorts before `b` (sequence numbers of the view).
bool sorts_before(ms::Mailbox& mailbox, ms::Seq a, ms::Seq b,
                  const std::vector<search::SortCriterion>& criteria) {
    if (a == b)
        return false;
    auto sorted = search::sort(mailbox, {a, b}, criteria);
    if (!sorted || sorted.value().size() != 2)
        return a < b; // RFC 5256 §3's tie-break when the keys cannot be read
    return sorted.value().front() == a;
}

// Takes the UIDs in `gone` out of a SORT context's order in one pass and
// returns the REMOVEFROM runs: positions count in the list as it shrinks
// (RFC 5267 §4.3.4). `id_of` gives the number to report for a UID.
template <typename IdOf>
std::vector<Run> remove_sorted(std::vector<ms::Uid>& order, const ms::UidSet& gone, IdOf id_of) {
    std::vector<Run> runs;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const ms::Uid uid = order[i];
        if (gone.contains(uid)) {
            push_run(runs, kept + 1, id_of(uid), true);
            continue;
        }
        order[kept++] = uid;
    }
    order.resize(kept);
    return runs;
}

// Places the new matches `gained` (sequence numbers) in a SORT context and
// returns the ADDTO runs (RFC 5267 §4.3.3): inserted in sort order, each at
// its final place, so neighbours join into one run.
std::vector<Run> insert_sorted(ms::Mailbox& mailbox, UpdateContext& c,
                               std::vector<ms::Seq> gained) {
    std::vector<Run> runs;
    if (gained.empty())
        return runs;
    const ms::View& view = mailbox.view();
    auto report = [&](ms::Seq seq) { return c.uid ? view.uid(seq) : seq; };
    for (ms::Seq seq : gained)
        c.set.add(view.uid(seq));
    if (gained.size() > kInsertOneByOne) {
        // Many at once: sort the whole result again (keys come from the
        // cache) and walk it.
        std::vector<ms::Seq> all;
        all.reserve(c.order.size() + gained.size());
        for (ms::Uid uid : c.order)
            if (const ms::Seq seq = view.seq(uid); seq != 0)
                all.push_back(seq);
        all.insert(all.end(), gained.begin(), gained.end());
        auto sorted = search::sort(mailbox, all, c.sort);
        if (sorted && sorted.value().size() == all.size()) {
            std::sort(gained.begin(), gained.end());
            c.order.clear();
            for (ms::Seq seq : sorted.value()) {
                c.order.push_back(view.uid(seq));
                if (std::binary_search(gained.begin(), gained.end(), seq))
                    push_run(runs, c.order.size(), report(seq), false);
            }
            return runs;
        }
    }
    auto sorted = search::sort(mailbox, gained, c.sort);
    if (sorted)
        gained = std::move(sorted).value();
    for (ms::Seq seq : gained) {
        // Binary search over the sorted list.
        std::size_t low = 0;
        std::size_t high = c.order.size();
        while (low < high) {
            const std::size_t mid = low + (high - low) / 2;
            const ms::Seq other = view.seq(c.order[mid]);
            if (other != 0 && sorts_before(mailbox, other, seq, c.sort))
                low = mid + 1;
            else
                high = mid;
        }
        c.order.insert(c.order.begin() + static_cast<std::ptrdiff_t>(low), view.uid(seq));
        push_run(runs, low + 1, report(seq), false);
    }
    return runs;
}

} // namespace

struct SearchUpdates::State {
    std::vector<UpdateContext> contexts;

    UpdateContext* find(std::string_view tag) {
        for (auto& c : contexts)
            if (c.tag == tag)
                return &c;
        return nullptr;
    }
};

SearchUpdates::SearchUpdates() : state_(std::make_unique<State>()) {}
SearchUpdates::~SearchUpdates() = default;

bool SearchUpdates::has_context(std::string_view tag) const {
    return state_->find(tag) != nullptr;
}

std::size_t SearchUpdates::size() const {
    return state_->contexts.size();
}

bool SearchUpdates::add_context(Context& ctx, std::string tag, SearchContextSpec spec,
                                const std::vector<ms::Seq>& result) {
    Selected* sel = ctx.selected();
    if (sel == nullptr || !sel->mailbox)
        return false;
    std::string refusal;
    if (state_->contexts.size() >= kMaxContexts)
        refusal = "Too many contexts";
    else if (result.size() > kMaxContextResults)
        refusal = "Too many results to keep up to date";
    if (!refusal.empty()) {
        // RFC 5267 §4.3.1.
        std::string line = "NO [NOUPDATE ";
        write_string(line, tag);
        line += "] " + refusal;
        ctx.untagged(line);
        return false;
    }
    const ms::View& view = sel->mailbox->view();
    UpdateContext c;
    c.tag = std::move(tag);
    c.program = std::move(spec.program);
    c.uid = spec.uid;
    c.sort = std::move(spec.sort);
    freeze_sets(c.program.root, view, &ctx.saved_result());
    c.program.uses_saved = false;
    c.reads_flags = reads_flags(c.program.root);
    if (c.sorted()) {
        c.order.reserve(result.size());
        for (ms::Seq seq : result)
            c.order.push_back(view.uid(seq));
    }
    for (ms::Seq seq : result)
        c.set.add(view.uid(seq));
    state_->contexts.push_back(std::move(c));
    return true;
}

bool SearchUpdates::cancel(std::string_view tag) {
    auto& contexts = state_->contexts;
    auto it = std::find_if(contexts.begin(), contexts.end(),
                           [&](const UpdateContext& c) { return c.tag == tag; });
    if (it == contexts.end())
        return false;
    contexts.erase(it);
    return true;
}

void SearchUpdates::before_expunges(Context& ctx, const ms::SyncResult& r) {
    if (state_->contexts.empty() || r.expunged_uids.empty())
        return;
    Selected* sel = ctx.selected();
    if (sel == nullptr || !sel->mailbox)
        return;
    const ms::View& view = sel->mailbox->view();
    // The sequence number the client still knows for an expunged UID: the
    // messages before it in the view now plus the expunged ones before it
    // (counted through prefix sums over the expunged ranges, so many
    // expunges cost O(k log k), not O(k^2)).
    const auto& gone_ranges = r.expunged_uids.ranges();
    std::vector<std::uint32_t> gone_before(gone_ranges.size(), 0);
    for (std::size_t i = 1; i < gone_ranges.size(); ++i)
        gone_before[i] =
            gone_before[i - 1] + (gone_ranges[i - 1].last - gone_ranges[i - 1].first + 1);
    auto old_seq = [&](ms::Uid uid) -> std::uint32_t {
        std::uint32_t before = 0;
        if (uid > 1)
            before = view.seq_range(1, uid - 1).second;
        auto next =
            std::upper_bound(gone_ranges.begin(), gone_ranges.end(), uid,
                             [](ms::Uid u, const ms::UidRange& range) { return u < range.first; });
        if (next != gone_ranges.begin()) {
            const auto i = static_cast<std::size_t>(next - gone_ranges.begin()) - 1;
            before += gone_before[i];
            if (uid > gone_ranges[i].first) // the part of its range below it
                before += std::min(gone_ranges[i].last, uid - 1) - gone_ranges[i].first + 1;
        }
        return before + 1;
    };
    for (auto& c : state_->contexts) {
        std::vector<Run> removed;
        if (c.sorted()) {
            removed = remove_sorted(c.order, r.expunged_uids,
                                    [&](ms::Uid uid) { return c.uid ? uid : old_seq(uid); });
            for (const auto& gone : r.expunged_uids.ranges())
                for (ms::Uid uid = gone.first; uid != 0 && uid <= gone.last; ++uid) {
                    c.set.remove(uid);
                    if (uid == gone.last)
                        break;
                }
        } else {
            std::vector<std::uint32_t> ids;
            for (const auto& gone : r.expunged_uids.ranges()) {
                for (ms::Uid uid = gone.first;; ++uid) {
                    if (c.set.contains(uid)) {
                        ids.push_back(c.uid ? uid : old_seq(uid));
                        c.set.remove(uid);
                    }
                    if (uid == gone.last)
                        break;
                }
            }
            removed = unordered_run(std::move(ids));
        }
        write_update(ctx, c, removed, {});
    }
}

void SearchUpdates::after_sync(Context& ctx, const ms::SyncResult& r) {
    auto& contexts = state_->contexts;
    if (contexts.empty())
        return;
    Selected* sel = ctx.selected();
    if (sel == nullptr || !sel->mailbox)
        return;
    ms::Mailbox& mailbox = *sel->mailbox;
    const ms::View& view = mailbox.view();
    // Messages that arrived: the ones after those the client knew.
    const ms::Seq kept = r.old_count >= r.expunged.size()
                             ? r.old_count - static_cast<ms::Seq>(r.expunged.size())
                             : 0;
    const ms::Seq first_new = kept + 1;
    const ms::Seq last_new = r.count > kept ? r.count : 0;
    if (r.changed.empty() && last_new == 0)
        return;
    search::EvaluateOptions options;
    options.now = static_cast<std::int64_t>(std::time(nullptr));
    options.clamp_sequence_numbers = true;
    for (auto it = contexts.begin(); it != contexts.end();) {
        UpdateContext& c = *it;
        std::vector<ms::Seq> gained;
        std::vector<ms::Uid> lost;
        // A program without flag keys (SUBJECT, BODY...) keeps its answer
        // for a message whose flags changed: no need to read it again.
        const std::vector<ms::Uid> none;
        for (ms::Uid uid : c.reads_flags ? r.changed : none) {
            const ms::Seq seq = view.seq(uid);
            if (seq == 0 || seq >= first_new)
                continue; // gone, or new (evaluated below)
            auto match = search::matches(mailbox, seq, c.program, options);
            if (!match) {
                ctx.log().error("UPDATE context " + c.tag + ": " + match.status().message());
                continue;
            }
            const bool had = c.contains(uid);
            if (match.value() && !had)
                gained.push_back(seq);
            else if (!match.value() && had)
                lost.push_back(uid);
        }
        if (last_new != 0) {
            options.first = first_new;
            options.last = last_new;
            auto found = search::evaluate(mailbox, c.program, options);
            options.first = options.last = 0;
            if (!found)
                ctx.log().error("UPDATE context " + c.tag + ": " + found.status().message());
            else
                gained.insert(gained.end(), found.value().begin(), found.value().end());
        }
        std::vector<Run> removed;
        std::vector<Run> added;
        if (!c.sorted()) {
            std::vector<std::uint32_t> ids;
            for (ms::Uid uid : lost) {
                c.set.remove(uid);
                ids.push_back(c.uid ? uid : view.seq(uid));
            }
            removed = unordered_run(std::move(ids));
            ids.clear();
            for (ms::Seq seq : gained) {
                c.set.add(view.uid(seq));
                ids.push_back(c.uid ? view.uid(seq) : seq);
            }
            added = unordered_run(std::move(ids));
        } else {
            ms::UidSet lost_set;
            for (ms::Uid uid : lost) {
                lost_set.add(uid);
                c.set.remove(uid);
            }
            removed = remove_sorted(c.order, lost_set,
                                    [&](ms::Uid uid) { return c.uid ? uid : view.seq(uid); });
            added = insert_sorted(mailbox, c, std::move(gained));
        }
        write_update(ctx, c, removed, added);
        if (c.size() > kMaxContextResults) {
            // Grown beyond what a context may hold: stop updating it, and
            // say so the way §4.3.1 refuses a new one.
            std::string line = "NO [NOUPDATE ";
            write_string(line, c.tag);
            line += "] Too many results to keep up to date";
            ctx.untagged(line);
            it = contexts.erase(it);
            continue;
        }
        ++it;
    }
}

void SearchUpdates::on_deselect() {
    state_->contexts.clear();
}

} // namespace imapproto::detail
