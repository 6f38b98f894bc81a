// IMAP text of the message data items that describe a message's shape:
// ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2). Usable without a
// session: give it a parsed message, get the bytes a FETCH response carries.
#pragma once

#include <imapproto/export.hpp>

#include <mailstore/mime/envelope.hpp>
#include <mailstore/mime/message.hpp>

#include <string>

namespace imapproto {

// Appends "(date subject (from) (sender) ... message-id)".
IMAPPROTO_API void write_envelope(std::string& out, const mailstore::mime::Envelope& envelope);

// Appends the body structure of `part` (normally message.root()).
// `extended` = true gives BODYSTRUCTURE (with md5, disposition, language,
// location and the multipart parameters); false gives BODY.
IMAPPROTO_API void write_body_structure(std::string& out,
                                        const mailstore::mime::ParsedMessage& message,
                                        const mailstore::mime::MessagePart& part, bool extended);

// Convenience: ENVELOPE / BODYSTRUCTURE / BODY of a whole message.
IMAPPROTO_API std::string envelope_text(const mailstore::mime::ParsedMessage& message);
IMAPPROTO_API std::string bodystructure_text(const mailstore::mime::ParsedMessage& message);
IMAPPROTO_API std::string body_text(const mailstore::mime::ParsedMessage& message);

} // namespace imapproto
