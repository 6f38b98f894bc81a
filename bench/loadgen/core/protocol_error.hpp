// loadgen::ProtocolError: what every client of the load generator throws when
// a server's answer is not what the protocol (or the workload's cross-check)
// allows. Inside the load generator exceptions are fine: a simulated user
// that sees one is counted as an error and the run fails.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loadgen {

class ProtocolError : public std::runtime_error {
public:
    explicit ProtocolError(const std::string& what) : std::runtime_error(what) {}
};

// The bytes quoted for an error message: printable ASCII as is, CR/LF/TAB and
// other bytes escaped, cut after `max` bytes so a 5 MB literal cannot flood
// stderr.
std::string quote_bytes(std::string_view bytes, std::size_t max = 200);

} // namespace loadgen
