// RFC 5322 addresses (§3.4) including the obsolete forms of §4.4: mailbox
// lists, groups, quoted local parts, comments, source routes. Tolerant of
// what real mailers write; the result keeps the raw (not RFC 2047 decoded)
// display name, which is what IMAP ENVELOPE reports.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mailstore::mime {

struct MAILSTORE_API Address {
    enum class Kind { mailbox, group_start, group_end };
    Kind kind = Kind::mailbox;
    // Display name (or, for group_start, the group name): quotes and
    // quoted-pair escapes removed, runs of whitespace and folding collapsed
    // to one space, encoded words left as written. When there is no display
    // name but a comment follows the address ("a@b (Name)"), the comment.
    std::string name;
    bool has_name = false;  // false: no name at all (IMAP NIL), as opposed to ""
    std::string route;      // obsolete source route "@a,@b" (no trailing ':'), or empty
                            // (also when unreadable; `invalid` is then set)
    std::string local_part; // as written, quoted local parts keep their quotes
    std::string domain;     // empty when there is none ("user" alone)
    // The address was damaged (missing local part, domain, or closing '>');
    // local_part/domain then hold what could be recovered.
    bool invalid = false;

    // "local@domain", or just local when there is no domain.
    std::string addr_spec() const;
    // The local part as a value (RFC 5322 §3.4.1: the quotes of a quoted
    // local part are not part of it). A local_part in double quotes comes
    // back without them and with each quoted-pair reduced to its second
    // byte (written "a b" gives a b, written "a\"b" gives a"b); any other
    // local_part as it is. What Sieve's :localpart compares (RFC 5228 §2.7.4).
    std::string unquoted_local_part() const;
};

// Parses an address-list / mailbox-list header value (raw, may be folded).
// Groups come as group_start, members, group_end. Never fails; an empty or
// unparseable value gives what could be salvaged (possibly nothing).
// Damaged input is read as Dovecot 2.3 reads it: an empty element between
// commas is an invalid empty address, "some words" without an address is a
// name with no address, a group inside a group is a damaged mailbox, and
// parsing stops at the first byte that cannot continue the list. Linear in
// the input; at most 100000 entries are returned.
MAILSTORE_API std::vector<Address> parse_address_list(std::string_view value);

// The display name decoded for people (RFC 2047 → UTF-8).
MAILSTORE_API std::string decoded_name(const Address& address);

// Writes addresses back as a header value: names quoted where RFC 5322
// needs it, groups as "name: a, b;".
MAILSTORE_API std::string format_address_list(const std::vector<Address>& addresses);

} // namespace mailstore::mime
