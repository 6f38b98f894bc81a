// Writing IMAP strings (RFC 3501 §4.3, §9 formal syntax): the writer picks
// the form a value needs — atom, quoted string or literal — so that the
// value reaches the client intact, and it never writes an illegal string.
//
// The choices are Dovecot 2.3's, so FETCH answers compare byte for byte:
// a quoted string whenever the grammar allows one (any length, control
// characters other than CR/LF/NUL included, '"' and '\' escaped), else a
// literal. NUL fits neither a quoted string nor a literal (CHAR8 is
// %x01-ff; only RFC 3516 literal8 may hold NUL), so it is written as U+FFFD,
// which is also what Dovecot shows for a NUL in a header.
#pragma once

#include <imapproto/export.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace imapproto {

// Appends `s` as an IMAP string: quoted when every byte is allowed in a
// quoted string (7-bit, no CR, LF or NUL; '"' and '\' escaped), else a
// literal "{n}\r\n" followed by the bytes (NUL written as U+FFFD).
IMAPPROTO_API void write_string(std::string& out, std::string_view s);

// nstring: NIL for nullopt, else write_string.
IMAPPROTO_API void write_nstring(std::string& out, const std::optional<std::string>& s);

// astring: an atom when `s` is a non-empty sequence of ATOM-CHARs or ']'
// (RFC 3501 ASTRING-CHAR), else write_string.
IMAPPROTO_API void write_astring(std::string& out, std::string_view s);

// A header field value (ENVELOPE date / in-reply-to / message-id,
// BODYSTRUCTURE id / description / md5 / location): like write_string, but
// line breaks left in the value are not sent. A run of CR/LF bytes is
// dropped when whitespace follows it or it ends the value (it was folding),
// else it becomes one space: "a\rb" -> "a b", "a\r b" -> "a b".
IMAPPROTO_API void write_header_string(std::string& out, std::string_view s);

// Text meant for people (ENVELOPE subject and address display names),
// cleaned up the way Dovecot does it: TAB, CR and LF count as spaces, runs
// of spaces become one, leading and trailing spaces go, NUL becomes U+FFFD.
// A value that needed no change and has no '"', '\' or 8-bit byte is
// quoted; anything else is sent as a literal of the cleaned text, and a
// value that was only whitespace as "".
IMAPPROTO_API void write_display_string(std::string& out, std::string_view s);

} // namespace imapproto
