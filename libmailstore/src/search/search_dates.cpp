// Calendar days for BEFORE/ON/SINCE (the internal date in the server's
// local time zone) and SENTBEFORE/SENTON/SENTSINCE (the Date: header's
// date in its own zone). RFC 3501 §6.4.4 compares dates "disregarding time
// and timezone", i.e. by the calendar date the timestamp shows.
#include "search/search_internal.hpp"

#include <ctime>

namespace mailstore::search::detail {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), valid for every year a struct tm can hold.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

} // namespace

std::int64_t local_day(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (::localtime_r(&t, &tm) == nullptr) {
        // Out of range for the C library: UTC arithmetic is the best answer.
        return floor_div(unix_seconds, 86400);
    }
    return days_from_civil(static_cast<std::int64_t>(tm.tm_year) + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                           static_cast<unsigned>(tm.tm_mday));
}

std::int64_t zoned_day(std::int64_t unix_seconds, int zone_minutes) {
    // Bounded inputs (a parsed Date: is years 0..9999, zones within a day)
    // cannot overflow here.
    return floor_div(unix_seconds + static_cast<std::int64_t>(zone_minutes) * 60, 86400);
}

} // namespace mailstore::search::detail
