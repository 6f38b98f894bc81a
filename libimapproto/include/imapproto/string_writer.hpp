// Writing IMAP strings (RFC 3501 §4.3, §9 formal syntax): the writer picks
// the form a value needs — atom, quoted string or literal — so that any
// bytes survive the trip to the client.
#pragma once

#include <imapproto/export.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace imapproto {

// Appends `s` as an IMAP string: quoted when every byte is allowed in a
// quoted string (7-bit, no CR, LF or NUL; '"' and '\' escaped), else a
// literal "{n}\r\n" followed by the bytes.
IMAPPROTO_API void write_string(std::string& out, std::string_view s);

// nstring: NIL for nullopt, else write_string.
IMAPPROTO_API void write_nstring(std::string& out, const std::optional<std::string>& s);

// astring: an atom when `s` is a non-empty sequence of ATOM-CHARs or ']'
// (RFC 3501 ASTRING-CHAR), else write_string.
IMAPPROTO_API void write_astring(std::string& out, std::string_view s);

} // namespace imapproto
