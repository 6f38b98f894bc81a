// RFC 2047 encoded words: decoding to UTF-8 and encoding for headers.
#include <mailstore/mime/encoded_word.hpp>

#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include "addr_parse.hpp"
#include "text_util.hpp"

#include <cstddef>
#include <optional>

namespace mailstore::mime {
namespace {

// RFC 2047 §2: a word is at most 75 octets; charsets are short tokens.
// Longer words are still read (mailers exceed the limit), up to a bound.
constexpr std::size_t max_charset_length = 64;

// Whitespace between and inside words includes the CR/LF of folding.
using detail::is_lwsp;
using detail::iequals;

struct Word {
    std::size_t end = 0;      // offset just past "?="
    std::string_view charset; // without an RFC 2231 "*language" suffix
    char encoding = 0;        // 'B' or 'Q'
    std::string_view text;
};

// Reads "=?charset?e?text?=" at `pos` (which holds "=?"). The text may not
// hold '?' or whitespace (§2), so a failed attempt never reads past the
// third '?' from `pos`: decoding stays linear.
std::optional<Word> read_word(std::string_view s, std::size_t pos)
{
    std::size_t i = pos + 2;
    std::size_t cs_start = i;
    while (i < s.size() && s[i] != '?' && !is_lwsp(s[i])) {
        if (i - cs_start > max_charset_length) return std::nullopt;
        ++i;
    }
    if (i >= s.size() || s[i] != '?' || i == cs_start) return std::nullopt;
    std::string_view charset = s.substr(cs_start, i - cs_start);
    ++i;
    if (i + 1 >= s.size() || s[i + 1] != '?') return std::nullopt;
    char enc = s[i];
    if (enc == 'b') enc = 'B';
    if (enc == 'q') enc = 'Q';
    if (enc != 'B' && enc != 'Q') return std::nullopt;
    i += 2;
    std::size_t text_start = i;
    while (i < s.size() && s[i] != '?' && !is_lwsp(s[i])) ++i;
    if (i + 1 >= s.size() || s[i] != '?' || s[i + 1] != '=') return std::nullopt;
    Word w;
    w.end = i + 2;
    // RFC 2231 §5: "charset*language".
    auto star = charset.find('*');
    w.charset = charset.substr(0, star);
    if (w.charset.empty()) return std::nullopt;
    w.encoding = enc;
    w.text = s.substr(text_start, i - text_start);
    return w;
}

void decode_word_text(const Word& w, std::string& out)
{
    if (w.encoding == 'B')
        out += decode_base64(w.text);
    else
        out += decode_quoted_printable(w.text, true);
}

} // namespace

std::string decode_encoded_words(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    // Bytes of consecutive words in one charset wait here, so that a
    // character split across two words is converted whole (§5, and what
    // mailers that cut words at a byte count produce).
    std::string pending;
    std::string pending_charset;
    auto flush = [&] {
        if (!pending_charset.empty()) convert_to_utf8(pending_charset, pending, out);
        pending.clear();
        pending_charset.clear();
    };
    std::size_t plain_start = 0;
    bool last_was_word = false;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t found = text.find("=?", i);
        if (found == std::string_view::npos) break;
        auto word = read_word(text, found);
        if (!word) {
            i = found + 1;
            continue;
        }
        std::string_view between = text.substr(plain_start, found - plain_start);
        bool only_space = true;
        for (char c : between) only_space = only_space && is_lwsp(c);
        // §6.2: whitespace between two adjacent encoded words is dropped.
        if (!(last_was_word && only_space)) {
            flush();
            out += utf8_or_latin1(between);
        }
        if (!pending_charset.empty() && !iequals(pending_charset, word->charset)) flush();
        if (pending_charset.empty()) pending_charset = std::string(word->charset);
        decode_word_text(*word, pending);
        last_was_word = true;
        i = plain_start = word->end;
    }
    flush();
    out += utf8_or_latin1(text.substr(plain_start));
    return out;
}

namespace {

// RFC 2047 §5 (3): the characters a Q word may carry as themselves in any
// header position (phrases included); everything else is =XX.
bool q_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

std::size_t q_length(unsigned char c) { return (q_plain(c) || c == ' ') ? 1 : 3; }

void q_append(std::string& out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    if (c == ' ') {
        out.push_back('_');
    } else if (q_plain(c)) {
        out.push_back(static_cast<char>(c));
    } else {
        out.push_back('=');
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
}

std::size_t utf8_char_length(std::string_view s, std::size_t i)
{
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return i + n <= s.size() ? n : s.size() - i;
}

constexpr std::size_t max_word = 75;
constexpr std::string_view q_prefix = "=?UTF-8?Q?";
constexpr std::string_view b_prefix = "=?UTF-8?B?";

// Encodes `s` as encoded words separated by single spaces (which decoders
// drop, §6.2), each at most 75 octets, never splitting a character.
std::string encode_words(std::string_view s)
{
    std::size_t q_total = 0;
    for (char c : s) q_total += q_length(static_cast<unsigned char>(c));
    std::size_t b_total = (s.size() + 2) / 3 * 4;
    bool use_q = q_total <= b_total;
    const std::size_t room = max_word - q_prefix.size() - 2;  // 63
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = i;
        std::size_t used = 0;
        while (j < s.size()) {
            std::size_t n = utf8_char_length(s, j);
            std::size_t cost = 0;
            if (use_q) {
                for (std::size_t k = 0; k < n; ++k) cost += q_length(static_cast<unsigned char>(s[j + k]));
                if (used + cost > room) break;
                used += cost;
            } else {
                if ((j + n - i + 2) / 3 * 4 > room) break;
            }
            j += n;
        }
        if (j == i) j = i + utf8_char_length(s, i);  // cannot happen with room 63
        if (!out.empty()) out.push_back(' ');
        std::string_view chunk = s.substr(i, j - i);
        if (use_q) {
            out += q_prefix;
            for (char c : chunk) q_append(out, static_cast<unsigned char>(c));
        } else {
            out += b_prefix;
            out += encode_base64(chunk, 0);
        }
        out += "?=";
        i = j;
    }
    return out;
}

bool needs_encoding(std::string_view word)
{
    if (word.find("=?") != std::string_view::npos) return true;
    for (char c : word) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x7f || (u < 0x20 && c != '\t')) return true;
    }
    return false;
}

} // namespace

std::string detail::encode_phrase(std::string_view utf8)
{
    std::string clean = sanitize_utf8(utf8);
    return encode_words(clean);
}

std::string encode_header_text(std::string_view utf8_in)
{
    std::string clean = sanitize_utf8(utf8_in);
    std::string_view s = clean;
    // Words (runs of non-space) that need encoding: the span from the first
    // to the last of them becomes encoded words; the plain words around it
    // stay readable.
    std::size_t first = std::string_view::npos, last_end = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (start < i && needs_encoding(s.substr(start, i - start))) {
            if (first == std::string_view::npos) first = start;
            last_end = i;
        }
    }
    if (first == std::string_view::npos) return clean;
    std::string out(s.substr(0, first));
    out += encode_words(s.substr(first, last_end - first));
    out += s.substr(last_end);
    return out;
}

} // namespace mailstore::mime
