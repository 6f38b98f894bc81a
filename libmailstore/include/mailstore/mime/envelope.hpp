// The IMAP ENVELOPE (RFC 3501 §7.4.2) as a protocol-neutral structure built
// from a header. libimapproto renders it (imapproto/fetch_writer.hpp).
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/header.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mailstore::mime {

// One element of an ENVELOPE address list: (name adl mailbox host). nullopt
// is NIL. A group start has mailbox = group name and host NIL; a group end
// has mailbox and host NIL.
//
// As Dovecot 2.3 sends them: a damaged address gets "MISSING_MAILBOX" /
// "MISSING_DOMAIN" for an absent local part / domain, host "SYNTAX_ERROR"
// when a "<...>" did not parse, adl "INVALID_ROUTE" for an unreadable route.
// `name` is raw (quoted-string content, encoded words as written, inner
// whitespace, tabs, CRs and NULs kept): write it "for humans" like the
// subject (imapproto::write_display_string).
struct EnvelopeAddress {
    std::optional<std::string> name;
    std::optional<std::string> adl;
    std::optional<std::string> mailbox;
    std::optional<std::string> host;
    bool operator==(const EnvelopeAddress&) const = default;
};

struct Envelope {
    // Raw field values, NIL when the field is absent, "" when it is empty.
    // The last field of each name counts. Only the SP/HTAB right after the
    // colon is skipped; folding, bare CRs and NULs stay (Dovecot drops the
    // line breaks of date / in-reply-to / message-id when writing them,
    // imapproto::write_header_string, and writes the subject and address
    // names "for humans", imapproto::write_display_string).
    std::optional<std::string> date;
    std::optional<std::string> subject;
    // Each list joins every field of that name in order; an empty list is NIL.
    std::vector<EnvelopeAddress> from;
    std::vector<EnvelopeAddress> sender; // defaults to from (RFC 3501)
    std::vector<EnvelopeAddress> reply_to;
    std::vector<EnvelopeAddress> to;
    std::vector<EnvelopeAddress> cc;
    std::vector<EnvelopeAddress> bcc;
    std::optional<std::string> in_reply_to;
    std::optional<std::string> message_id;
};

// Builds the envelope of a message (or encapsulated message) header.
MAILSTORE_API Envelope build_envelope(const Header& header);

} // namespace mailstore::mime
