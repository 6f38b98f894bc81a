// pop3_uidl_format expansion and the UIDL helpers (uidl.hpp).
#include "../test_support.hpp"

#include "uidl.hpp"

using namespace pop3proto::detail;

namespace {

UidlValues values() {
    UidlValues v;
    v.uidvalidity = 1795937614; // 0x6b0bd54e
    v.uid = 1;
    v.header_md5 = "0123456789abcdef0123456789abcdef";
    v.filename = "1000.M1P1.host";
    v.guid = "guid-1";
    return v;
}

std::string expand(std::string_view f) {
    auto r = expand_uidl(f, values());
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return *r;
}

} // namespace

TEST_CASE("Dovecot's default %08Xu%08Xv: zero-padded lower-case hex") {
    // The UIDL Dovecot 2.3.19 sent for UID 1 in a mailbox of UIDVALIDITY
    // 1795937614.
    CHECK(expand("%08Xu%08Xv") == "000000016b0bd54e");
}

TEST_CASE("other formats of Dovecot's documentation") {
    CHECK(expand("%v.%u") == "1795937614.1");    // Courier (version 0/1)
    CHECK(expand("%u") == "1");                   // Cyrus < 2.1.4
    CHECK(expand("%v-%u") == "1795937614-1");
    CHECK(expand("%f") == "1000.M1P1.host");     // qpopper/Maildir file names
    CHECK(expand("%m") == "0123456789abcdef0123456789abcdef");
    CHECK(expand("%g") == "guid-1");
    CHECK(expand("UID%u-%{uidvalidity}") == "UID1-1795937614");
    CHECK(expand("%%%u") == "%1");
    CHECK(expand("%Xv") == "6b0bd54e");
    // Modifiers apply left to right: hex, then upper case.
    CHECK(expand("%XUv") == "6B0BD54E");
    CHECK(expand("%UXv") == "6b0bd54e");
    CHECK(expand("%4f") == "1000");              // a width without 0 truncates
}

TEST_CASE("bad formats") {
    CHECK_FALSE(expand_uidl("%q", values()).is_ok());
    CHECK_FALSE(expand_uidl("abc%", values()).is_ok());
    CHECK_FALSE(expand_uidl("%{nope}", values()).is_ok());
    CHECK_FALSE(expand_uidl("%{uid", values()).is_ok());
}

TEST_CASE("uidl_format_uses finds %m only where it is") {
    CHECK(uidl_format_uses("%08Xu%m", 'm'));
    CHECK(uidl_format_uses("%{md5}", 'm'));
    CHECK_FALSE(uidl_format_uses("%08Xu%08Xv", 'm'));
    CHECK_FALSE(uidl_format_uses("%%m", 'm'));
}

TEST_CASE("X-UIDL header") {
    CHECK(find_xuidl("Subject: a\r\nX-UIDL:  abc123 \r\n\r\n") == std::optional<std::string>("abc123"));
    CHECK(find_xuidl("x-uidl: Q\n\n") == std::optional<std::string>("Q"));
    CHECK_FALSE(find_xuidl("Subject: X-UIDL: no\n\n").has_value());
    CHECK_FALSE(find_xuidl("X-UIDL:   \n\n").has_value());
}

TEST_CASE("valid_uidl: RFC 1939 §7, 1..70 octets 0x21..0x7E") {
    CHECK(valid_uidl("a"));
    CHECK(valid_uidl(std::string(70, 'x')));
    CHECK_FALSE(valid_uidl(std::string(71, 'x')));
    CHECK_FALSE(valid_uidl(""));
    CHECK_FALSE(valid_uidl("a b"));
    CHECK_FALSE(valid_uidl("a\x7f"));
}

TEST_CASE("pop3_uidl_duplicates = rename") {
    std::vector<std::string> u{"a", "b", "a", "a", "c", "b"};
    rename_duplicates(u);
    CHECK(u == std::vector<std::string>{"a", "b", "a-2", "a-3", "c", "b-2"});
}
