#include "commands/message_limit.hpp"

#include <string>

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

} // namespace imapproto::detail
