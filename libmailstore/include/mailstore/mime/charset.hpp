// Charset conversion to UTF-8 (glibc iconv) and UTF-8 hygiene. Conversion
// never fails hard: mail in a charset nobody knows still becomes readable,
// valid UTF-8.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::mime {

// Converts `in` from `charset` (MIME name, case-insensitive, common aliases
// and mislabellings such as "latin1", "utf8", "ks_c_5601-1987" understood)
// to UTF-8, appending to `out`. Invalid sequences become U+FFFD. Returns
// false when the charset is unknown; `out` then gets `in` taken as UTF-8
// where valid and U+FFFD elsewhere.
MAILSTORE_API bool convert_to_utf8(std::string_view charset, std::string_view in, std::string& out);

// Whether convert_to_utf8 knows the charset.
MAILSTORE_API bool is_known_charset(std::string_view charset);

MAILSTORE_API bool is_valid_utf8(std::string_view text);

// Copies `text`, replacing each invalid UTF-8 sequence (overlongs,
// surrogates, truncated sequences) with U+FFFD.
MAILSTORE_API std::string sanitize_utf8(std::string_view text);

// UTF-8 from unlabelled 8-bit text: kept when it is valid UTF-8, else each
// byte taken as Latin-1 (what undeclared header bytes usually are).
MAILSTORE_API std::string utf8_or_latin1(std::string_view text);

} // namespace mailstore::mime
