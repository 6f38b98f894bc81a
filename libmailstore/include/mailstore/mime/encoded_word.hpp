// RFC 2047 encoded words ("=?charset?B?...?=" / "?Q?"), RFC 2231 language
// suffixes ("=?utf-8*en?Q?..?="), decoding to UTF-8 and encoding for headers.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::mime {

// Decodes every encoded word in `text` to UTF-8. Whitespace between two
// adjacent encoded words is dropped (§6.2); a word split across several
// encoded words of the same charset (even in the middle of a multi-byte
// character) is joined before conversion. A malformed word is kept as
// written. Text outside words: valid UTF-8 is kept, other 8-bit bytes are
// taken as Latin-1. Unknown charsets decode bytes as UTF-8 where valid and
// U+FFFD otherwise. The result is always valid UTF-8.
MAILSTORE_API std::string decode_encoded_words(std::string_view text);

// Encodes UTF-8 text for an unstructured header (Subject:), using encoded
// words only when needed (non-ASCII or "=?" inside), Q or B, whichever is
// shorter, with each word within 75 octets and whole characters per word.
MAILSTORE_API std::string encode_header_text(std::string_view utf8);

} // namespace mailstore::mime
