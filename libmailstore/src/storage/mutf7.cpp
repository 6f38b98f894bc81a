// Modified UTF-7, RFC 3501 section 5.1.3: printable US-ASCII (0x20-0x7e)
// stands for itself except '&', written "&-"; everything else is UTF-16 in
// modified base64 (',' instead of '/', no '=' padding) between '&' and '-'.
#include <mailstore/mutf7.hpp>

#include <cstdint>
#include <vector>

namespace mailstore {
namespace {

constexpr char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

bool is_direct(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

// Decodes one UTF-8 code point at text[i]; advances i. -1 on invalid UTF-8
// (overlong forms, surrogates, values above U+10FFFF, truncated sequences).
std::int32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto c0 = static_cast<unsigned char>(text[i]);
    if (c0 < 0x80) {
        ++i;
        return c0;
    }
    int len;
    std::int32_t cp;
    std::int32_t min;
    if ((c0 & 0xe0) == 0xc0) {
        len = 2; cp = c0 & 0x1f; min = 0x80;
    } else if ((c0 & 0xf0) == 0xe0) {
        len = 3; cp = c0 & 0x0f; min = 0x800;
    } else if ((c0 & 0xf8) == 0xf0) {
        len = 4; cp = c0 & 0x07; min = 0x10000;
    } else {
        return -1;
    }
    if (i + static_cast<std::size_t>(len) > text.size()) return -1;
    for (int k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
        if ((c & 0xc0) != 0x80) return -1;
        cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    i += static_cast<std::size_t>(len);
    return cp;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

void flush_base64(std::string& out, std::vector<std::uint16_t>& units) {
    if (units.empty()) return;
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (std::uint16_t u : units) {
        bits = (bits << 16) | u;
        nbits += 16;
        while (nbits >= 6) {
            nbits -= 6;
            out += b64_chars[(bits >> nbits) & 0x3f];
        }
        bits &= (1u << nbits) - 1;
    }
    if (nbits > 0) out += b64_chars[(bits << (6 - nbits)) & 0x3f];
    out += '-';
    units.clear();
}

} // namespace

std::optional<std::string> utf8_to_mutf7(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size() + 8);
    std::vector<std::uint16_t> units;
    std::size_t i = 0;
    while (i < utf8.size()) {
        const std::int32_t cp = next_code_point(utf8, i);
        if (cp < 0) return std::nullopt;
        if (cp < 0x80 && is_direct(static_cast<unsigned char>(cp))) {
            flush_base64(out, units);
            if (cp == '&') out += "&-";
            else out += static_cast<char>(cp);
        } else if (cp >= 0x10000) {
            const auto v = static_cast<std::uint32_t>(cp) - 0x10000;
            units.push_back(static_cast<std::uint16_t>(0xd800 | (v >> 10)));
            units.push_back(static_cast<std::uint16_t>(0xdc00 | (v & 0x3ff)));
        } else {
            units.push_back(static_cast<std::uint16_t>(cp));
        }
    }
    flush_base64(out, units);
    return out;
}

std::optional<std::string> mutf7_to_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!is_direct(c)) return std::nullopt; // 8-bit or control characters must be encoded
        if (c != '&') {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        ++i;
        if (i < text.size() && text[i] == '-') { // "&-" is '&'
            out += '&';
            ++i;
            continue;
        }
        // A base64 run up to '-'.
        std::uint32_t bits = 0;
        int nbits = 0;
        std::uint32_t high = 0; // pending high surrogate
        bool any = false;
        while (true) {
            if (i >= text.size()) return std::nullopt; // unterminated shift
            const char ch = text[i++];
            if (ch == '-') break;
            const int v = b64_value(ch);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<std::uint32_t>(v);
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                const std::uint32_t unit = (bits >> nbits) & 0xffff;
                bits &= (1u << nbits) - 1;
                any = true;
                if (high != 0) {
                    if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt; // unpaired high surrogate
                    append_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
                    high = 0;
                } else if (unit >= 0xd800 && unit <= 0xdbff) {
                    high = unit;
                } else if (unit >= 0xdc00 && unit <= 0xdfff) {
                    return std::nullopt; // lone low surrogate
                } else if (unit < 0x80 && is_direct(static_cast<unsigned char>(unit))) {
                    return std::nullopt; // printable ASCII must stand for itself
                } else {
                    append_utf8(out, unit);
                }
            }
        }
        // "&-" handled above, so an empty run cannot happen here; leftover
        // bits must be fewer than 6 and zero (RFC 3501: no padding).
        if (!any || high != 0 || nbits >= 6 || bits != 0) return std::nullopt;
        // Two adjacent shifts ("&AOQ-&APY-") are not what an encoder writes:
        // RFC 3501 5.1.3 wants one run; reject so names have one spelling.
        if (i < text.size() && text[i] == '&' && (i + 1 >= text.size() || text[i + 1] != '-')) return std::nullopt;
    }
    return out;
}

bool is_valid_mutf7(std::string_view text) { return mutf7_to_utf8(text).has_value(); }

} // namespace mailstore
