// Parsing of typed setting values. Units follow Dovecot so existing configs
// keep their meaning: sizes are powers of 1024, a bare time is seconds.
#include "config/values.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace mailstore::config {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Leading decimal digits of `text` as a number; `rest` receives what follows.
std::optional<std::uint64_t> leading_number(std::string_view text, std::string_view& rest) {
    std::size_t i = 0;
    std::uint64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
        ++i;
    }
    if (i == 0) {
        return std::nullopt;
    }
    rest = trim(text.substr(i));
    return value;
}

std::optional<std::uint64_t> multiply(std::uint64_t value, std::uint64_t factor) {
    if (factor != 0 && value > std::numeric_limits<std::uint64_t>::max() / factor) {
        return std::nullopt;
    }
    return value * factor;
}

template <std::size_t N>
bool unit_in(std::string_view unit, const std::string_view (&names)[N]) {
    return std::any_of(std::begin(names), std::end(names),
                       [&](std::string_view n) { return iequals(unit, n); });
}

} // namespace

std::optional<bool> parse_bool(std::string_view text) {
    text = trim(text);
    if (iequals(text, "yes") || iequals(text, "true") || text == "1") {
        return true;
    }
    if (iequals(text, "no") || iequals(text, "false") || text == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
    text = trim(text);
    std::string_view rest;
    auto value = leading_number(text, rest);
    if (!value || !rest.empty()) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    text = trim(text);
    if (iequals(text, "unlimited")) {
        return 0;
    }
    std::string_view unit;
    auto value = leading_number(text, unit);
    if (!value) {
        return std::nullopt;
    }
    static constexpr std::string_view bytes[] = {"", "b", "byte", "bytes"};
    static constexpr std::string_view kilo[] = {"k", "kb", "kib"};
    static constexpr std::string_view mega[] = {"m", "mb", "mib"};
    static constexpr std::string_view giga[] = {"g", "gb", "gib"};
    static constexpr std::string_view tera[] = {"t", "tb", "tib"};
    if (unit_in(unit, bytes)) {
        return value;
    }
    if (unit_in(unit, kilo)) {
        return multiply(*value, 1ULL << 10);
    }
    if (unit_in(unit, mega)) {
        return multiply(*value, 1ULL << 20);
    }
    if (unit_in(unit, giga)) {
        return multiply(*value, 1ULL << 30);
    }
    if (unit_in(unit, tera)) {
        return multiply(*value, 1ULL << 40);
    }
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_time(std::string_view text) {
    text = trim(text);
    std::string_view unit;
    auto value = leading_number(text, unit);
    if (!value) {
        return std::nullopt;
    }
    static constexpr std::string_view msecs[] = {"ms", "msec", "msecs", "millisecond",
                                                 "milliseconds"};
    static constexpr std::string_view secs[] = {"", "s", "sec", "secs", "second", "seconds"};
    static constexpr std::string_view mins[] = {"m", "min", "mins", "minute", "minutes"};
    static constexpr std::string_view hours[] = {"h", "hour", "hours"};
    static constexpr std::string_view days[] = {"d", "day", "days"};
    static constexpr std::string_view weeks[] = {"w", "week", "weeks"};
    std::uint64_t factor = 0;
    if (unit_in(unit, msecs)) {
        factor = 1;
    } else if (unit_in(unit, secs)) {
        factor = 1000;
    } else if (unit_in(unit, mins)) {
        factor = 60 * 1000;
    } else if (unit_in(unit, hours)) {
        factor = 3600 * 1000;
    } else if (unit_in(unit, days)) {
        factor = 24ULL * 3600 * 1000;
    } else if (unit_in(unit, weeks)) {
        factor = 7ULL * 24 * 3600 * 1000;
    } else {
        return std::nullopt;
    }
    auto ms = multiply(*value, factor);
    // milliseconds::rep is signed: keep the result representable.
    if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
            if (!word.empty()) {
                words.push_back(std::move(word));
                word.clear();
            }
        } else {
            word += c;
        }
    }
    if (!word.empty()) {
        words.push_back(std::move(word));
    }
    return words;
}

namespace {

// Listener permissions are strings in the registry (Dovecot writes 0600, and
// a plain integer type would read that as decimal) but must be octal.
bool is_octal_mode(std::string_view value) {
    if (value.empty() || value.size() > 4) {
        return false;
    }
    return std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '7'; });
}

} // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> uint_range(const SettingInfo& info) {
    if (info.type != SettingType::uint || info.values.empty()) {
        return std::nullopt;
    }
    auto dots = info.values.find("..");
    if (dots == std::string_view::npos) {
        return std::nullopt;
    }
    auto low = parse_uint(info.values.substr(0, dots));
    auto high = parse_uint(info.values.substr(dots + 2));
    if (!low || !high || *low > *high) {
        return std::nullopt;
    }
    return std::make_pair(*low, *high);
}

std::optional<std::string> check_value(const SettingInfo& info, std::string_view value) {
    if (info.name == "mode" && (info.scope == "unix_listener" || info.scope == "fifo_listener")) {
        if (is_octal_mode(value)) {
            return std::nullopt;
        }
        return "expected an octal mode like 0600";
    }
    switch (info.type) {
    case SettingType::string:
    case SettingType::list:
        return std::nullopt;
    case SettingType::boolean:
        if (parse_bool(value)) {
            return std::nullopt;
        }
        return "expected yes or no";
    case SettingType::uint: {
        auto range = uint_range(info);
        auto n = parse_uint(value);
        if (n && (!range || (*n >= range->first && *n <= range->second))) {
            return std::nullopt;
        }
        if (range) {
            return "expected an integer from " + std::to_string(range->first) + " to " +
                   std::to_string(range->second);
        }
        return "expected a non-negative integer";
    }
    case SettingType::size:
        if (parse_size(value)) {
            return std::nullopt;
        }
        return "expected a size like 512, 64k, 10M, 1G or 2T";
    case SettingType::time:
        if (parse_time(value)) {
            return std::nullopt;
        }
        return "expected a time like 30s, 5 mins, 2h, 1d or 100ms";
    case SettingType::enumeration: {
        std::string_view values = info.values;
        while (true) {
            auto bar = values.find('|');
            if (values.substr(0, bar) == value) {
                return std::nullopt;
            }
            if (bar == std::string_view::npos) {
                break;
            }
            values.remove_prefix(bar + 1);
        }
        std::string expected = "expected one of ";
        for (char c : info.values) {
            expected += c == '|' ? std::string_view(", ") : std::string_view(&c, 1);
        }
        return expected;
    }
    }
    return std::nullopt;
}

std::string_view type_name(SettingType type) {
    switch (type) {
    case SettingType::string:
        return "string";
    case SettingType::boolean:
        return "boolean";
    case SettingType::uint:
        return "uint";
    case SettingType::size:
        return "size";
    case SettingType::time:
        return "time";
    case SettingType::enumeration:
        return "enum";
    case SettingType::list:
        return "list";
    }
    return "string";
}

} // namespace mailstore::config
