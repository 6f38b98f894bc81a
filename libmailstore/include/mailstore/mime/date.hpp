// Dates: RFC 5322 §3.3 date-time with the obsolete forms of §4.3 and the
// sloppy variants real mailers send, and IMAP's INTERNALDATE form
// ("28-Nov-2026 16:35:54 +0000").
#pragma once

#include <mailstore/export.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailstore::mime {

struct DateTime {
    std::int64_t utc = 0;   // seconds since 1970-01-01T00:00:00Z
    int zone_minutes = 0;   // the offset the text gave, minutes east of UTC
    bool operator==(const DateTime&) const = default;
};

// Parses a Date:-style value: optional day of week, 1-2 digit day, month
// name (any case), 2/3/4-digit year (RFC 5322 §4.3 rules), hh:mm[:ss],
// numeric zone or obsolete names (UT GMT EST EDT CST CDT MST MDT PST PDT,
// military letters taken as -0000), comments, missing zone (taken as UTC).
// nullopt when no date can be read.
MAILSTORE_API std::optional<DateTime> parse_message_date(std::string_view value);

// Parses IMAP date-time (RFC 3501 §9: "dd-Mon-yyyy hh:mm:ss +zzzz", day may
// be space-padded). Strict, as the grammar is; nullopt when invalid.
MAILSTORE_API std::optional<DateTime> parse_internaldate(std::string_view text);

// IMAP date-time as FETCH INTERNALDATE sends it, in the DateTime's own
// zone; the day is space-padded (RFC 3501 date-day-fixed): " 2-Dec-2026 ...".
// Both formatters accept any DateTime: a zone beyond ±23:59 is clamped to
// it (same instant, nearest printable zone), and a local time outside years
// 0000..9999 is clamped into them, since the year has four digits.
MAILSTORE_API std::string format_internaldate(const DateTime& dt);

// RFC 5322 date-time for headers: "Sat, 28 Nov 2026 16:35:54 +0000".
MAILSTORE_API std::string format_message_date(const DateTime& dt);

// IMAP search date (RFC 3501 date: "1-Feb-1994" or "01-Feb-1994", quoted or
// not): the UTC midnight of that day.
MAILSTORE_API std::optional<std::int64_t> parse_search_date(std::string_view text);

} // namespace mailstore::mime
