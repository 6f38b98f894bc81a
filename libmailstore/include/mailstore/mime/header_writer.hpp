// Adding header fields to a message without touching the rest of it: the
// delivery pipeline puts Return-Path, Delivered-To and Received in front of
// the bytes it received, which are then written out unchanged.
#pragma once

#include <mailstore/export.hpp>

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
// are replaced by spaces so a value can never inject a header.
MAILSTORE_API std::string format_field(std::string_view name, std::string_view value,
                                       std::string_view eol = "\r\n");

// The bytes to write before `message` to add `fields` (in order) at its
// top, in the message's own line-ending style.
MAILSTORE_API std::string prepend_fields(std::string_view message,
                                         const std::vector<std::pair<std::string, std::string>>& fields);

} // namespace mailstore::mime
