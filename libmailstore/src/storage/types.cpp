// UidSet, flag and special-use names (types.hpp).
#include <mailstore/storage/types.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <strings.h>

namespace mailstore::storage {

namespace {

constexpr std::array<std::pair<MailFlags, std::string_view>, 5> flag_names{{
    {flag_answered, "\\Answered"},
    {flag_flagged, "\\Flagged"},
    {flag_deleted, "\\Deleted"},
    {flag_seen, "\\Seen"},
    {flag_draft, "\\Draft"},
}};

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 8> special_use_names{{
    {special_all, "\\All"},
    {special_archive, "\\Archive"},
    {special_drafts, "\\Drafts"},
    {special_flagged, "\\Flagged"},
    {special_junk, "\\Junk"},
    {special_sent, "\\Sent"},
    {special_trash, "\\Trash"},
    {special_important, "\\Important"},
}};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A UID of the IMAP form: 1..2^32-1, digits only, no leading '+'/'-'.
std::optional<Uid> parse_number(std::string_view text) {
    if (text.empty() || text.size() > 10)
        return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + std::uint64_t(c - '0');
    }
    if (value == 0 || value > 0xffffffffULL)
        return std::nullopt;
    return Uid(value);
}

} // namespace

std::string format_flags(MailFlags flags) {
    std::string out;
    for (const auto& [bit, name] : flag_names) {
        if ((flags & bit) == 0)
            continue;
        if (!out.empty())
            out += ' ';
        out += name;
    }
    return out;
}

std::optional<MailFlags> parse_flag(std::string_view name) {
    for (const auto& [bit, flag_name] : flag_names)
        if (iequals(name, flag_name))
            return bit;
    return std::nullopt;
}

std::string format_special_use(std::uint32_t flags) {
    std::string out;
    for (const auto& [bit, name] : special_use_names) {
        if ((flags & bit) == 0)
            continue;
        if (!out.empty())
            out += ' ';
        out += name;
    }
    return out;
}

std::optional<std::uint32_t> parse_special_use(std::string_view text) {
    std::uint32_t flags = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view word = text.substr(pos, end - pos);
        bool found = false;
        for (const auto& [bit, name] : special_use_names) {
            if (iequals(word, name)) {
                flags |= bit;
                found = true;
                break;
            }
        }
        if (!found)
            return std::nullopt;
        pos = end;
    }
    return flags;
}

void UidSet::add(Uid uid) { add(uid, uid); }

void UidSet::add(Uid first, Uid last) {
    if (first > last)
        std::swap(first, last);
    if (first == 0)
        first = 1;
    if (last == 0)
        return;
    // The first range that could touch [first, last]: ends at first-1 or later.
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first, [](const UidRange& r, Uid value) {
        return std::uint64_t(r.last) + 1 < value;
    });
    UidRange merged{first, last};
    auto end = it;
    while (end != ranges_.end() && std::uint64_t(end->first) <= std::uint64_t(last) + 1) {
        merged.first = std::min(merged.first, end->first);
        merged.last = std::max(merged.last, end->last);
        ++end;
    }
    if (it == end) {
        ranges_.insert(it, merged);
    } else {
        *it = merged;
        ranges_.erase(it + 1, end);
    }
}

void UidSet::add(const UidSet& other) {
    if (ranges_.empty()) {
        ranges_ = other.ranges_;
        return;
    }
    for (const auto& r : other.ranges_)
        add(r.first, r.last);
}

void UidSet::remove(Uid uid) {
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), uid,
                               [](const UidRange& r, Uid value) { return r.last < value; });
    if (it == ranges_.end() || it->first > uid)
        return;
    if (it->first == uid && it->last == uid) {
        ranges_.erase(it);
    } else if (it->first == uid) {
        it->first = uid + 1;
    } else if (it->last == uid) {
        it->last = uid - 1;
    } else {
        UidRange upper{uid + 1, it->last};
        it->last = uid - 1;
        ranges_.insert(it + 1, upper);
    }
}

bool UidSet::contains(Uid uid) const {
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), uid,
                               [](const UidRange& r, Uid value) { return r.last < value; });
    return it != ranges_.end() && it->first <= uid;
}

std::uint64_t UidSet::count() const {
    std::uint64_t n = 0;
    for (const auto& r : ranges_)
        n += std::uint64_t(r.last) - r.first + 1;
    return n;
}

Uid UidSet::min() const { return ranges_.empty() ? 0 : ranges_.front().first; }
Uid UidSet::max() const { return ranges_.empty() ? 0 : ranges_.back().last; }

std::vector<Uid> UidSet::to_vector() const {
    std::vector<Uid> out;
    out.reserve(std::size_t(count()));
    for (const auto& r : ranges_)
        for (std::uint64_t uid = r.first; uid <= r.last; ++uid)
            out.push_back(Uid(uid));
    return out;
}

std::string UidSet::to_string() const {
    std::string out;
    for (const auto& r : ranges_) {
        if (!out.empty())
            out += ',';
        out += std::to_string(r.first);
        if (r.last != r.first) {
            out += ':';
            out += std::to_string(r.last);
        }
    }
    return out;
}

std::optional<UidSet> UidSet::parse(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    UidSet set;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find(',', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view item = text.substr(pos, end - pos);
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            auto uid = parse_number(item);
            if (!uid)
                return std::nullopt;
            set.add(*uid);
        } else {
            auto first = parse_number(item.substr(0, colon));
            auto last = parse_number(item.substr(colon + 1));
            if (!first || !last)
                return std::nullopt;
            set.add(*first, *last);
        }
        if (end == text.size())
            break;
        pos = end + 1;
    }
    return set;
}

} // namespace mailstore::storage
