// IP networks in CIDR notation, for haproxy_trusted_networks and friends.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loft {

// An IPv4 address is kept as its v4-mapped IPv6 form, so "10.0.0.1" and
// "::ffff:10.0.0.1" are the same address and match the same networks.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool operator==(const IpAddress&) const = default;
};

std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
    IpAddress network;
    unsigned prefix = 128; // in the v6 (mapped) space
    bool contains(const IpAddress& ip) const;
};

// "10.0.0.0/8", "2001:db8::/32", "127.0.0.1" (a single host). nullopt when bad.
std::optional<Cidr> parse_cidr(std::string_view text);

// A list of networks; entries that do not parse are reported in `bad`.
class NetworkList {
public:
    NetworkList() = default;
    NetworkList(const std::vector<std::string>& entries, std::vector<std::string>* bad = nullptr);
    bool contains(std::string_view ip) const;
    bool contains(const IpAddress& ip) const;
    bool empty() const { return nets_.empty(); }

private:
    std::vector<Cidr> nets_;
};

} // namespace loft
