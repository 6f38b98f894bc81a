// Internal: the address-list parser behind parse_address_list() and
// build_envelope(). It follows RFC 5322 §3.4 / §4.4 where input is valid and,
// where it is not, recovers the way Dovecot 2.3 does, so that ENVELOPE
// address lists come out identical (placeholders are added by the envelope
// builder, not here).
#pragma once

#include <mailstore/mime/envelope.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::mime::detail {

struct RawAddress {
    enum class Kind { mailbox, group_start, group_end };
    Kind kind = Kind::mailbox;
    // Display name: phrase words joined by one space, quoted strings
    // unquoted (their inner whitespace kept), or the comment after a bare
    // addr-spec. For group_start the group name ("" possible). nullopt: none.
    std::optional<std::string> name;
    std::optional<std::string> route;    // "@a,@b"
    std::optional<std::string> mailbox;  // local part, quotes removed
    std::optional<std::string> domain;   // as parsed (literal brackets kept)
    bool invalid = false;        // some part was damaged
    bool invalid_route = false;  // "<@a x...": route unreadable (Dovecot: INVALID_ROUTE)
    bool syntax_error = false;   // name-addr whose <...> did not parse (Dovecot: host SYNTAX_ERROR)
    bool quoted_local = false;   // local part was a quoted-string
};

// Upper bound on the addresses taken from one value: a 1 MB header of
// commas must not become a million list entries.
inline constexpr std::size_t max_addresses = 100000;

// Parses a header value (folded or not). Never fails.
std::vector<RawAddress> parse_raw_addresses(std::string_view value);

// The ENVELOPE form of one parsed address, with Dovecot's placeholders for
// what is missing (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR,
// INVALID_ROUTE). SORT uses the same values.
EnvelopeAddress envelope_address(const RawAddress& raw);

// A display name with non-ASCII characters as a phrase of RFC 2047 encoded
// words only (§5 (3)): every word encoded, so no special character is left
// bare next to them. Defined in encoded_word.cpp.
std::string encode_phrase(std::string_view utf8);

} // namespace mailstore::mime::detail
