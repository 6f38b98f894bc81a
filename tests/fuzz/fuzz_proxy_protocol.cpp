// libFuzzer target for the PROXY protocol v1/v2 parser (the first bytes a
// client behind haproxy sends). Besides "no crash", checks what the caller
// relies on: a complete header never claims more bytes than it was given,
// the result is the same however the bytes were split over reads, and the
// addresses it reports parse back as IP addresses.
#include "fuzz_check.hpp"

#include "cidr.hpp"
#include "proxy_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using loft::ProxyParseResult;
using State = ProxyParseResult::State;

namespace {

bool same(const ProxyParseResult& a, const ProxyParseResult& b) {
    if (a.state != b.state)
        return false;
    if (a.state != State::done)
        return true;
    return a.consumed == b.consumed && a.header.has_address == b.header.has_address &&
           a.header.source_ip == b.header.source_ip && a.header.source_port == b.header.source_port &&
           a.header.dest_ip == b.header.dest_ip && a.header.dest_port == b.header.dest_port &&
           a.header.version == b.header.version;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    ProxyParseResult r = loft::parse_proxy_header(input);

    switch (r.state) {
    case State::done: {
        FUZZ_CHECK(r.consumed > 0 && r.consumed <= input.size());
        FUZZ_CHECK(r.consumed <= loft::kMaxProxyHeader);
        FUZZ_CHECK(r.error.empty());
        FUZZ_CHECK(r.header.version == 1 || r.header.version == 2);
        if (r.header.has_address) {
            // The addresses are what was checked, nothing more (they end up
            // in logs and in per-IP limits).
            for (const auto& ip : {r.header.source_ip, r.header.dest_ip})
                FUZZ_CHECK(ip.find_first_not_of("0123456789abcdefABCDEF.:") == std::string::npos);
            FUZZ_CHECK(loft::parse_ip(r.header.source_ip).has_value());
            FUZZ_CHECK(loft::parse_ip(r.header.dest_ip).has_value());
            FUZZ_CHECK(r.header.source_port <= 65535 && r.header.dest_port <= 65535);
        } else {
            FUZZ_CHECK(r.header.source_ip.empty() && r.header.dest_ip.empty());
        }
        // The header alone gives the same result: the parser does not look
        // past what it consumes (those bytes belong to the mail protocol).
        FUZZ_CHECK(same(loft::parse_proxy_header(input.substr(0, r.consumed)), r));
        // Every shorter prefix is incomplete, never done or invalid: a header
        // split over several reads must not be rejected half-way.
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, r.consumed / 2, r.consumed - 1})
            FUZZ_CHECK(loft::parse_proxy_header(input.substr(0, n)).state == State::need_more);
        break;
    }
    case State::need_more:
        FUZZ_CHECK(r.consumed == 0 && r.error.empty());
        // Waiting for more is only allowed while the header can still fit.
        FUZZ_CHECK(input.size() < loft::kMaxProxyHeader);
        // Every prefix of a valid prefix is a valid prefix.
        if (!input.empty())
            FUZZ_CHECK(loft::parse_proxy_header(input.substr(0, input.size() / 2)).state == State::need_more);
        break;
    case State::invalid:
        FUZZ_CHECK(r.consumed == 0);
        FUZZ_CHECK(!r.error.empty());
        // More bytes never make an invalid start valid.
        {
            std::string longer(input);
            longer.append("\r\n\r\n");
            FUZZ_CHECK(loft::parse_proxy_header(longer).state == State::invalid);
        }
        break;
    }
    return 0;
}
