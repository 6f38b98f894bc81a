// Adding header fields to a message without touching the rest of it: the
// delivery pipeline puts Return-Path, Delivered-To and Received in front of
// the bytes it received, which are then written out unchanged.
#pragma once

#include <mailstore/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailstore::mime {

// "CRLF" or "LF": the line ending the message's first line uses (CRLF when
// the message has no line ending at all).
MAILSTORE_API std::string_view detect_line_ending(std::string_view message);

// Formats "Name: value" plus `eol`, folding at whitespace so that lines stay
// within 78 octets where possible (RFC 5322 §2.1.1); CR/LF inside `value`
// are replaced by spaces so a value can never inject a header, and NUL
// bytes (which RFC 5322 §2.2 does not allow in a field) are removed.
// `name` must be a field name (RFC 5322 §3.6.8: 1*ftext, printable ASCII
// except ':', at most kMaxFieldName octets); any other name gives "" (no
// field), so a name can never inject a header either.
inline constexpr std::size_t kMaxFieldName = 76;
MAILSTORE_API bool is_field_name(std::string_view name);
MAILSTORE_API std::string format_field(std::string_view name, std::string_view value,
                                       std::string_view eol = "\r\n");

// The bytes to write before `message` to add `fields` (in order) at its
// top, in the message's own line-ending style. Fields whose name is not a
// field name are left out. When the message's first line starts with a
// blank (SP or HTAB) it would read as a continuation of the last field
// written here (RFC 5322 §2.2.3) and change its value; an empty
// "X-Loft-Continued:" field is then written last to take that line, so
// the added fields keep their values and the message's bytes stay as
// received.
MAILSTORE_API std::string prepend_fields(std::string_view message,
                                         const std::vector<std::pair<std::string, std::string>>& fields);

} // namespace mailstore::mime
