#include "commands/partial_range.hpp"

#include <vector>

namespace imapproto::detail {

namespace ms = mailstore::storage;

namespace {

// An nz-number of at most 32 bits (RFC 9051 §9), or 0.
std::uint32_t parse_nz_number(std::string_view text) {
    if (text.empty() || text.size() > 10 || text[0] == '0')
        return 0;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return 0;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value > 0xFFFFFFFFu ? 0 : static_cast<std::uint32_t>(value);
}

} // namespace

std::optional<PartialRange> parse_partial_range(std::string_view text) {
    // RFC 9394 §4: partial-range-first = nz-number ":" nz-number,
    // partial-range-last = MINUS nz-number ":" MINUS nz-number.
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    std::string_view left = text.substr(0, colon);
    std::string_view right = text.substr(colon + 1);
    PartialRange range;
    range.from_end = !left.empty() && left[0] == '-';
    const bool right_negative = !right.empty() && right[0] == '-';
    if (range.from_end != right_negative)
        return std::nullopt; // mixed signs: no production allows them
    if (range.from_end) {
        left.remove_prefix(1);
        right.remove_prefix(1);
    }
    range.first = parse_nz_number(left);
    range.last = parse_nz_number(right);
    if (range.first == 0 || range.last == 0)
        return std::nullopt;
    return range;
}

std::string PartialRange::to_string() const {
    const char* sign = from_end ? "-" : "";
    return sign + std::to_string(low()) + ':' + sign + std::to_string(high());
}

PartialRange::Slice PartialRange::slice(std::size_t size) const {
    Slice s;
    if (low() > size)
        return s; // the whole range lies beyond the result (RFC 9394 §3.1: NIL)
    if (!from_end) {
        s.begin = low() - 1;
        s.end = high() < size ? high() : size;
    } else {
        // -1 is the last result, -size the first.
        s.begin = high() < size ? size - high() : 0;
        s.end = size - low() + 1;
    }
    return s;
}

ms::UidSet partial_fetch_uids(const ms::View& view, const ms::UidSet& uids,
                              std::optional<ms::ModSeq> changed_since, const PartialRange& range) {
    // The candidates in UID (= sequence) order. Without CHANGEDSINCE they
    // are runs of sequence numbers and need not be listed one by one.
    std::vector<std::pair<ms::Seq, ms::Seq>> runs;
    std::size_t size = 0;
    for (const ms::UidRange& r : uids.ranges()) {
        auto [first, last] = view.seq_range(r.first, r.last);
        if (first == 0)
            continue;
        if (!changed_since) {
            runs.emplace_back(first, last);
            size += last - first + 1;
            continue;
        }
        // RFC 9394 §3.4 with RFC 7162 §3.1.4.1: the range counts the
        // messages the FETCH would answer, those changed since the value.
        for (ms::Seq seq = first; seq <= last; ++seq) {
            if (view.modseq(seq) <= *changed_since)
                continue;
            if (!runs.empty() && runs.back().second + 1 == seq)
                runs.back().second = seq;
            else
                runs.emplace_back(seq, seq);
            ++size;
        }
    }
    const PartialRange::Slice s = range.slice(size);
    ms::UidSet selected;
    std::size_t position = 0; // of the first message of the current run
    for (const auto& [first, last] : runs) {
        if (s.end <= position)
            break;
        const std::size_t length = last - first + 1;
        const std::size_t from = s.begin > position ? s.begin - position : 0;
        const std::size_t to = s.end - position < length ? s.end - position : length;
        // A run of sequence numbers is one UID range: the UIDs between
        // them are not in the view, so the range names the same messages.
        if (from < to)
            selected.add(view.uid(static_cast<ms::Seq>(first + from)),
                         view.uid(static_cast<ms::Seq>(first + to - 1)));
        position += length;
    }
    return selected;
}

} // namespace imapproto::detail
