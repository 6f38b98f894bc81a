// Dates as mail writes them, from Unix seconds, without the C library's
// time zone tables (the corpus must be the same bytes on every machine).
#pragma once

#include <cstdint>
#include <string>

namespace corpus {

// RFC 5322 §3.3 date-time, e.g. "Wed, 01 Jan 2025 11:00:00 +0100", for the
// instant `utc` shown in the zone `offset_min` minutes east of UTC.
std::string format_date(std::int64_t utc, int offset_min);

// The date of an mbox "From " line (asctime, UTC): "Wed Jan  1 10:00:00 2025".
std::string format_mbox_date(std::int64_t utc);

} // namespace corpus
