// SequenceSet: RFC 3501 sequence-set text, "$" (RFC 5182), and resolving a
// set against a View as sequence numbers or as UIDs.
#include <mailstore/search.hpp>

#include <algorithm>

namespace mailstore::search {

namespace {

// seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT (RFC 3501 §9),
// and a number is 32 bits: "0", a leading zero and values above 4294967295
// are refused.
std::optional<std::uint32_t> parse_seq_number(std::string_view text) {
    if (text == "*") {
        return SequenceSet::star;
    }
    if (text.empty() || text.size() > 10 || text[0] < '1' || text[0] > '9') {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // '*' means "the largest number in use"; the number 4294967295 itself is
    // valid IMAP (nz-number fits 32 bits) and behaves the same way against
    // any real view, so it shares the representation.
    if (value > 0xFFFFFFFFull) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(value);
}

// Resolves '*' to `top` and orders the range (RFC 3501 §9: "2:4" and "4:2"
// are the same set).
std::pair<std::uint32_t, std::uint32_t> concrete(const SequenceSet::Range& range, std::uint32_t top) {
    std::uint32_t a = range.first == SequenceSet::star ? top : range.first;
    std::uint32_t b = range.last == SequenceSet::star ? top : range.last;
    if (a > b) {
        std::swap(a, b);
    }
    return {a, b};
}

// Adds the UIDs of sequence numbers s1..s2 (s1 <= s2, both in the view).
// UIDs ascend with sequence numbers, so a dense stretch is one range; gaps
// are walked, adding each run of consecutive UIDs at once.
void add_seq_range(const storage::View& view, storage::Seq s1, storage::Seq s2, storage::UidSet& out) {
    storage::Uid u1 = view.uid(s1);
    storage::Uid u2 = view.uid(s2);
    if (u2 - u1 == s2 - s1) {
        out.add(u1, u2);
        return;
    }
    storage::Uid run_first = u1;
    storage::Uid run_last = u1;
    for (storage::Seq s = s1 + 1; s <= s2 && s != 0; ++s) {
        storage::Uid u = view.uid(s);
        if (u != run_last + 1) {
            out.add(run_first, run_last);
            run_first = u;
        }
        run_last = u;
    }
    out.add(run_first, run_last);
}

// The saved result (UIDs, RFC 5182 §2.1) restricted to the view: UIDs
// expunged since drop out.
void add_saved(const storage::View& view, const storage::UidSet* saved_result, storage::UidSet& out) {
    if (saved_result == nullptr || view.count() == 0) {
        return;
    }
    for (const auto& r : saved_result->ranges()) {
        auto [s1, s2] = view.seq_range(r.first, r.last);
        if (s1 != 0) {
            add_seq_range(view, s1, s2, out);
        }
    }
}

} // namespace

std::optional<SequenceSet> SequenceSet::parse(std::string_view text, bool allow_saved) {
    SequenceSet set;
    if (text == "$") {
        if (!allow_saved) {
            return std::nullopt;
        }
        set.saved = true;
        return set;
    }
    if (text.empty()) {
        return std::nullopt;
    }
    // Bounded by the caller's line length; a range costs at least two bytes
    // of text, so the vector never outgrows the input.
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t comma = text.find(',', pos);
        std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        std::size_t colon = item.find(':');
        Range range;
        if (colon == std::string_view::npos) {
            auto n = parse_seq_number(item);
            if (!n) {
                return std::nullopt;
            }
            range.first = range.last = *n;
        } else {
            auto a = parse_seq_number(item.substr(0, colon));
            auto b = parse_seq_number(item.substr(colon + 1));
            if (!a || !b) {
                return std::nullopt;
            }
            range.first = *a;
            range.last = *b;
        }
        set.ranges.push_back(range);
        if (comma == std::string_view::npos) {
            break;
        }
        pos = comma + 1;
        if (pos == text.size()) {
            return std::nullopt; // trailing ','
        }
    }
    return set;
}

Result<storage::UidSet> SequenceSet::resolve_seqs(const storage::View& view,
                                                  const storage::UidSet* saved_result) const {
    storage::UidSet out;
    if (saved) {
        add_saved(view, saved_result, out);
        return out;
    }
    const storage::Seq count = view.count();
    for (const auto& range : ranges) {
        // '*' on an empty mailbox names no message, which for sequence
        // numbers is as invalid as any other number (RFC 3501 §9).
        if (count == 0) {
            return Status::invalid("Invalid messageset");
        }
        auto [a, b] = concrete(range, count);
        if (b > count) {
            return Status::invalid("Invalid messageset");
        }
        add_seq_range(view, a, b, out);
    }
    return out;
}

storage::UidSet SequenceSet::resolve_uids(const storage::View& view, const storage::UidSet* saved_result) const {
    storage::UidSet out;
    const storage::Seq count = view.count();
    if (count == 0) {
        return out;
    }
    if (saved) {
        add_saved(view, saved_result, out);
        return out;
    }
    const storage::Uid top = view.uid(count);
    for (const auto& range : ranges) {
        // "n:*" with n above the highest UID still names the highest UID
        // (RFC 3501 §6.4.8): '*' becomes `top` and the range is reordered.
        auto [a, b] = concrete(range, top);
        auto [s1, s2] = view.seq_range(a, b);
        if (s1 == 0) {
            continue;
        }
        add_seq_range(view, s1, s2, out);
    }
    return out;
}

std::string SequenceSet::to_string() const {
    if (saved) {
        return "$";
    }
    std::string out;
    auto put = [&out](std::uint32_t n) {
        if (n == star) {
            out += '*';
        } else {
            out += std::to_string(n);
        }
    };
    for (const auto& range : ranges) {
        if (!out.empty()) {
            out += ',';
        }
        put(range.first);
        if (range.last != range.first) {
            out += ':';
            put(range.last);
        }
    }
    return out;
}

} // namespace mailstore::search
