// UTF-8 decoding and encoding steps shared by charset.cpp and casemap.cpp
// (internal). Validity is RFC 3629 §4: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mailstore::mime::detail {

inline constexpr char32_t replacement_char = 0xFFFD;
inline constexpr char utf8_replacement[] = "\xEF\xBF\xBD";

struct Utf8Step {
    char32_t cp;       // the code point, or replacement_char when !valid
    std::size_t len;   // bytes consumed (>= 1)
    bool valid;
};

// Decodes one character at p[0..n), n >= 1. An invalid sequence consumes
// its "maximal subpart" (Unicode §3.9, U+FFFD substitution of maximal
// subparts): the longest prefix that could still have begun a valid
// sequence, or one byte — so each damaged spot becomes one U+FFFD and the
// bytes after it are looked at again.
inline Utf8Step decode_utf8_step(const unsigned char* p, std::size_t n)
{
    const unsigned char b0 = p[0];
    if (b0 < 0x80)
        return {b0, 1, true};
    std::size_t need;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        cp = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0;  // overlong
        else if (b0 == 0xED)
            hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90;  // overlong
        else if (b0 == 0xF4)
            hi = 0x8F;  // above U+10FFFF
    } else {
        return {replacement_char, 1, false};  // continuation byte, C0, C1, F5..FF
    }
    std::size_t i = 1;
    for (; i <= need; ++i) {
        if (i >= n)
            return {replacement_char, i, false};  // truncated
        const unsigned char b = p[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return {replacement_char, i, false};
        cp = (cp << 6) | (b & 0x3F);
    }
    return {cp, need + 1, true};
}

inline void append_utf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 2);
    } else if (cp < 0x10000) {
        const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)),
                           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)),
                           static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 4);
    }
}

// Length of the leading run of ASCII bytes in p[0..n), 8 bytes at a time.
inline std::size_t ascii_prefix(const unsigned char* p, std::size_t n)
{
    std::size_t i = 0;
    while (i + 8 <= n) {
        std::uint64_t w = 0;
        for (int k = 0; k < 8; ++k)
            w |= std::uint64_t{p[i + k]} << (8 * k);
        if (w & 0x8080808080808080ULL)
            break;
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        ++i;
    return i;
}

} // namespace mailstore::mime::detail
