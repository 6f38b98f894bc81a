// The text IMAP SEARCH (RFC 3501 §6.4.4) and Sieve match against: header
// values and body text decoded to UTF-8.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace mailstore::mime {

// Calls `sink` with the decoded text of each text body part in message
// order (transfer encoding undone as MessagePart::encoding says — the same
// rule BINARY uses — charset converted to UTF-8, never invalid UTF-8),
// including those inside message/rfc822 parts. Text parts are text/* and,
// as RFC 2045 §5.2 says, parts with no or a syntactically invalid
// Content-Type (read as text/plain; charset=us-ascii; Dovecot 2.3 skips
// the invalid ones). Other parts are skipped. Each call is a whole part; parts are separated by the
// caller's calls (a match never spans two parts).
MAILSTORE_API void for_each_body_text(const ParsedMessage& message,
                                      const std::function<void(std::string_view utf8)>& sink);

// The streaming form of for_each_body_text, for parts of any size: the same
// text in pieces (a few hundred KiB at most, never splitting a UTF-8
// character), each with the index (0, 1, ...) of the text part it belongs
// to, so a caller can keep parts apart. A part with no text gives no call.
// `sink` returns false to stop. Memory stays bounded by the piece size.
MAILSTORE_API void for_each_body_text_piece(
    const ParsedMessage& message,
    const std::function<bool(std::size_t part_index, std::string_view utf8)>& sink);

// SEARCH BODY: whether `needle` (UTF-8) occurs in the decoded body text,
// case-insensitively per i;unicode-casemap. Only text parts (see above) are
// searched; an empty needle matches every message. Streams: memory does
// not grow with the size of a part.
MAILSTORE_API bool body_contains(const ParsedMessage& message, std::string_view needle);

// SEARCH HEADER name / FROM / SUBJECT ...: whether `needle` occurs in the
// decoded value (decoded_value()) of any field called `name` in the top-level
// header. An empty needle matches when the field is present (RFC 3501).
MAILSTORE_API bool header_contains(const ParsedMessage& message, std::string_view name,
                                   std::string_view needle);

// SEARCH TEXT: a match in a header or in the body text (what BODY
// searches). As Dovecot does (RFC 3501: "header or body"), the headers
// searched are all of them — the top-level one, every MIME part's
// and every encapsulated message's — each as "Name: decoded value" lines
// joined by CRLF, so field names match too. An empty needle matches.
MAILSTORE_API bool text_contains(const ParsedMessage& message, std::string_view needle);

} // namespace mailstore::mime
