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
struct EnvelopeAddress {
    std::optional<std::string> name;
    std::optional<std::string> adl;
    std::optional<std::string> mailbox;
    std::optional<std::string> host;
    bool operator==(const EnvelopeAddress&) const = default;
};

struct Envelope {
    std::optional<std::string> date;     // raw field values (NIL when absent)
    std::optional<std::string> subject;
    std::vector<EnvelopeAddress> from;   // empty list is NIL
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
