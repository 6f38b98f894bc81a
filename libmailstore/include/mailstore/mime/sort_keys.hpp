// Values SORT and THREAD (RFC 5256) and SORT=DISPLAY (RFC 5957) order by,
// derived from header fields.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/address.hpp>
#include <mailstore/mime/date.hpp>
#include <mailstore/mime/header.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::mime {

// RFC 5256 §2.1 base subject of a raw Subject value: encoded words decoded
// to UTF-8, whitespace collapsed, then "Re:", "Fw:", "Fwd:", "[blob]"
// prefixes, "(fwd)" trailers and "[Fwd: ...]" wrappers removed as the
// algorithm says. Not case-folded (compare with casemap()). When
// `is_reply_or_forward` is given it is set as §2.1 defines it for THREAD.
MAILSTORE_API std::string base_subject(std::string_view raw_subject,
                                       bool* is_reply_or_forward = nullptr);

// The first msg-id in a Message-ID / In-Reply-To value, without the angle
// brackets; nullopt when there is none. CFWS inside is removed and a quoted
// local part unquoted (<"a" @ b> is "a@b"); "<...>" without text on both
// sides of an '@' is junk and skipped; a '<' inside a comment is ignored.
MAILSTORE_API std::optional<std::string> parse_message_id(std::string_view value);

// Every msg-id in a References / In-Reply-To value, in order, without angle
// brackets, skipping junk between them.
MAILSTORE_API std::vector<std::string> parse_message_ids(std::string_view value);

// SORT FROM/TO/CC key (RFC 5256 §3): the local part (addr-mailbox) of the
// first address in the raw field value, "" when there is none. As in
// ENVELOPE (and Dovecot's SORT): "MISSING_MAILBOX" for an address without
// a local part, the group name for a group.
MAILSTORE_API std::string sort_address_key(std::string_view raw_value);

// SORT DISPLAYFROM/DISPLAYTO key (RFC 5957 §3): the decoded display name of
// the first address, else its addr-spec, "" when there is none. The name
// keeps its spaces; the addr-spec uses ENVELOPE's placeholders
// ("userwithoutat@MISSING_DOMAIN"), a group gives its name (as Dovecot).
MAILSTORE_API std::string sort_display_key(std::string_view raw_value);

// The sent date (RFC 5256 §2.2): the Date field when it parses; nullopt
// tells the caller to use the internal date.
MAILSTORE_API std::optional<DateTime> sent_date(const Header& header);

} // namespace mailstore::mime
