#include "proxy_protocol.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace loft;
using State = ProxyParseResult::State;

namespace {
std::string v2(std::uint8_t ver_cmd, std::uint8_t fam, const std::string& body) {
    std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
    h.push_back(static_cast<char>(ver_cmd));
    h.push_back(static_cast<char>(fam));
    h.push_back(static_cast<char>(body.size() >> 8));
    h.push_back(static_cast<char>(body.size() & 0xff));
    return h + body;
}
std::string v4_body() {
    // 203.0.113.7:40000 -> 192.0.2.1:143
    return std::string("\xcb\x00\x71\x07\xc0\x00\x02\x01\x9c\x40\x00\x8f", 12);
}
} // namespace

TEST_CASE("PROXY v1 TCP4 and TCP6") {
    auto r = parse_proxy_header("PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\nA1 NOOP\r\n");
    REQUIRE(r.state == State::done);
    CHECK(r.header.has_address);
    CHECK(r.header.source_ip == "203.0.113.7");
    CHECK(r.header.source_port == 40000);
    CHECK(r.header.dest_ip == "192.0.2.1");
    CHECK(r.header.dest_port == 143);
    CHECK(r.consumed == std::string("PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\n").size());
    r = parse_proxy_header("PROXY TCP6 2001:db8::7 2001:db8::1 1 993\r\n");
    REQUIRE(r.state == State::done);
    CHECK(r.header.source_ip == "2001:db8::7");
    r = parse_proxy_header("PROXY UNKNOWN whatever\r\n");
    REQUIRE(r.state == State::done);
    CHECK_FALSE(r.header.has_address);
}

TEST_CASE("PROXY v1 truncated and bad headers") {
    CHECK(parse_proxy_header("PRO").state == State::need_more);
    CHECK(parse_proxy_header("PROXY TCP4 203.0.113.7 192.0").state == State::need_more);
    CHECK(parse_proxy_header("HELLO\r\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP4 203.0.113.999 192.0.2.1 1 2\r\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP4 203.0.113.7 192.0.2.1 1 70000\r\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP4 203.0.113.7 192.0.2.1 1\r\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP5 203.0.113.7 192.0.2.1 1 2\r\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP4 203.0.113.7 192.0.2.1 1 2\n").state == State::invalid);
    CHECK(parse_proxy_header("PROXY TCP4 " + std::string(200, '1')).state == State::invalid);
}

TEST_CASE("PROXY v2 PROXY and LOCAL") {
    std::string h = v2(0x21, 0x11, v4_body());
    auto r = parse_proxy_header(h + "payload");
    REQUIRE(r.state == State::done);
    CHECK(r.header.version == 2);
    CHECK(r.header.has_address);
    CHECK(r.header.source_ip == "203.0.113.7");
    CHECK(r.header.source_port == 40000);
    CHECK(r.header.dest_port == 143);
    CHECK(r.consumed == h.size());

    std::string tlv = v4_body() + std::string("\x20\x00\x01\x01", 4); // a TLV after the addresses
    r = parse_proxy_header(v2(0x21, 0x11, tlv));
    REQUIRE(r.state == State::done);
    CHECK(r.header.source_ip == "203.0.113.7");

    r = parse_proxy_header(v2(0x20, 0x00, ""));
    REQUIRE(r.state == State::done);
    CHECK_FALSE(r.header.has_address);

    std::string v6body(36, '\0');
    v6body[0] = '\x20';
    v6body[1] = '\x01';
    v6body[2] = '\x0d';
    v6body[3] = '\xb8';
    v6body[15] = '\x07';
    v6body[32] = '\x01';
    r = parse_proxy_header(v2(0x21, 0x21, v6body));
    REQUIRE(r.state == State::done);
    CHECK(r.header.source_ip == "2001:db8::7");
    CHECK(r.header.source_port == 256);
}

TEST_CASE("PROXY v2 truncated and bad headers") {
    std::string h = v2(0x21, 0x11, v4_body());
    for (std::size_t n = 1; n < h.size(); ++n)
        CHECK(parse_proxy_header(h.substr(0, n)).state == State::need_more);
    CHECK(parse_proxy_header(v2(0x31, 0x11, v4_body())).state == State::invalid); // version 3
    CHECK(parse_proxy_header(v2(0x22, 0x11, v4_body())).state == State::invalid); // command 2
    CHECK(parse_proxy_header(v2(0x21, 0x11, "short")).state == State::invalid);
    CHECK(parse_proxy_header(v2(0x21, 0x12, v4_body())).state == State::invalid); // UDP
    std::string huge = v2(0x21, 0x11, std::string(5000, 'a'));
    CHECK(parse_proxy_header(huge.substr(0, 16)).state == State::invalid);
    CHECK(parse_proxy_header(std::string("\r\n\r\n\0\r\nQUIX\n", 12)).state == State::invalid);
}
