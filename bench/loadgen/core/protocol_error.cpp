#include "protocol_error.hpp"

#include <cstdio>

namespace loadgen {

std::string quote_bytes(std::string_view bytes, std::size_t max) {
    std::string out = "\"";
    std::size_t n = bytes.size() < max ? bytes.size() : max;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(bytes[i]);
        switch (c) {
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                out += static_cast<char>(c);
            } else {
                char esc[8];
                std::snprintf(esc, sizeof esc, "\\x%02x", c);
                out += esc;
            }
        }
    }
    out += '"';
    if (n < bytes.size())
        out += "... (" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

} // namespace loadgen
