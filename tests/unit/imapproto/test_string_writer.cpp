// IMAP string forms. Every expected value here is what Dovecot 2.3.19 sends
// for the same value (checked with tests/corpus/tools/dovecot-fetch).
#include <imapproto/string_writer.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>

using namespace std::string_literals;

namespace {

std::string str(std::string_view s) {
    std::string out;
    imapproto::write_string(out, s);
    return out;
}
std::string astr(std::string_view s) {
    std::string out;
    imapproto::write_astring(out, s);
    return out;
}
std::string hdr(std::string_view s) {
    std::string out;
    imapproto::write_header_string(out, s);
    return out;
}
std::string human(std::string_view s) {
    std::string out;
    imapproto::write_display_string(out, s);
    return out;
}

} // namespace

TEST_CASE("string writer: plain 7-bit text is a quoted string") {
    CHECK(str("hello world") == "\"hello world\"");
    CHECK(str("") == "\"\"");
    // TAB and other controls except CR, LF and NUL are QUOTED-CHARs.
    CHECK(str("a\tb") == "\"a\tb\"");
    CHECK(str("a\x01" "b\x7f" "c") == "\"a\x01" "b\x7f" "c\"");
}

TEST_CASE("string writer: quote and backslash are escaped inside quotes") {
    CHECK(str("x\"y\\z") == "\"x\\\"y\\\\z\"");
    CHECK(str("\\") == "\"\\\\\"");
}

TEST_CASE("string writer: 8-bit, CR and LF need a literal") {
    CHECK(str("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
    CHECK(str("caf\xe9") == "{4}\r\ncaf\xe9");  // invalid UTF-8 is sent as it is
    CHECK(str("x\ry") == "{3}\r\nx\ry");
    CHECK(str("x\ny") == "{3}\r\nx\ny");
    // Inside a literal nothing is escaped.
    CHECK(str("\"\xc3\xa9\\") == "{4}\r\n\"\xc3\xa9\\");
}

TEST_CASE("string writer: NUL becomes U+FFFD, in a literal") {
    CHECK(str("a\0b"s) == "{5}\r\na\xef\xbf\xbd" "b");
    CHECK(str("\0\0"s) == "{6}\r\n\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("string writer: long values stay quoted") {
    std::string v(5000, 'x');
    CHECK(str(v) == "\"" + v + "\"");
}

TEST_CASE("string writer: nstring") {
    std::string out;
    imapproto::write_nstring(out, std::nullopt);
    out += ' ';
    imapproto::write_nstring(out, std::string());
    out += ' ';
    imapproto::write_nstring(out, std::string("NIL"));
    CHECK(out == "NIL \"\" \"NIL\"");
}

TEST_CASE("string writer: astring is an atom where the grammar allows") {
    CHECK(astr("INBOX") == "INBOX");
    CHECK(astr("a]b") == "a]b");           // resp-specials are ASTRING-CHARs
    CHECK(astr("x.y-z_1!#&'+,/:;<=>?@[^`|}~") == "x.y-z_1!#&'+,/:;<=>?@[^`|}~");
    CHECK(astr("") == "\"\"");
    CHECK(astr("a b") == "\"a b\"");
    CHECK(astr("a(b") == "\"a(b\"");
    CHECK(astr("a)b") == "\"a)b\"");
    CHECK(astr("a{b") == "\"a{b\"");
    CHECK(astr("a%") == "\"a%\"");
    CHECK(astr("a*") == "\"a*\"");
    CHECK(astr("a\"b") == "\"a\\\"b\"");
    CHECK(astr("a\\b") == "\"a\\\\b\"");
    CHECK(astr("a\x01" "b") == "\"a\x01" "b\"");
    CHECK(astr("a\x7f") == "\"a\x7f\"");
    CHECK(astr("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
}

TEST_CASE("string writer: header values lose their line breaks") {
    CHECK(hdr("<id@x>") == "\"<id@x>\"");
    // A bare CR inside text becomes a space; a run of them one space.
    CHECK(hdr("a\rb") == "\"a b\"");
    CHECK(hdr("c\r\r\rd") == "\"c d\"");
    // Before whitespace it was folding: dropped, the whitespace stays.
    CHECK(hdr("a\r b") == "\"a b\"");
    CHECK(hdr("a\r\tb") == "\"a\tb\"");
    CHECK(hdr("a\r\r b") == "\"a b\"");
    CHECK(hdr("a\r\n\tb") == "\"a\tb\"");
    CHECK(hdr("a \rb") == "\"a  b\"");
    CHECK(hdr("c\r de \rf") == "\"c de  f\"");
    // At the ends: a leading break separates nothing but still counts as a
    // space; a trailing one goes.
    CHECK(hdr("\rb") == "\" b\"");
    CHECK(hdr("a\r") == "\"a\"");
    CHECK(hdr("a\r\r") == "\"a\"");
    // Other whitespace is kept as written.
    CHECK(hdr("  a  b  ") == "\"  a  b  \"");
    CHECK(hdr("a\\\\b\"c") == "\"a\\\\\\\\b\\\"c\"");
    CHECK(hdr("a\0\rb"s) == "{6}\r\na\xef\xbf\xbd b");
    CHECK(hdr("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
}

TEST_CASE("string writer: display text unchanged is quoted") {
    CHECK(human("Name Here") == "\"Name Here\"");
    CHECK(human("=?utf-8?q?caf=C3=A9?= x") == "\"=?utf-8?q?caf=C3=A9?= x\"");
    CHECK(human("a\x01" "b") == "\"a\x01" "b\"");
    CHECK(human("") == "\"\"");
}

TEST_CASE("string writer: display text is cleaned and then sent as a literal") {
    CHECK(human("Name  Here") == "{9}\r\nName Here");
    CHECK(human("  x  ") == "{1}\r\nx");
    CHECK(human("x ") == "{1}\r\nx");
    CHECK(human(" x") == "{1}\r\nx");
    CHECK(human("a\tb") == "{3}\r\na b");
    CHECK(human("a \t b") == "{3}\r\na b");
    CHECK(human("a\rb") == "{3}\r\na b");
    CHECK(human("lead  two\tspaces\r\n  folded   trail   ") == "{28}\r\nlead two spaces folded trail");
    // Nothing to clean, but a quoted string would need escapes: literal.
    CHECK(human("A \"q\" B") == "{7}\r\nA \"q\" B");
    CHECK(human("x\\y") == "{3}\r\nx\\y");
    CHECK(human("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
    CHECK(human("caf\xe9 \xff\xfe") == "{7}\r\ncaf\xe9 \xff\xfe");
    CHECK(human("a\0b"s) == "{5}\r\na\xef\xbf\xbd" "b");
}

TEST_CASE("string writer: display text of only whitespace is empty") {
    CHECK(human("   ") == "\"\"");
    CHECK(human("\t") == "\"\"");
    CHECK(human(" \r\n ") == "\"\"");
}
