// i;unicode-casemap (RFC 5051 §2): every character mapped to its simple
// titlecase (one code point for one), then the string put in NFKD.
// libunistring supplies the Unicode tables.
//
// ASCII is a starter with no decomposition, so its casemap is its upper
// case and nothing across it can reorder: text is handled as ASCII bytes
// directly and runs of other characters through libunistring. The same
// property lets long text be cut into pieces (casemap of the concatenation
// = concatenation of the casemaps) before any character that is a starter
// whose decomposition starts with a starter, which is how casemap_contains
// searches a 10 MB body in bounded memory.
#include <mailstore/mime/casemap.hpp>

#include "charset_utf8.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <unicase.h>
#include <unictype.h>
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

// Pieces of non-ASCII text handed to the normaliser at once: flushed at the
// next safe point after `soft_run` code points; a run of combining marks
// with no safe point in it is cut at `hard_run` (text like that is not
// language; RFC 5198's stream-safe form caps such runs at 30).
constexpr std::size_t soft_run = 1024;
constexpr std::size_t hard_run = 65536;

// Whether a cut just before `cp` keeps the casemap unchanged: `cp` is a
// starter and its decomposition starts with a starter. U+0F73, U+0F75 and
// U+0F81 are the starters that decompose into non-starters only.
bool starts_segment(char32_t cp)
{
    if (cp < 0x80)
        return true;
    if (cp == 0x0F73 || cp == 0x0F75 || cp == 0x0F81)
        return false;
    return uc_combining_class(cp) == 0;
}

void append_utf32_as_utf8(const std::uint32_t* s, std::size_t n, std::string& out)
{
    for (std::size_t i = 0; i < n; ++i)
        detail::append_utf8(out, s[i]);
}

// NFKD of the titlecased code points in `buf`, appended to `out` as UTF-8.
void flush_run(std::vector<std::uint32_t>& buf, std::string& out)
{
    if (buf.empty())
        return;
    std::uint32_t local[512];
    std::size_t len = std::size(local);
    std::uint32_t* res = u32_normalize(UNINORM_NFKD, buf.data(), buf.size(), local, &len);
    if (res == nullptr) {
        // Out of memory in libunistring: titlecase without decomposition
        // is the best that can be given.
        append_utf32_as_utf8(buf.data(), buf.size(), out);
    } else {
        append_utf32_as_utf8(res, len, out);
        if (res != local)
            std::free(res);
    }
    buf.clear();
}

// Appends the casemap of `in` to `out`.
void casemap_append(std::string_view in, std::string& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::vector<std::uint32_t> run;
    std::size_t i = 0;
    while (i < n) {
        // ASCII: upper case, 8 bytes at a time when there are enough.
        const std::size_t ascii_end = i + detail::ascii_prefix(p + i, n - i);
        if (ascii_end > i) {
            flush_run(run, out);
            const std::size_t old = out.size();
            out.resize(old + (ascii_end - i));
            char* dst = out.data() + old;
            for (std::size_t k = i; k < ascii_end; ++k)
                *dst++ = ascii_upper[p[k]];
            i = ascii_end;
            if (i == n)
                break;
        }
        const auto step = decode_utf8_step(p + i, n - i);
        i += step.len;
        if (run.size() >= hard_run || (run.size() >= soft_run && starts_segment(step.cp)))
            flush_run(run, out);
        // Simple titlecase mapping (UnicodeData.txt field 14): one code
        // point, so "ß" stays "ß" and "ﬁ" becomes "fi" only through NFKD.
        run.push_back(uc_totitle(step.cp));
    }
    flush_run(run, out);
}

// The first position at or after `pos` where `s` may be cut (see the top of
// the file); gives up on finding a starter after `max_scan` bytes and then
// cuts at the next character boundary (any byte that is not a UTF-8
// continuation byte starts a new character or a new invalid byte).
std::size_t next_cut(std::string_view s, std::size_t pos, std::size_t max_scan)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    const std::size_t limit = std::min(n, pos + max_scan);
    for (std::size_t i = pos; i < limit; ++i) {
        if (p[i] < 0x80)
            return i;
        if (p[i] < 0xC0)
            continue;  // continuation byte
        const auto step = decode_utf8_step(p + i, n - i);
        if (step.valid && starts_segment(step.cp))
            return i;
    }
    std::size_t i = limit;
    while (i < n && (p[i] & 0xC0) == 0x80)
        ++i;
    return i;
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
                                    : next_cut(haystack, pos + chunk, chunk);
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
