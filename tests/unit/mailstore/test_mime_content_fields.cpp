// Content-ID, Content-Location and Content-MD5 values.
#include <mailstore/mime/content_type.hpp>

#include <doctest/doctest.h>

using namespace mailstore::mime;

TEST_CASE("mime content-id is the msg-id without brackets (RFC 2045 §7, RFC 2392)")
{
    CHECK(parse_content_id(" <part1.abc@example.com>") == std::optional<std::string>("part1.abc@example.com"));
    // Comments and folding around it are not part of it.
    CHECK(parse_content_id("(inline image)\r\n <img1@host>") == std::optional<std::string>("img1@host"));
    CHECK_FALSE(parse_content_id("").has_value());
    CHECK_FALSE(parse_content_id("no brackets here").has_value());
}

TEST_CASE("mime content-location loses folding, whitespace and quotes (RFC 2557 §4.4.1)")
{
    CHECK(parse_content_location(" http://www.example.com/images/\r\n  logo.png") ==
          "http://www.example.com/images/logo.png");
    CHECK(parse_content_location("\"cid:a@b\"") == "cid:a@b");
    CHECK(parse_content_location("  ") == "");
}

TEST_CASE("mime content-md5 is 16 octets of base64 (RFC 1864)")
{
    // MD5("") = d41d8cd98f00b204e9800998ecf8427e
    auto digest = parse_content_md5(" 1B2M2Y8AsgTpgAmY7PhCfg==");
    REQUIRE(digest.has_value());
    CHECK(*digest == std::string("\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e", 16));
    CHECK_FALSE(parse_content_md5("1B2M2Y8AsgTpgAmY7PhC").has_value());       // 15 octets
    CHECK_FALSE(parse_content_md5("1B2M2Y8AsgTpgAmY7PhCfg==AAAA").has_value()); // data after the padding
    CHECK_FALSE(parse_content_md5("1B2M2Y8A!gTpgAmY7PhCfg==").has_value());    // not base64
    CHECK_FALSE(parse_content_md5("").has_value());
}
