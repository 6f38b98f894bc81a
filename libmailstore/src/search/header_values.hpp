// What SEARCH FROM / TO / CC / BCC / SUBJECT / HEADER <name> look at in a
// message, in a form that can be kept in the index cache.
//
// Such a key matches when its string occurs, under i;unicode-casemap, in
// the decoded value (mime::decoded_value) of any top-level field of that
// name (mime::header_contains). Matching is per character after casemap,
// so "needle in casemap(value)" is the same test as casemapping both each
// time: the casemapped decoded values are what is cached, one list per
// field name ("search.hdr.<name>", filled by the first search on that
// field), and a later search compares octets without opening the message
// or casemapping anything. The cached text keeps all that decoding can
// see — comments, group syntax, spacing and encoded words as decoded —
// which the cached ENVELOPE does not.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mailstore::search::detail {

// Cached values longer than this in all are not cached: such a message's
// header is read each time (a hostile header cannot fill the cache).
inline constexpr std::size_t kMaxCachedHeaderValues = 64 * 1024;

// The cache field holding the values of header field `name`, or nullopt
// for a name whose values are not cached (only the fields of FROM, TO, CC,
// BCC, SUBJECT and a fixed list of fields commonly searched with HEADER
// are: header_values.cpp).
MAILSTORE_INTERNAL_API std::optional<std::string> header_values_field(std::string_view name);

// The values of every top-level field called `name` in `message`, each
// decoded and casemapped, encoded as a list ("" when there is none).
MAILSTORE_INTERNAL_API std::string encode_header_values(const mime::ParsedMessage& message, std::string_view name);

// Whether `encoded` is a list encode_header_values() could have written.
MAILSTORE_INTERNAL_API bool header_values_valid(std::string_view encoded);

// Whether the list `encoded` matches a search for `needle` whose casemap is
// `folded_needle`: an empty needle matches when there is a value (RFC 3501
// HEADER with ""), any other when `folded_needle` occurs in a value.
MAILSTORE_INTERNAL_API bool header_values_match(std::string_view encoded, std::string_view needle, std::string_view folded_needle);

} // namespace mailstore::search::detail
