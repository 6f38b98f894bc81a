// PARTIAL (RFC 9394): the range argument of the PARTIAL search return
// option (SEARCH, SORT) and of the UID FETCH modifier, and what it selects.
// RFC 9394 extends RFC 5267 §4.4's positive ranges with negative ones
// counted from the end of the result.
#pragma once

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imapproto::detail {

// partial-range (RFC 9394 §4): "1:500" counts from the first result,
// "-1:-500" from the last (-1 is the last result). Kept as the two numbers
// without their sign, in the order the client wrote them (500:1 is the
// same range as 1:500, -500:-1 the same as -1:-500).
struct PartialRange {
    bool from_end = false; // partial-range-last
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    std::uint32_t low() const { return first < last ? first : last; }
    std::uint32_t high() const { return first < last ? last : first; }

    // The range as a response repeats it: "low:high" or "-low:-high"
    // (the RFC's own form, e.g. "PARTIAL (-1:-100 ...)").
    std::string to_string() const;

    // Which positions of a result of `size` items, in the result's own
    // order, the range names: [begin, end). begin == end when none (RFC
    // 9394 §3.1: the answer is then NIL). A range reaching past either end
    // of the result names the part that exists.
    struct Slice {
        std::size_t begin = 0;
        std::size_t end = 0;
        bool empty() const { return begin >= end; }
    };
    Slice slice(std::size_t size) const;
};

// Parses "n:m" or "-n:-m" with n, m nz-numbers of at most 32 bits (RFC
// 9394 §4: no '*', no 0, no mixed signs, no spaces). nullopt otherwise.
std::optional<PartialRange> parse_partial_range(std::string_view text);

// The UID FETCH PARTIAL modifier (RFC 9394 §3.3): of the messages of
// `uids` that exist in the view (and, with CHANGEDSINCE, changed after
// `changed_since`), in UID order, the ones at the range's positions.
mailstore::storage::UidSet
partial_fetch_uids(const mailstore::storage::View& view, const mailstore::storage::UidSet& uids,
                   std::optional<mailstore::storage::ModSeq> changed_since,
                   const PartialRange& range);

} // namespace imapproto::detail
