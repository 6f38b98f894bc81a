// The text IMAP SEARCH (RFC 3501 §6.4.4) and Sieve match against: header
// values and body text decoded to UTF-8.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace mailstore::mime {

// Calls `sink` with the decoded text of each text/* body part in message
// order (transfer encoding undone, charset converted to UTF-8, never
// invalid UTF-8), including those inside message/rfc822 parts. Non-text
// parts are skipped. Each call is a whole part; parts are separated by the
// caller's calls (a match never spans two parts).
MAILSTORE_API void for_each_body_text(const ParsedMessage& message,
                                      const std::function<void(std::string_view utf8)>& sink);

// SEARCH BODY: whether `needle` (UTF-8) occurs in the decoded body text,
// case-insensitively per i;unicode-casemap. Only text/* parts are searched
// (as Dovecot does); an empty needle matches every message.
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
