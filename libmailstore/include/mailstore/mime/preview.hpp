// The preview text of a message (RFC 8970 PREVIEW): a short plain-text
// rendering of the start of its body, for a client's message list.
//
// What goes in (RFC 8970 §3.3 leaves the algorithm to the server; these are
// the choices, modelled on Dovecot 2.3's answers):
// - the first text/plain part of the message, not looking inside attached
//   messages (message/rfc822) nor at parts marked as attachments; if there
//   is none, the first text/html part; anything else gives "";
// - its transfer encoding undone and its charset converted to UTF-8
//   (invalid bytes become U+FFFD);
// - plain text: lines starting with '>' (quoted text) are left out;
//   HTML: tags, comments and the contents of <script>, <style> and
//   <blockquote> are left out (each tag counts as a space), character
//   references are decoded;
// - runs of ASCII whitespace (space, TAB, CR, LF, FF, VT) become one space,
//   leading and trailing whitespace go, NUL bytes go;
// - at most kPreviewMaxChars Unicode characters (RFC 8970 §3.3: SHOULD be
//   at most 200, MUST NOT exceed 256), never splitting a UTF-8 character.
//
// Bounded: only the first kPreviewMaxInput octets of the part's body are
// decoded, whatever the message size.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mailstore::mime {

inline constexpr std::size_t kPreviewMaxChars = 200;
inline constexpr std::size_t kPreviewMaxInput = 128 * 1024;

// The preview of a parsed message: valid UTF-8, at most kPreviewMaxChars
// characters, "" when the message has no text to show. Never fails.
MAILSTORE_API std::string message_preview(const ParsedMessage& message);

// The preview of one piece of decoded UTF-8 body text: `html` selects the
// HTML rules, else the plain-text rules. For tests and other callers that
// already hold the text.
MAILSTORE_API std::string text_preview(std::string_view utf8, bool html);

} // namespace mailstore::mime
