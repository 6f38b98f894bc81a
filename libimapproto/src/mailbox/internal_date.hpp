// The IMAP date-time of APPEND (RFC 3501 §9 date-time):
// "dd-Mon-yyyy hh:mm:ss +zzzz", the day space-padded or two digits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace imapproto::detail {

// Unix seconds of `text`, or nullopt when it is not a valid date-time
// (month names are case-insensitive; the day must exist in that month).
std::optional<std::int64_t> parse_imap_date_time(std::string_view text);

} // namespace imapproto::detail
