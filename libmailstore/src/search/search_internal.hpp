// Shared by the search module's files; not a public interface.
#pragma once

#include <mailstore/search.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::search::detail {

// Bounds (search.hpp): parenthesis/NOT/OR nesting and the number of keys.
inline constexpr int max_depth = 64;
inline constexpr std::size_t max_keys = 10000;
// parse(text) produces at most this many tokens (a key takes at most five).
inline constexpr std::size_t max_tokens = 5 * max_keys;

// Splits one line of search text into tokens (search_tokenize.cpp).
// invalid_argument for an unterminated or badly escaped quoted string and
// for control characters.
Result<std::vector<Token>> tokenize(std::string_view text);

// Converts a search string from the CHARSET the client named to UTF-8
// (search_charsets.cpp). nullopt when the bytes are not valid in it.
std::optional<std::string> charset_to_utf8(std::string_view charset, std::string_view bytes);

// Calendar days (since 1970-01-01) of an instant in the server's local time
// zone, and of an instant seen in a zone `zone_minutes` east of UTC
// (search_dates.cpp).
std::int64_t local_day(std::int64_t unix_seconds);
std::int64_t zoned_day(std::int64_t unix_seconds, int zone_minutes);

} // namespace mailstore::search::detail
