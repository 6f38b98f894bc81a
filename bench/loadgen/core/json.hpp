// Minimal JSON text helpers for the load generator's result file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

// `s` as a JSON string literal, quotes included (RFC 8259 §7; invalid UTF-8
// bytes are written as \u00XX so the file stays valid).
std::string json_string(std::string_view s);
// A finite double as JSON (NaN/inf -> 0), 6 significant decimals.
std::string json_number(double v);

} // namespace loadgen
