#include "corpus/dates.hpp"

namespace corpus {

namespace {

struct Civil {
    std::int64_t days;  // since 1970-01-01
    int year;
    unsigned month, day;
    unsigned hour, minute, second;
    unsigned weekday;   // 0 = Sunday
};

// Unix seconds -> proleptic Gregorian date and time (H. Hinnant's
// days-to-civil algorithm).
Civil civil(std::int64_t t) {
    Civil c{};
    std::int64_t days = t / 86400;
    std::int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    c.days = days;
    c.hour = static_cast<unsigned>(secs / 3600);
    c.minute = static_cast<unsigned>(secs / 60 % 60);
    c.second = static_cast<unsigned>(secs % 60);
    c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = static_cast<int>(y + (c.month <= 2));
    return c;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_2d(std::string& s, unsigned n) {
    s += static_cast<char>('0' + n / 10 % 10);
    s += static_cast<char>('0' + n % 10);
}

void append_time(std::string& s, const Civil& c) {
    append_2d(s, c.hour);
    s += ':';
    append_2d(s, c.minute);
    s += ':';
    append_2d(s, c.second);
}

} // namespace

std::string format_date(std::int64_t utc, int offset_min) {
    const Civil c = civil(utc + std::int64_t{offset_min} * 60);
    std::string s = kDays[c.weekday];
    s += ", ";
    append_2d(s, c.day);
    s += ' ';
    s += kMonths[c.month - 1];
    s += ' ';
    s += std::to_string(c.year);
    s += ' ';
    append_time(s, c);
    s += offset_min < 0 ? " -" : " +";
    const unsigned off = static_cast<unsigned>(offset_min < 0 ? -offset_min : offset_min);
    append_2d(s, off / 60);
    append_2d(s, off % 60);
    return s;
}

std::string format_mbox_date(std::int64_t utc) {
    const Civil c = civil(utc);
    std::string s = kDays[c.weekday];
    s += ' ';
    s += kMonths[c.month - 1];
    s += ' ';
    s += c.day < 10 ? ' ' : static_cast<char>('0' + c.day / 10);
    s += static_cast<char>('0' + c.day % 10);
    s += ' ';
    append_time(s, c);
    s += ' ';
    s += std::to_string(c.year);
    return s;
}

} // namespace corpus
