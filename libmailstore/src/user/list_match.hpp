// IMAP LIST pattern matching (RFC 3501 6.3.8): '*' matches anything, '%'
// anything but the hierarchy separator. Names and patterns are UTF-8; the
// first level "INBOX" is matched case-insensitively.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::storage {

// Whether `name` matches `pattern` with separator `sep`.
MAILSTORE_INTERNAL_API bool list_match(std::string_view pattern, std::string_view name, char sep);
// The pattern a LIST applies: `reference` + `pattern` (RFC 3501 6.3.8: the
// reference is a prefix; a pattern starting with the separator after a
// reference ending with it does not double it).
MAILSTORE_INTERNAL_API std::string list_combine(std::string_view reference, std::string_view pattern, char sep);

} // namespace mailstore::storage
