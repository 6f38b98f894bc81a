#include <mailstore/mutf7.hpp>

#include <doctest/doctest.h>

using namespace mailstore;

TEST_CASE("mutf7: RFC 3501 5.1.3 examples and Dovecot's folder names") {
    CHECK(utf8_to_mutf7("Entwürfe") == std::optional<std::string>("Entw&APw-rfe"));
    CHECK(mutf7_to_utf8("Entw&APw-rfe") == std::optional<std::string>("Entwürfe"));
    CHECK(utf8_to_mutf7("a&b") == std::optional<std::string>("a&-b"));
    CHECK(mutf7_to_utf8("a&-b") == std::optional<std::string>("a&b"));
    // RFC 3501: "~peter/mail/台北/日本語"
    CHECK(utf8_to_mutf7("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") ==
          std::optional<std::string>("~peter/mail/&U,BTFw-/&ZeVnLIqe-"));
    CHECK(mutf7_to_utf8("~peter/mail/&U,BTFw-/&ZeVnLIqe-") ==
          std::optional<std::string>("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"));
    CHECK(utf8_to_mutf7("") == std::optional<std::string>(""));
    CHECK(utf8_to_mutf7("plain INBOX") == std::optional<std::string>("plain INBOX"));
}

TEST_CASE("mutf7: characters beyond the BMP use surrogate pairs") {
    const std::string emoji = "\xf0\x9f\x93\xa7"; // U+1F4E7
    const auto enc = utf8_to_mutf7("x" + emoji);
    REQUIRE(enc);
    CHECK(*enc == "x&2D3c5w-");
    CHECK(mutf7_to_utf8(*enc) == std::optional<std::string>("x" + emoji));
}

TEST_CASE("mutf7: control characters are encoded") {
    CHECK(utf8_to_mutf7("a\tb") == std::optional<std::string>("a&AAk-b"));
    CHECK(mutf7_to_utf8("a&AAk-b") == std::optional<std::string>("a\tb"));
}

TEST_CASE("mutf7: invalid UTF-8 is refused") {
    CHECK(!utf8_to_mutf7("\xff"));
    CHECK(!utf8_to_mutf7("\xc3"));            // truncated
    CHECK(!utf8_to_mutf7("\xc0\xaf"));        // overlong '/'
    CHECK(!utf8_to_mutf7("\xed\xa0\x80"));    // a surrogate
    CHECK(!utf8_to_mutf7("\xf4\x90\x80\x80")); // above U+10FFFF
}

TEST_CASE("mutf7: strict validation") {
    CHECK(is_valid_mutf7("Entw&APw-rfe"));
    CHECK(!is_valid_mutf7("a&b"));          // '&' not written "&-"
    CHECK(!is_valid_mutf7("&APw"));         // unterminated
    CHECK(!is_valid_mutf7("&-&"));
    CHECK(!is_valid_mutf7("&AGE-"));        // encodes printable ASCII 'a'
    CHECK(!is_valid_mutf7("&2D0-"));        // a lone high surrogate
    CHECK(!is_valid_mutf7("&3,8-"));        // a lone low surrogate
    CHECK(!is_valid_mutf7("&APx-"));        // non-zero padding bits
    CHECK(!is_valid_mutf7("&AP/-"));        // '/' is not modified base64
    CHECK(!is_valid_mutf7("&APw=-"));       // padding is not written
    CHECK(!is_valid_mutf7("Entw\xc3\xbcrfe")); // 8-bit text
    CHECK(!is_valid_mutf7("a\tb"));         // a raw control character
    CHECK(!is_valid_mutf7("&APw-&APw-"));   // two shifts where one run belongs
    CHECK(is_valid_mutf7("&APwA,A-"));      // üü in one run
    CHECK(mutf7_to_utf8("&APwA,A-") == std::optional<std::string>("üü"));
}

TEST_CASE("mutf7: round trip over many code points") {
    for (std::uint32_t cp = 1; cp < 0x11000; cp += 7) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        std::string s = "a";
        if (cp < 0x80) s += static_cast<char>(cp);
        else if (cp < 0x800) { s += static_cast<char>(0xc0 | (cp >> 6)); s += static_cast<char>(0x80 | (cp & 0x3f)); }
        else if (cp < 0x10000) { s += static_cast<char>(0xe0 | (cp >> 12)); s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)); s += static_cast<char>(0x80 | (cp & 0x3f)); }
        else { s += static_cast<char>(0xf0 | (cp >> 18)); s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f)); s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)); s += static_cast<char>(0x80 | (cp & 0x3f)); }
        const auto enc = utf8_to_mutf7(s);
        REQUIRE(enc);
        CHECK(is_valid_mutf7(*enc));
        CHECK(mutf7_to_utf8(*enc) == std::optional<std::string>(s));
    }
}
