#include "commands/message_limit.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace imapproto::detail {

namespace st = mailstore::storage;

bool refuse_copy_over_save_limit(Context& ctx, const st::View& view, const st::UidSet& uids) {
    const std::uint64_t limit = ctx.settings().save_limit;
    if (limit == 0)
        return false;
    // Count from the highest UID down; the limit-th message met is the
    // lowest one a copy of the top `limit` messages would include.
    std::uint64_t seen = 0;
    st::Uid lowest = 0;
    const auto& ranges = uids.ranges();
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
        const auto [first, last] = view.seq_range(it->first, it->last);
        if (first == 0 || first > last)
            continue;
        const std::uint64_t present = std::uint64_t(last) - first + 1;
        if (seen < limit && seen + present >= limit)
            lowest = view.uid(static_cast<st::Seq>(last - (limit - seen - 1)));
        seen += present;
        if (seen > limit)
            break;
    }
    if (seen <= limit)
        return false;
    ctx.finish_no("MESSAGELIMIT " + std::to_string(limit) + " " + std::to_string(lowest),
                  "Too many messages to copy, try a smaller subset");
    return true;
}

bool refuse_append_over_save_limit(Context& ctx, std::size_t messages) {
    const std::uint64_t limit = ctx.settings().save_limit;
    if (limit == 0 || messages <= limit)
        return false;
    ctx.finish_no("MESSAGELIMIT " + std::to_string(limit), "Too many messages to append, try a smaller subset");
    return true;
}

std::optional<st::Uid> cut_to_message_limit(Context& ctx, const st::View& view, st::UidSet& uids,
                                            const std::function<bool(st::Seq)>& counts) {
    const std::uint64_t limit = ctx.settings().message_limit;
    if (limit == 0)
        return std::nullopt;
    // From the highest UID down: find the limit-th counted message, then
    // whether any counted message lies below it.
    std::uint64_t seen = 0;
    st::Uid lowest = 0;
    bool more = false;
    const auto& ranges = uids.ranges();
    for (auto it = ranges.rbegin(); it != ranges.rend() && !more; ++it) {
        const auto [first, last] = view.seq_range(it->first, it->last);
        if (first == 0 || first > last)
            continue;
        if (!counts) {
            const std::uint64_t present = std::uint64_t(last) - first + 1;
            if (seen < limit && seen + present >= limit)
                lowest = view.uid(static_cast<st::Seq>(last - (limit - seen - 1)));
            seen += present;
            more = seen > limit;
            continue;
        }
        for (st::Seq seq = last; seq >= first && seq != 0; --seq) {
            if (!counts(seq))
                continue;
            if (++seen == limit)
                lowest = view.uid(seq);
            if (seen > limit) {
                more = true;
                break;
            }
        }
    }
    if (!more)
        return std::nullopt;
    st::UidSet kept;
    for (const st::UidRange& r : ranges)
        if (r.last >= lowest)
            kept.add(std::max(r.first, lowest), r.last);
    uids = std::move(kept);
    return lowest;
}

namespace {

// The UIDs in both sets.
st::UidSet intersect(const st::UidSet& a, const st::UidSet& b) {
    st::UidSet both;
    const auto& ra = a.ranges();
    const auto& rb = b.ranges();
    std::size_t i = 0, j = 0;
    while (i < ra.size() && j < rb.size()) {
        const st::Uid first = std::max(ra[i].first, rb[j].first);
        const st::Uid last = std::min(ra[i].last, rb[j].last);
        if (first <= last)
            both.add(first, last);
        if (ra[i].last < rb[j].last)
            ++i;
        else
            ++j;
    }
    return both;
}

// The UIDs of the messages a sequence-number key names, numbers beyond the
// view left out (as SEARCH evaluates it, search_program.cpp).
st::UidSet named_by_seqs(Context& ctx, const st::View& view, const mailstore::search::SequenceSet& set) {
    if (set.saved)
        return ctx.saved_result();
    st::UidSet named;
    const st::Seq count = view.count();
    for (const auto& r : set.ranges) {
        st::Seq first = r.first == mailstore::search::SequenceSet::star ? count : r.first;
        st::Seq last = r.last == mailstore::search::SequenceSet::star ? count : r.last;
        if (first > last)
            std::swap(first, last);
        last = std::min(last, count);
        if (first == 0 || first > last)
            continue;
        for (st::Seq seq = first; seq <= last; ++seq)
            named.add(view.uid(seq));
    }
    return named;
}

// The UIDs a UIDAFTER or UIDBEFORE key names (RFC 9738 §3.2), so a
// client going on below a cut is not cut at the top of the mailbox again.
st::UidSet uid_bound(const mailstore::search::Node& node) {
    st::UidSet named;
    const auto uid = static_cast<st::Uid>(node.number);
    if (node.key == mailstore::search::Key::uidafter) {
        if (uid < 0xFFFFFFFFu)
            named.add(uid + 1, 0xFFFFFFFFu);
    } else if (uid > 1) {
        named.add(1, uid - 1);
    }
    return named;
}

} // namespace

std::optional<st::Uid> cut_search_to_message_limit(Context& ctx, const st::View& view,
                                                   mailstore::search::Program& program) {
    namespace search = mailstore::search;
    if (ctx.settings().message_limit == 0 || view.count() == 0)
        return std::nullopt;
    st::UidSet searched;
    searched.add(1, view.uid(view.count()));
    if (program.root.key == search::Key::and_) {
        for (const search::Node& child : program.root.children) {
            if (child.key == search::Key::uid)
                searched = intersect(searched, child.set.resolve_uids(view, &ctx.saved_result()));
            else if (child.key == search::Key::sequence)
                searched = intersect(searched, named_by_seqs(ctx, view, child.set));
            else if (child.key == search::Key::uidafter || child.key == search::Key::uidbefore)
                searched = intersect(searched, uid_bound(child));
        }
    }
    const std::optional<st::Uid> cut = cut_to_message_limit(ctx, view, searched);
    if (!cut)
        return cut;
    search::Node from_cut;
    from_cut.key = search::Key::uid;
    from_cut.set.ranges.push_back({*cut, search::SequenceSet::star});
    if (program.root.key == search::Key::and_) {
        program.root.children.push_back(std::move(from_cut));
    } else {
        search::Node both;
        both.key = search::Key::and_;
        both.children.push_back(std::move(program.root));
        both.children.push_back(std::move(from_cut));
        program.root = std::move(both);
    }
    return cut;
}

std::string message_limit_code(Context& ctx, st::Uid lowest) {
    std::string code = "MESSAGELIMIT " + std::to_string(ctx.settings().message_limit);
    if (lowest != 0)
        code += " " + std::to_string(lowest);
    return code;
}

void finish_ok_limited(Context& ctx, std::optional<st::Uid> cut, std::string_view code, std::string_view text,
                       std::string_view cut_text) {
    if (!cut) {
        ctx.finish_ok(code, text);
        return;
    }
    if (code.empty()) {
        ctx.finish_ok(message_limit_code(ctx, *cut), cut_text);
        return;
    }
    announce_cut(ctx, cut, cut_text);
    ctx.finish_ok(code, text);
}

void announce_cut(Context& ctx, std::optional<st::Uid> cut, std::string_view cut_text) {
    if (!cut)
        return;
    std::string line = "NO [" + message_limit_code(ctx, *cut) + "] ";
    line += cut_text;
    ctx.untagged(line);
}

} // namespace imapproto::detail
