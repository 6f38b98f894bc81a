#include "cidr.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace loft {

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
        return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddress ip;
    in_addr v4{};
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        ip.bytes[10] = 0xff;
        ip.bytes[11] = 0xff;
        std::memcpy(&ip.bytes[12], &v4, 4);
        return ip;
    }
    if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1)
        return ip;
    return std::nullopt;
}

bool Cidr::contains(const IpAddress& ip) const {
    unsigned full = prefix / 8;
    if (std::memcmp(ip.bytes.data(), network.bytes.data(), full) != 0)
        return false;
    unsigned rest = prefix % 8;
    if (rest == 0)
        return true;
    std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (ip.bytes[full] & mask) == (network.bytes[full] & mask);
}

std::optional<Cidr> parse_cidr(std::string_view text) {
    auto slash = text.find('/');
    auto ip = parse_ip(text.substr(0, slash));
    if (!ip)
        return std::nullopt;
    bool v4 = ip->bytes[10] == 0xff && ip->bytes[11] == 0xff &&
              std::all_of(ip->bytes.begin(), ip->bytes.begin() + 10, [](std::uint8_t b) { return b == 0; });
    Cidr cidr;
    cidr.network = *ip;
    cidr.prefix = 128;
    if (slash != std::string_view::npos) {
        std::string_view bits_text = text.substr(slash + 1);
        unsigned bits = 0;
        auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
        if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits_text.empty())
            return std::nullopt;
        if (bits > (v4 ? 32u : 128u))
            return std::nullopt;
        cidr.prefix = v4 ? bits + 96 : bits;
    }
    return cidr;
}

NetworkList::NetworkList(const std::vector<std::string>& entries, std::vector<std::string>* bad) {
    for (const auto& entry : entries) {
        if (entry.empty())
            continue;
        if (auto cidr = parse_cidr(entry))
            nets_.push_back(*cidr);
        else if (bad)
            bad->push_back(entry);
    }
}

bool NetworkList::contains(const IpAddress& ip) const {
    for (const auto& net : nets_)
        if (net.contains(ip))
            return true;
    return false;
}

bool NetworkList::contains(std::string_view ip) const {
    auto parsed = parse_ip(ip);
    return parsed && contains(*parsed);
}

} // namespace loft
