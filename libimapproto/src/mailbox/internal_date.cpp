#include "mailbox/internal_date.hpp"

#include <array>
#include <cctype>

namespace imapproto::detail {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& value) {
    if (pos + n > s.size())
        return false;
    value = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int month_days(int year, int month) {
    static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[static_cast<std::size_t>(month - 1)];
}

} // namespace

std::optional<std::int64_t> parse_imap_date_time(std::string_view s) {
    // The day: "5", " 5" or "05" (Dovecot takes the one-digit form too).
    std::size_t pos = 0;
    if (!s.empty() && s[0] == ' ')
        pos = 1;
    int day = 0;
    if (digits(s, pos, 2, day))
        pos += 2;
    else if (digits(s, pos, 1, day))
        pos += 1;
    else
        return std::nullopt;
    if (pos + 5 > s.size() || s[pos] != '-' || s[pos + 4] != '-')
        return std::nullopt;
    static constexpr std::array<std::string_view, 12> months{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    int month = 0;
    for (std::size_t m = 0; m < months.size(); ++m) {
        bool same = true;
        for (std::size_t k = 0; k < 3; ++k)
            if (std::toupper(static_cast<unsigned char>(s[pos + 1 + k])) != months[m][k])
                same = false;
        if (same)
            month = static_cast<int>(m) + 1;
    }
    if (month == 0)
        return std::nullopt;
    pos += 5;
    int year = 0, hour = 0, minute = 0, second = 0, zh = 0, zm = 0;
    // "yyyy hh:mm:ss +zzzz": exactly 19 more characters.
    if (s.size() != pos + 19 || !digits(s, pos, 4, year) || s[pos + 4] != ' ' || !digits(s, pos + 5, 2, hour) ||
        s[pos + 7] != ':' || !digits(s, pos + 8, 2, minute) || s[pos + 10] != ':' ||
        !digits(s, pos + 11, 2, second) || s[pos + 13] != ' ' || (s[pos + 14] != '+' && s[pos + 14] != '-') ||
        !digits(s, pos + 15, 2, zh) || !digits(s, pos + 17, 2, zm))
        return std::nullopt;
    if (year < 1 || day < 1 || day > month_days(year, month) || hour > 23 || minute > 59 || second > 60 ||
        zm > 59)
        return std::nullopt;
    const std::int64_t zone = (zh * 60 + zm) * 60 * (s[pos + 14] == '-' ? -1 : 1);
    const std::int64_t days = days_from_civil(year, month, day);
    return days * 86400 + hour * 3600 + minute * 60 + second - zone;
}

} // namespace imapproto::detail
