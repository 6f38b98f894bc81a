#include <doctest/doctest.h>

#include <mailstore/mime/header.hpp>
#include <mailstore/mime/header_writer.hpp>

#include <string>

using namespace mailstore::mime;

TEST_CASE("mime header_writer: line ending of the first line")
{
    CHECK(detect_line_ending("A: b\r\nC: d\n") == "\r\n");
    CHECK(detect_line_ending("A: b\nC: d\r\n") == "\n");
    CHECK(detect_line_ending("no line end") == "\r\n");
    CHECK(detect_line_ending("") == "\r\n");
    CHECK(detect_line_ending("\n") == "\n");
}

TEST_CASE("mime header_writer: short field on one line")
{
    CHECK(format_field("Return-Path", "<a@b>") == "Return-Path: <a@b>\r\n");
    CHECK(format_field("Delivered-To", "u@x", "\n") == "Delivered-To: u@x\n");
    CHECK(format_field("X-Empty", "") == "X-Empty: \r\n");
}

TEST_CASE("mime header_writer: CR and LF in a value cannot inject a field")
{
    std::string f = format_field("X-Note", "a\r\nBcc: evil@x\nc\rd");
    CHECK(f == "X-Note: a  Bcc: evil@x c d\r\n");
    Header h(f);
    REQUIRE(h.fields().size() == 1);
    CHECK_FALSE(h.has("Bcc"));
}

TEST_CASE("mime header_writer: long values fold at whitespace within 78 octets")
{
    std::string value = "from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net "
                        "(Loft) with LMTP id 12345 for <user@example.net>; Sat, 28 Nov 2026 16:00:00 +0000";
    std::string f = format_field("Received", value);
    // Every line within the limit, continuation lines start with WSP.
    std::size_t pos = 0;
    int lines = 0;
    while (pos < f.size()) {
        std::size_t e = f.find("\r\n", pos);
        REQUIRE(e != std::string::npos);
        CHECK(e - pos <= 78);
        if (lines > 0)
            CHECK(f[pos] == ' ');
        ++lines;
        pos = e + 2;
    }
    CHECK(lines >= 3);
    // Unfolding gives the value back unchanged.
    auto fields = parse_header_fields(f);
    REQUIRE(fields.size() == 1);
    CHECK(fields[0].name == "Received");
    CHECK(unfold_trim(fields[0].value) == value);
}

TEST_CASE("mime header_writer: a word longer than the line stays whole")
{
    std::string word(200, 'x');
    std::string f = format_field("X-Long", word + " tail");
    CHECK(f == "X-Long: " + word + "\r\n tail\r\n");
    std::string g = format_field("X-Long", word);
    CHECK(g == "X-Long: " + word + "\r\n");
}

TEST_CASE("mime header_writer: runs of spaces never make a blank continuation line")
{
    std::string value = std::string(70, 'a') + "          " + std::string(20, 'b');
    std::string f = format_field("X-S", value);
    CHECK(f.find("\r\n \r\n") == std::string::npos);
    CHECK(f.find("\r\n\r\n") == std::string::npos);
    auto fields = parse_header_fields(f);
    REQUIRE(fields.size() == 1);
    CHECK(unfold_trim(fields[0].value) == value);
}

TEST_CASE("mime header_writer: prepend_fields uses the message's line ending")
{
    std::vector<std::pair<std::string, std::string>> add = {{"Return-Path", "<a@b>"}, {"Delivered-To", "u@x"}};
    CHECK(prepend_fields("Subject: s\r\n\r\nbody\r\n", add) == "Return-Path: <a@b>\r\nDelivered-To: u@x\r\n");
    CHECK(prepend_fields("Subject: s\n\nbody\n", add) == "Return-Path: <a@b>\nDelivered-To: u@x\n");
    CHECK(prepend_fields("Subject: s\n", {}) == "");
}

TEST_CASE("mime header_writer: only RFC 5322 field names are written")
{
    CHECK(is_field_name("X-A"));
    CHECK(is_field_name("!#~"));
    CHECK_FALSE(is_field_name(""));
    CHECK_FALSE(is_field_name("X-A\r\nBcc"));
    CHECK_FALSE(is_field_name("X A"));
    CHECK_FALSE(is_field_name("X:A"));
    CHECK_FALSE(is_field_name("X\x7f"));
    CHECK_FALSE(is_field_name("caf\xc3\xa9"));
    CHECK_FALSE(is_field_name(std::string_view("X\0A", 3)));
    CHECK(is_field_name(std::string(kMaxFieldName, 'a')));
    CHECK_FALSE(is_field_name(std::string(kMaxFieldName + 1, 'a')));
    // A name that would inject another field gives no field at all.
    CHECK(format_field("X-A\r\nBcc", "v") == "");
    CHECK(format_field("X-A\nBcc", "v") == "");
    CHECK(format_field("", "v") == "");
    CHECK(format_field("Bcc:", "v") == "");
    CHECK(prepend_fields("Subject: s\r\n\r\nb\r\n", {{"X-A\r\nBcc", "evil@x"}, {"X-B", "ok"}}) ==
          "X-B: ok\r\n");
}

TEST_CASE("mime header_writer: NUL bytes are removed from values")
{
    CHECK(format_field("X-A", std::string_view("a\0b\0", 4)) == "X-A: ab\r\n");
    CHECK(format_field("X-A", std::string_view("\0", 1)) == "X-A: \r\n");
}

TEST_CASE("mime header_writer: a message starting with a blank cannot extend an added field")
{
    std::vector<std::pair<std::string, std::string>> add = {{"Return-Path", "<a@b>"}};
    const std::string msg = " Subject: s\r\n\r\nbody\r\n";
    std::string pre = prepend_fields(msg, add);
    CHECK(pre == "Return-Path: <a@b>\r\nX-Loft-Continued:\r\n");
    const std::string whole = pre + msg;
    Header h(whole);
    REQUIRE(h.first("Return-Path") != nullptr);
    CHECK(h.value("Return-Path") == " <a@b>");
    CHECK(prepend_fields("\tx\n\nbody\n", add) == "Return-Path: <a@b>\nX-Loft-Continued:\n");
    // Nothing added: nothing to protect.
    CHECK(prepend_fields(" Subject: s\r\n", {}) == "");
    CHECK(prepend_fields(" Subject: s\r\n", {{"Bad Name", "v"}}) == "");
    // Not a blank: unchanged.
    CHECK(prepend_fields("Subject: s\r\n", add) == "Return-Path: <a@b>\r\n");
}
