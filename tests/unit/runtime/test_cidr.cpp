#include "cidr.hpp"

#include <doctest/doctest.h>

using namespace loft;

TEST_CASE("CIDR matching for IPv4, IPv6 and mapped addresses") {
    NetworkList nets({"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "127.0.0.1/32"});
    CHECK(nets.contains("10.1.2.3"));
    CHECK(nets.contains("::ffff:10.1.2.3"));
    CHECK_FALSE(nets.contains("11.0.0.1"));
    CHECK(nets.contains("192.168.1.7"));
    CHECK_FALSE(nets.contains("192.168.1.8"));
    CHECK(nets.contains("2001:db8:1::5"));
    CHECK_FALSE(nets.contains("2001:db9::1"));
    CHECK(nets.contains("127.0.0.1"));
    CHECK_FALSE(nets.contains("not-an-ip"));
    CHECK_FALSE(nets.contains(""));
}

TEST_CASE("odd prefix lengths and bad entries") {
    auto c = parse_cidr("172.16.0.0/12");
    REQUIRE(c);
    CHECK(c->contains(*parse_ip("172.31.255.255")));
    CHECK_FALSE(c->contains(*parse_ip("172.32.0.0")));
    CHECK_FALSE(parse_cidr("10.0.0.0/33"));
    CHECK_FALSE(parse_cidr("10.0.0.0/"));
    CHECK_FALSE(parse_cidr("10.0.0.0/8x"));
    CHECK_FALSE(parse_cidr("::/129"));
    CHECK(parse_cidr("0.0.0.0/0")->contains(*parse_ip("8.8.8.8")));
    std::vector<std::string> bad;
    NetworkList list({"10.0.0.0/8", "garbage", "1.2.3.4/40"}, &bad);
    CHECK(bad.size() == 2);
    CHECK(list.contains("10.9.9.9"));
}
