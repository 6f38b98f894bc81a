// PROXY protocol v1 (text) and v2 (binary) headers, as haproxy and other load
// balancers send them ahead of the client's bytes. Sans-I/O: the caller feeds
// what it has read so far and learns whether the header is complete.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loft {

struct ProxyHeader {
    // false for v1 "UNKNOWN" and v2 LOCAL (health checks): keep the peer address.
    bool has_address = false;
    std::string source_ip;
    unsigned source_port = 0;
    std::string dest_ip;
    unsigned dest_port = 0;
    int version = 0;
};

struct ProxyParseResult {
    enum class State { need_more, done, invalid } state = State::need_more;
    ProxyHeader header;
    std::size_t consumed = 0; // bytes of the header, on done
    std::string error;        // on invalid
};

// Longest header accepted (v1 is at most 107 bytes; v2 carries TLVs).
constexpr std::size_t kMaxProxyHeader = 1024;

// Parse the start of `data`. need_more means the bytes so far are a valid
// prefix of a header; invalid means they never will be.
ProxyParseResult parse_proxy_header(std::string_view data);

} // namespace loft
