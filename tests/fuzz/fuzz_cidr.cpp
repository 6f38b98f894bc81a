// libFuzzer target for the IP address and CIDR parsers behind
// haproxy_trusted_networks, login_trusted_networks and friends. The input's
// first line is the text to parse; the bytes after it (zero-padded to 16)
// are an address to match. Checks: a parsed address prints and parses back
// to itself; a parsed network is within 0..128 bits (96..128 for IPv4),
// contains its own address, matches exactly the addresses that agree with it
// on the prefix bits, and prints and parses back to an equal network; a
// NetworkList built from all lines agrees with its entries one by one.
#include "fuzz_check.hpp"

#include "cidr.hpp"

#include <arpa/inet.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool is_v4_mapped(const loft::IpAddress& ip) {
    return std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

std::string to_text(const loft::IpAddress& ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4_mapped(ip))
        inet_ntop(AF_INET, &ip.bytes[12], buf, sizeof buf);
    else
        inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
    return buf;
}

bool bit(const loft::IpAddress& ip, unsigned i) { return (ip.bytes[i / 8] >> (7 - i % 8)) & 1; }

bool expected_contains(const loft::Cidr& net, const loft::IpAddress& ip) {
    for (unsigned i = 0; i < net.prefix; ++i)
        if (bit(net.network, i) != bit(ip, i))
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto nl = input.find('\n');
    std::string_view text = input.substr(0, nl);
    loft::IpAddress probe;
    if (nl != std::string_view::npos) {
        std::string_view rest = input.substr(nl + 1);
        std::copy_n(rest.begin(), std::min<std::size_t>(rest.size(), 16), probe.bytes.begin());
    }

    if (auto ip = loft::parse_ip(text)) {
        // Only the address itself was accepted: no trailing bytes after a
        // NUL, no zone, nothing but hex digits, dots and colons.
        std::string_view bare = text;
        if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
            bare = bare.substr(1, bare.size() - 2);
        FUZZ_CHECK(bare.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos);
        auto again = loft::parse_ip(to_text(*ip));
        FUZZ_CHECK(again && *again == *ip);
    }

    if (auto net = loft::parse_cidr(text)) {
        FUZZ_CHECK(net->prefix <= 128);
        if (is_v4_mapped(net->network))
            FUZZ_CHECK(net->prefix >= 96);
        FUZZ_CHECK(net->contains(net->network));
        FUZZ_CHECK(net->contains(probe) == expected_contains(*net, probe));
        // The probe moved into the network: same prefix bits as the network.
        loft::IpAddress inside = probe;
        for (unsigned i = 0; i < net->prefix; ++i) {
            std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (i % 8));
            inside.bytes[i / 8] = static_cast<std::uint8_t>((inside.bytes[i / 8] & ~mask) | (net->network.bytes[i / 8] & mask));
        }
        FUZZ_CHECK(net->contains(inside));
        // A network without a "/" is a single host.
        if (text.find('/') == std::string_view::npos)
            FUZZ_CHECK(net->prefix == 128);
        // Printed back as address/bits it parses to the same network.
        unsigned bits = is_v4_mapped(net->network) ? net->prefix - 96 : net->prefix;
        auto again = loft::parse_cidr(to_text(net->network) + "/" + std::to_string(bits));
        FUZZ_CHECK(again && again->network == net->network && again->prefix == net->prefix);
    } else {
        // Whatever does not parse as a network does not parse as an address
        // either (a bare address is a /32 or /128 network).
        if (text.find('/') == std::string_view::npos)
            FUZZ_CHECK(!loft::parse_ip(text));
    }

    // Every line as a list entry (the way a setting's value is split).
    std::vector<std::string> entries;
    for (std::size_t start = 0; start <= input.size();) {
        auto end = input.find('\n', start);
        if (end == std::string_view::npos)
            end = input.size();
        entries.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    std::vector<std::string> bad;
    loft::NetworkList list(entries, &bad);
    std::vector<loft::Cidr> nets;
    std::size_t expected_bad = 0;
    for (const auto& e : entries) {
        if (e.empty())
            continue;
        if (auto c = loft::parse_cidr(e))
            nets.push_back(*c);
        else
            ++expected_bad;
    }
    FUZZ_CHECK(bad.size() == expected_bad);
    FUZZ_CHECK(list.empty() == nets.empty());
    bool any = std::any_of(nets.begin(), nets.end(), [&](const loft::Cidr& c) { return c.contains(probe); });
    FUZZ_CHECK(list.contains(probe) == any);
    for (const auto& c : nets)
        FUZZ_CHECK(list.contains(c.network));
    return 0;
}
