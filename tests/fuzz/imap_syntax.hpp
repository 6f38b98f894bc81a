// A strict reader of the IMAP response syntax the message-shape data items
// use (RFC 3501 §9: body, envelope): one parenthesised list of nested lists,
// NIL, numbers, quoted strings and literals. The fuzz targets check that
// whatever the message looked like, ENVELOPE, BODY and BODYSTRUCTURE came out
// as one well-formed value a client can read, with nothing after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fuzz_imap {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True when `text` is exactly one list: balanced parentheses, at most one SP
// between two elements and none after "(" or before ")", atoms only NIL or a
// number, quoted strings without CR/LF/NUL whose only escapes are \" and \\,
// literals "{n}" CRLF followed by exactly n octets without NUL (CHAR8).
inline bool is_well_formed_list(std::string_view text) {
    std::size_t i = 0;
    std::size_t depth = 0;
    // What came last: an opening "(", an element, or a separating SP.
    enum class Last { open, element, space } last = Last::element;
    if (text.empty() || text[0] != '(')
        return false;
    while (i < text.size()) {
        char c = text[i];
        if (depth == 0 && i != 0)
            return false;  // bytes after the closing ")"
        if (c == '(') {
            // No check of `last`: the body parts of a multipart follow each
            // other without SP ("(("text" ...)("text" ...) "mixed")").
            ++depth;
            last = Last::open;
            ++i;
        } else if (c == ')') {
            if (depth == 0 || last == Last::space)
                return false;
            --depth;
            last = Last::element;
            ++i;
        } else if (c == ' ') {
            if (last != Last::element)
                return false;
            last = Last::space;
            ++i;
        } else if (c == '"') {
            if (last == Last::element)
                return false;
            ++i;
            bool closed = false;
            while (i < text.size()) {
                char q = text[i];
                if (q == '\r' || q == '\n' || q == '\0')
                    return false;
                if (q == '\\') {
                    if (i + 1 >= text.size() || (text[i + 1] != '"' && text[i + 1] != '\\'))
                        return false;
                    i += 2;
                    continue;
                }
                ++i;
                if (q == '"') {
                    closed = true;
                    break;
                }
            }
            if (!closed)
                return false;
            last = Last::element;
        } else if (c == '{') {
            if (last == Last::element)
                return false;
            ++i;
            std::uint64_t n = 0;
            std::size_t digits = 0;
            while (i < text.size() && is_digit(text[i]) && digits < 19) {
                n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
                ++i;
                ++digits;
            }
            if (digits == 0 || i + 3 > text.size() || text.substr(i, 3) != "}\r\n")
                return false;
            i += 3;
            if (n > text.size() - i)
                return false;
            if (text.substr(i, static_cast<std::size_t>(n)).find('\0') != std::string_view::npos)
                return false;
            i += static_cast<std::size_t>(n);
            last = Last::element;
        } else {
            if (last == Last::element)
                return false;
            std::size_t start = i;
            while (i < text.size() && text[i] != ' ' && text[i] != '(' && text[i] != ')')
                ++i;
            std::string_view atom = text.substr(start, i - start);
            bool number = atom.size() <= 20;
            for (char a : atom)
                number = number && is_digit(a);
            if (atom != "NIL" && !number)
                return false;
            last = Last::element;
        }
    }
    return depth == 0 && last == Last::element;
}

} // namespace fuzz_imap
