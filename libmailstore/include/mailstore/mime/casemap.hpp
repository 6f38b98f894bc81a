// i;unicode-casemap (RFC 5051): the comparator IMAP SEARCH, SORT and Sieve
// use for case-insensitive matching of Unicode text.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::mime {

// The RFC 5051 canonical form: each character titlecased (simple mapping)
// and then fully decomposed (NFKD). Invalid UTF-8 becomes U+FFFD first.
// Two strings match case-insensitively when their casemaps are equal.
MAILSTORE_API std::string casemap(std::string_view utf8);

// Compares casemap(a) with casemap(b) octet by octet (RFC 5051 §2): <0, 0, >0.
MAILSTORE_API int casemap_compare(std::string_view a, std::string_view b);

// Whether `needle` occurs in `haystack` under i;unicode-casemap. Both are
// UTF-8; an empty needle matches.
MAILSTORE_API bool casemap_contains(std::string_view haystack, std::string_view needle);

} // namespace mailstore::mime
