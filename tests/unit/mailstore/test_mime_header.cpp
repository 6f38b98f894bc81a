#include <doctest/doctest.h>

#include <mailstore/mime/header.hpp>

#include <string>

using namespace mailstore::mime;
using namespace std::string_literals;

TEST_CASE("mime header: fields in order with raw, value, offset")
{
    std::string h = "From: a@b\r\nSubject: hi\r\n there\r\nTo:x\r\n\r\nbody";
    auto f = parse_header_fields(h);
    REQUIRE(f.size() == 3);
    CHECK(f[0].name == "From");
    CHECK(f[0].value == " a@b");
    CHECK(f[0].raw == "From: a@b\r\n");
    CHECK(f[0].offset == 0);
    CHECK(f[1].name == "Subject");
    CHECK(f[1].value == " hi\r\n there");
    CHECK(f[1].raw == "Subject: hi\r\n there\r\n");
    CHECK(f[1].offset == 11);
    CHECK(f[2].name == "To");
    CHECK(f[2].value == "x");
    CHECK(f[2].offset == 32);
    CHECK_FALSE(f[2].malformed);
}

TEST_CASE("mime header: LF-only lines and tab folding")
{
    std::string h = "A: 1\n\tcont\nB: 2\n\nignored: yes\n";
    auto f = parse_header_fields(h);
    REQUIRE(f.size() == 2);
    CHECK(f[0].value == " 1\n\tcont");
    CHECK(f[0].raw == "A: 1\n\tcont\n");
    CHECK(f[1].raw == "B: 2\n");
}

TEST_CASE("mime header: whitespace before the colon (obs syntax)")
{
    auto f = parse_header_fields("X-A : b\r\n \r\nX-B\t: c\r\n");
    REQUIRE(f.size() == 2);
    CHECK(f[0].name == "X-A");
    CHECK(f[0].value == " b\r\n ");  // a whitespace-only line is a continuation
    CHECK(f[1].name == "X-B");
    CHECK_FALSE(f[1].malformed);
}

TEST_CASE("mime header: line without colon is malformed, raw kept")
{
    auto f = parse_header_fields("Subject: a\r\nFoo bar baz\r\nX: y\r\n");
    REQUIRE(f.size() == 3);
    CHECK(f[1].name.empty());
    CHECK(f[1].malformed);
    CHECK(f[1].raw == "Foo bar baz\r\n");
    CHECK(f[1].value == "Foo bar baz");
    CHECK(f[2].name == "X");
}

TEST_CASE("mime header: bad name bytes and empty name are malformed")
{
    auto f = parse_header_fields("Foo bar: x\n: empty\nGood: y\n");
    REQUIRE(f.size() == 3);
    CHECK(f[0].name == "Foo bar");
    CHECK(f[0].malformed);
    CHECK(f[1].name.empty());
    CHECK(f[1].malformed);
    CHECK_FALSE(f[2].malformed);
}

TEST_CASE("mime header: leading continuation line has no field to join")
{
    auto f = parse_header_fields(" leading: cont\nSubject: s\n\n");
    REQUIRE(f.size() == 2);
    CHECK(f[0].malformed);
    CHECK(f[0].name.empty());
    CHECK(f[0].raw == " leading: cont\n");
    CHECK(f[1].name == "Subject");
    Header hdr(" leading: cont\nSubject: s\n\n");
    CHECK_FALSE(hdr.has("leading"));
}

TEST_CASE("mime header: bare CR does not end a line; NUL and 8-bit kept")
{
    std::string h = "Subject: a\rX-Z: q\r\nX-N: a\0b\xff\r\n"s;
    auto f = parse_header_fields(h);
    REQUIRE(f.size() == 2);
    CHECK(f[0].name == "Subject");
    CHECK(f[0].value == " a\rX-Z: q");
    CHECK(f[1].value == " a\0b\xff"s);
}

TEST_CASE("mime header: no terminating blank line, no final line ending")
{
    auto f = parse_header_fields("A: 1\r\nB: 2");
    REQUIRE(f.size() == 2);
    CHECK(f[1].raw == "B: 2");
    CHECK(f[1].value == " 2");
    CHECK(parse_header_fields("").empty());
    CHECK(parse_header_fields("\r\nA: 1\r\n").empty());
    CHECK(parse_header_fields("\nA: 1\n").empty());
}

TEST_CASE("mime header: a 1 MB line is one field")
{
    std::string h = "X-Long: " + std::string(1 << 20, 'a') + "\r\nB: c\r\n\r\n";
    auto f = parse_header_fields(h);
    REQUIRE(f.size() == 2);
    CHECK(f[0].value.size() == (1u << 20) + 1);
    CHECK(f[1].offset == 8 + (1u << 20) + 2);
}

TEST_CASE("mime header: many folded lines stay linear")
{
    std::string h = "X: a";
    for (int i = 0; i < 100000; ++i)
        h += "\r\n b";
    h += "\r\n\r\n";
    auto f = parse_header_fields(h);
    REQUIRE(f.size() == 1);
    CHECK(f[0].raw.size() == h.size() - 2);
}

TEST_CASE("mime header: unfold and unfold_trim")
{
    CHECK(unfold(" a\r\n b\n\tc\rd") == " a b\tcd");
    CHECK(unfold_trim(" \t a\r\n b \t") == "a b");
    CHECK(unfold_trim("\r\n ") == "");
}

TEST_CASE("mime header: decoded_value unfolds, trims, decodes")
{
    CHECK(decoded_value(" hello\r\n world ") == "hello world");
    // Undeclared Latin-1 byte becomes UTF-8.
    CHECK(decoded_value(" caf\xe9") == "caf\xc3\xa9");
    CHECK(decoded_value(" caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(decoded_value(" a\0b"s) == "a\xEF\xBF\xBD" "b");
}

TEST_CASE("mime header: lookup is case-insensitive and keeps order")
{
    Header h("Received: 1\r\nSUBJECT: s\r\nreceived: 2\r\n\r\n");
    REQUIRE(h.first("subject") != nullptr);
    CHECK(h.value("Subject") == " s");
    auto r = h.all("RECEIVED");
    REQUIRE(r.size() == 2);
    CHECK(r[0]->value == " 1");
    CHECK(r[1]->value == " 2");
    CHECK(h.value("Missing").empty());
    CHECK_FALSE(h.has("Missing"));
    CHECK_FALSE(h.has(""));
    CHECK(field_name_equals("Content-Type", "content-TYPE"));
    CHECK_FALSE(field_name_equals("Content-Type", "Content-Typ"));
}
