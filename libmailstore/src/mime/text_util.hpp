// Small byte-level helpers shared by the MIME parsers. Internal: not part of
// the public API. Everything works on ASCII only; 8-bit bytes are data.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace mailstore::mime::detail {

// WSP of RFC 5234: SP and HTAB only.
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Whitespace for structured fields: WSP plus the line-ending bytes that
// folding leaves behind when a value is parsed without unfolding it first.
constexpr bool is_lwsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

// Whether `s` starts with `prefix`, ASCII case-insensitively.
inline bool istarts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Given s[pos] == '(', the offset just past the comment that starts there
// (RFC 5322 §3.2.2: comments nest, a quoted-pair escapes any byte), or
// s.size() when it is never closed. The depth is a counter, so nesting
// costs no stack.
inline std::size_t comment_end(std::string_view s, std::size_t pos)
{
    std::size_t depth = 0;
    while (pos < s.size()) {
        char c = s[pos++];
        if (c == '\\') {
            if (pos < s.size())
                ++pos;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0 && --depth == 0) {
            return pos;
        }
    }
    return s.size();
}

inline std::string to_lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

// `s` without leading and trailing is_lwsp() bytes.
inline std::string_view trim_lwsp(std::string_view s)
{
    while (!s.empty() && is_lwsp(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_lwsp(s.back()))
        s.remove_suffix(1);
    return s;
}

// Position of the next '\n' at or after `from`, or npos.
inline std::size_t find_lf(std::string_view s, std::size_t from)
{
    if (from >= s.size())
        return std::string_view::npos;
    const void* p = std::memchr(s.data() + from, '\n', s.size() - from);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - s.data()) : std::string_view::npos;
}

} // namespace mailstore::mime::detail

namespace mailstore::mime::detail {

// Dovecot reads a NUL in a header value as U+FFFD (the bytes can't travel
// in an IMAP quoted string or literal). Returns `s` itself when it has no
// NUL, else a copy in `buf`.
inline std::string_view replace_nuls(std::string_view s, std::string& buf)
{
    if (s.find('\0') == std::string_view::npos)
        return s;
    buf.clear();
    buf.reserve(s.size() + 8);
    for (char c : s) {
        if (c == '\0')
            buf += "\xEF\xBF\xBD";
        else
            buf.push_back(c);
    }
    return buf;
}

// An unstructured Content-* value the way BODYSTRUCTURE shows it: line
// breaks of folding removed, leading whitespace removed, trailing kept.
inline std::string unfold_left_trim(std::string_view value)
{
    std::string nulbuf;
    value = replace_nuls(value, nulbuf);
    std::string out;
    out.reserve(value.size());
    bool leading = true;
    for (char c : value) {
        if (c == '\r' || c == '\n')
            continue;
        if (leading && (c == ' ' || c == '\t'))
            continue;
        leading = false;
        out.push_back(c);
    }
    return out;
}

} // namespace mailstore::mime::detail
