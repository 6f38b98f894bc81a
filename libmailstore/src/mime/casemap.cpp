// i;unicode-casemap (RFC 5051 §2): each character mapped to its simple
// titlecase (one code point for one), then decomposed, recursively, by its
// decomposition mappings of any type (canonical and compatibility).
// libunistring supplies the Unicode tables.
//
// This is done character by character, as the RFC's steps say, with no
// canonical reordering of combining marks afterwards (which full NFKD
// would do): Dovecot does the same — in its SEARCH, "a" + U+0301 + U+0323
// does not match "a" + U+0323 + U+0301 — and it makes the casemap of a
// concatenation the concatenation of the casemaps, so long text can be cut
// anywhere between characters. casemap_contains relies on that to search a
// 10 MB body in bounded memory.
//
// Note that the casemap is not idempotent: U+FB01 "ﬁ" has no simple
// titlecase and decomposes to lower-case "fi", whose casemap is "FI".
#include <mailstore/mime/casemap.hpp>

#include "charset_stream.hpp"
#include "charset_utf8.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <unicase.h>
#include <uninorm.h>

namespace mailstore::mime {

namespace {

using detail::decode_utf8_step;

constexpr std::array<char, 128> make_ascii_upper()
{
    std::array<char, 128> t{};
    for (int c = 0; c < 128; ++c)
        t[c] = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return t;
}
constexpr auto ascii_upper = make_ascii_upper();

// Unicode decomposition chains are at most four levels deep; the bound only
// guards against a broken table.
constexpr int max_decomposition_depth = 8;

void append_decomposed(char32_t cp, std::string& out, int depth)
{
    ucs4_t parts[UC_DECOMPOSITION_MAX_LENGTH];
    int tag = 0;
    // Nothing below U+00A0 (NO-BREAK SPACE) has a decomposition.
    const int n = cp < 0xA0 || depth >= max_decomposition_depth
                      ? -1
                      : uc_decomposition(cp, &tag, parts);
    if (n <= 0) {
        detail::append_utf8(out, cp);
        return;
    }
    for (int i = 0; i < n; ++i)
        append_decomposed(parts[i], out, depth + 1);
}

// Appends the casemap of `in` to `out`.
void casemap_append(std::string_view in, std::string& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII: upper case (titlecase of a-z; nothing decomposes).
        const std::size_t ascii_end = i + detail::ascii_prefix(p + i, n - i);
        if (ascii_end > i) {
            const std::size_t old = out.size();
            out.resize(old + (ascii_end - i));
            char* dst = out.data() + old;
            for (std::size_t k = i; k < ascii_end; ++k)
                *dst++ = ascii_upper[p[k]];
            i = ascii_end;
            if (i == n)
                break;
        }
        // Invalid UTF-8 arrives here as U+FFFD.
        const auto step = decode_utf8_step(p + i, n - i);
        i += step.len;
        // Simple titlecase mapping (UnicodeData.txt field 14): one code
        // point, so "ß" stays "ß".
        append_decomposed(uc_totitle(step.cp), out, 0);
    }
}

// The first character boundary at or after `pos`: a byte that is not a
// UTF-8 continuation byte, or one after three continuation bytes (no
// sequence is longer than four bytes, so it stands alone as invalid).
std::size_t next_boundary(std::string_view s, std::size_t pos)
{
    auto cont = [&](std::size_t i) { return (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
    while (pos < s.size() && cont(pos) && !(pos >= 3 && cont(pos - 1) && cont(pos - 2) && cont(pos - 3)))
        ++pos;
    return pos;
}

bool contains_folded(std::string_view haystack, std::string_view folded_needle)
{
    if (folded_needle.empty())
        return true;
    if (haystack.empty())
        return false;
    // Haystack casemapped piece by piece; the window keeps the last
    // needle-1 bytes of what came before so a match across pieces counts.
    const std::size_t chunk = std::max<std::size_t>(64 * 1024, folded_needle.size());
    const std::size_t keep = folded_needle.size() - 1;
    std::string window;
    window.reserve(chunk * 2 + keep + 64);
    std::size_t pos = 0;
    while (pos < haystack.size()) {
        const std::size_t end = pos + chunk >= haystack.size()
                                    ? haystack.size()
                                    : next_boundary(haystack, pos + chunk);
        if (window.size() > keep)
            window.erase(0, window.size() - keep);
        casemap_append(haystack.substr(pos, end - pos), window);
        if (window.size() >= folded_needle.size() &&
            memmem(window.data(), window.size(), folded_needle.data(), folded_needle.size()) !=
                nullptr)
            return true;
        pos = end;
    }
    return false;
}

} // namespace

std::string casemap(std::string_view utf8)
{
    std::string out;
    out.reserve(utf8.size() + 8);
    casemap_append(utf8, out);
    return out;
}

int casemap_compare(std::string_view a, std::string_view b)
{
    const int r = casemap(a).compare(casemap(b));
    return r < 0 ? -1 : r > 0 ? 1 : 0;
}

bool casemap_contains(std::string_view haystack, std::string_view needle)
{
    if (needle.empty())
        return true;
    return contains_folded(haystack, casemap(needle));
}

CasemapMatcher::CasemapMatcher(std::string_view needle) : needle_(casemap(needle)) {}

bool CasemapMatcher::found_in(std::string_view haystack) const
{
    return contains_folded(haystack, needle_);
}

} // namespace mailstore::mime

namespace mailstore::mime {

namespace {
constexpr std::size_t kSearchPiece = 64 * 1024;
}

void CasemapSearch::scan(std::string_view text)
{
    const std::string& needle = *needle_;
    const std::size_t keep = needle.empty() ? 0 : needle.size() - 1;
    std::size_t pos = 0;
    while (pos < text.size() && !found_) {
        const std::size_t end = pos + kSearchPiece >= text.size() ? text.size()
                                                                  : next_boundary(text, pos + kSearchPiece);
        if (window_.size() > keep)
            window_.erase(0, window_.size() - keep);
        casemap_append(text.substr(pos, end - pos), window_);
        if (window_.size() >= needle.size() &&
            memmem(window_.data(), window_.size(), needle.data(), needle.size()) != nullptr)
            found_ = true;
        pos = end;
    }
}

bool CasemapSearch::feed(std::string_view utf8)
{
    if (found_ || utf8.empty())
        return found_;
    started_ = true;
    if (needle_->empty()) {
        found_ = true;
        return true;
    }
    if (!carry_.empty()) {
        // Finish the held-back character: decode from its start over at
        // most 4 more bytes, step by step as the whole text would be.
        std::string head = std::move(carry_);
        carry_.clear();
        const std::size_t had = head.size();
        head.append(utf8.substr(0, std::min<std::size_t>(utf8.size(), 4)));
        const bool all_input = head.size() == had + utf8.size();
        std::size_t off = 0;
        while (off < had) {
            const auto step = detail::decode_utf8_step(
                reinterpret_cast<const unsigned char*>(head.data()) + off, head.size() - off);
            if (!step.valid && all_input && off + step.len == head.size() &&
                detail::incomplete_utf8_tail(std::string_view(head).substr(off)) != 0) {
                scan(std::string_view(head).substr(0, off));
                carry_ = head.substr(off);  // still incomplete
                return found_;
            }
            off += step.len;
        }
        scan(std::string_view(head).substr(0, off));
        utf8.remove_prefix(off - had);
    }
    const std::size_t tail = detail::incomplete_utf8_tail(utf8);
    scan(utf8.substr(0, utf8.size() - tail));
    carry_.assign(utf8.substr(utf8.size() - tail));
    return found_;
}

bool CasemapSearch::finish()
{
    if (!found_ && !carry_.empty())
        scan(carry_);  // decodes as U+FFFD, as the whole text would
    const bool found = found_ || needle_->empty();
    reset();
    return found;
}

void CasemapSearch::reset()
{
    window_.clear();
    carry_.clear();
    found_ = false;
    started_ = false;
}

} // namespace mailstore::mime
