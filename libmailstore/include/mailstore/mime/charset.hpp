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
//
// Choices (see charset.cpp): a name is usable only when it is at most 64
// characters of [A-Za-z0-9._:+-] (surrounding blanks/quotes and an RFC 2231
// "*lang" suffix dropped), so junk never reaches iconv_open(). US-ASCII
// (the RFC 2045 default) lets 8-bit text through: kept when it is valid
// UTF-8, else read as Windows-1252; ISO-8859-1 is read as Windows-1252;
// Shift_JIS labels use CP932, GB2312/GBK use GB18030, EUC-KR and
// ks_c_5601-1987 use CP949, ISO-2022-JP uses ISO-2022-JP-2. "unknown-8bit"
// and "x-unknown" are handled like utf8_or_latin1(). An incomplete sequence
// at the end gives one U+FFFD; stateful charsets start in their initial
// state on every call. Thread-safe (iconv descriptors are per thread).
MAILSTORE_API bool convert_to_utf8(std::string_view charset, std::string_view in, std::string& out);

// Whether convert_to_utf8 knows the charset.
MAILSTORE_API bool is_known_charset(std::string_view charset);

// Strict RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
MAILSTORE_API bool is_valid_utf8(std::string_view text);

// Copies `text`, replacing each invalid UTF-8 sequence (overlongs,
// surrogates, truncated sequences) with U+FFFD: one per maximal ill-formed
// subpart (Unicode §3.9), so a truncated sequence is one U+FFFD.
MAILSTORE_API std::string sanitize_utf8(std::string_view text);

// UTF-8 from unlabelled 8-bit text: kept when it is valid UTF-8, else each
// byte taken as Latin-1 (what undeclared header bytes usually are); bytes
// 0x80..0x9F as Windows-1252 reads them (quotes, dashes, euro sign).
MAILSTORE_API std::string utf8_or_latin1(std::string_view text);

} // namespace mailstore::mime
