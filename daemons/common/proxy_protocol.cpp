#include "proxy_protocol.hpp"

#include "cidr.hpp"

#include <arpa/inet.h>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

namespace loft {

namespace {

constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'};
constexpr std::size_t kV1Max = 107;

ProxyParseResult invalid(std::string message) {
    ProxyParseResult r;
    r.state = ProxyParseResult::State::invalid;
    r.error = std::move(message);
    return r;
}

bool parse_port(std::string_view text, unsigned& port) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0'))
        return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return ec == std::errc() && end == text.data() + text.size() && port <= 65535;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= line.size()) {
        size_t end = line.find(' ', start);
        if (end == std::string_view::npos)
            end = line.size();
        parts.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

ProxyParseResult parse_v1(std::string_view data) {
    size_t crlf = data.find("\r\n");
    if (crlf == std::string_view::npos) {
        if (data.size() >= kV1Max)
            return invalid("PROXY v1 header too long");
        if (data.find('\n') != std::string_view::npos)
            return invalid("PROXY v1 header not terminated by CRLF");
        return {};
    }
    if (crlf + 2 > kV1Max)
        return invalid("PROXY v1 header too long");
    std::string_view line = data.substr(0, crlf);
    if (line.find('\n') != std::string_view::npos) // same answer as when the LF arrives alone
        return invalid("PROXY v1 header not terminated by CRLF");
    auto parts = split_spaces(line);
    ProxyParseResult r;
    r.state = ProxyParseResult::State::done;
    r.consumed = crlf + 2;
    r.header.version = 1;
    if (parts.size() >= 2 && parts[1] == "UNKNOWN")
        return r; // the rest of the line is to be ignored
    if (parts.size() != 6)
        return invalid("PROXY v1 header has wrong number of fields");
    bool v4 = parts[1] == "TCP4";
    if (!v4 && parts[1] != "TCP6")
        return invalid("PROXY v1 header has unknown protocol");
    for (int i = 2; i <= 3; ++i) {
        std::string text(parts[i]);
        unsigned char buf[16];
        if (text.find('\0') != std::string::npos || inet_pton(v4 ? AF_INET : AF_INET6, text.c_str(), buf) != 1)
            return invalid("PROXY v1 header has a bad address");
    }
    if (!parse_port(parts[4], r.header.source_port) || !parse_port(parts[5], r.header.dest_port))
        return invalid("PROXY v1 header has a bad port");
    r.header.has_address = true;
    r.header.source_ip = std::string(parts[2]);
    r.header.dest_ip = std::string(parts[3]);
    return r;
}

std::string ntop(int family, const void* addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, addr, buf, sizeof buf);
    return buf;
}

ProxyParseResult parse_v2(std::string_view data) {
    if (data.size() < 16)
        return {};
    auto byte = [&](size_t i) { return static_cast<std::uint8_t>(data[i]); };
    std::uint8_t ver_cmd = byte(12);
    std::uint8_t fam = byte(13);
    std::size_t len = (static_cast<std::size_t>(byte(14)) << 8) | byte(15);
    if ((ver_cmd >> 4) != 2)
        return invalid("PROXY v2 header has unknown version");
    std::uint8_t command = ver_cmd & 0x0f;
    if (command > 1)
        return invalid("PROXY v2 header has unknown command");
    if (16 + len > kMaxProxyHeader)
        return invalid("PROXY v2 header too long");
    if (data.size() < 16 + len)
        return {};
    ProxyParseResult r;
    r.state = ProxyParseResult::State::done;
    r.consumed = 16 + len;
    r.header.version = 2;
    if (command == 0) // LOCAL: a connection from the proxy itself
        return r;
    const char* body = data.data() + 16;
    std::uint8_t family = fam >> 4;
    std::uint8_t transport = fam & 0x0f;
    if (transport != 1 && family != 0) // only STREAM carries mail protocols
        return invalid("PROXY v2 header is not for a stream connection");
    if (family == 1) { // AF_INET
        if (len < 12)
            return invalid("PROXY v2 header too short for IPv4 addresses");
        r.header.source_ip = ntop(AF_INET, body);
        r.header.dest_ip = ntop(AF_INET, body + 4);
        r.header.source_port = (static_cast<std::uint8_t>(body[8]) << 8) | static_cast<std::uint8_t>(body[9]);
        r.header.dest_port = (static_cast<std::uint8_t>(body[10]) << 8) | static_cast<std::uint8_t>(body[11]);
        r.header.has_address = true;
    } else if (family == 2) { // AF_INET6
        if (len < 36)
            return invalid("PROXY v2 header too short for IPv6 addresses");
        r.header.source_ip = ntop(AF_INET6, body);
        r.header.dest_ip = ntop(AF_INET6, body + 16);
        r.header.source_port = (static_cast<std::uint8_t>(body[32]) << 8) | static_cast<std::uint8_t>(body[33]);
        r.header.dest_port = (static_cast<std::uint8_t>(body[34]) << 8) | static_cast<std::uint8_t>(body[35]);
        r.header.has_address = true;
        // Show v4-mapped sources the way direct IPv4 peers are shown.
        if (auto ip = parse_ip(r.header.source_ip);
            ip && ip->bytes[10] == 0xff && ip->bytes[11] == 0xff && r.header.source_ip.rfind("::ffff:", 0) == 0)
            r.header.source_ip = ntop(AF_INET, &ip->bytes[12]);
    }
    // AF_UNSPEC and AF_UNIX: no usable address, keep the peer's.
    return r;
}

} // namespace

ProxyParseResult parse_proxy_header(std::string_view data) {
    if (data.empty())
        return {};
    if (data[0] == '\r') {
        size_t n = std::min(data.size(), sizeof kV2Signature);
        if (std::memcmp(data.data(), kV2Signature, n) != 0)
            return invalid("not a PROXY protocol header");
        return parse_v2(data);
    }
    static constexpr std::string_view kV1Prefix = "PROXY ";
    size_t n = std::min(data.size(), kV1Prefix.size());
    if (data.substr(0, n) != kV1Prefix.substr(0, n))
        return invalid("not a PROXY protocol header");
    return parse_v1(data);
}

} // namespace loft
