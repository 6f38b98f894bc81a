// A cursor over a structured MIME header value (RFC 2045 §5.1 tokens,
// RFC 822 quoted strings and comments), shared by the Content-* parsers.
// Internal. Folding needs no separate pass: CR and LF count as whitespace
// between items and are dropped inside quoted strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailstore::mime::detail {

// RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
// tspecials>. Bytes >= 0x80 are accepted too, as Dovecot does: real mail
// carries raw UTF-8 filenames.
constexpr bool is_mime_token_char(char ch)
{
    auto c = static_cast<unsigned char>(ch);
    if (c <= 32 || c == 127)
        return false;
    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
        return false;
    default:
        return true;
    }
}

class ValueCursor {
public:
    explicit ValueCursor(std::string_view text) : s_(text) {}

    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }
    void advance() { ++i_; }
    std::size_t pos() const { return i_; }

    // Skips whitespace (including CR/LF) and nested comments. False when a
    // comment is not closed (the cursor is then at the end).
    bool skip_cfws()
    {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++i_;
            } else if (c == '(') {
                // Comments nest (RFC 5322 §3.2.2); the depth is only a
                // counter, so deep nesting costs no stack.
                std::size_t depth = 0;
                while (i_ < s_.size()) {
                    char d = s_[i_++];
                    if (d == '\\') {
                        if (i_ < s_.size())
                            ++i_;
                    } else if (d == '(') {
                        ++depth;
                    } else if (d == ')') {
                        if (--depth == 0)
                            break;
                    }
                }
                if (depth != 0)
                    return false;
            } else {
                break;
            }
        }
        return true;
    }

    // A run of token characters (possibly empty).
    std::string_view token()
    {
        std::size_t b = i_;
        while (i_ < s_.size() && is_mime_token_char(s_[i_]))
            ++i_;
        return s_.substr(b, i_ - b);
    }

    // At a '"': reads the quoted string, removing quoted-pair backslashes
    // and folding line breaks. False when it is not closed.
    bool quoted_string(std::string& out)
    {
        ++i_;  // opening quote
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"')
                return true;
            if (c == '\\') {
                if (i_ >= s_.size())
                    return false;
                out.push_back(s_[i_++]);
            } else if (c != '\r' && c != '\n') {
                out.push_back(c);
            }
        }
        return false;
    }

    // Dovecot's workaround for `name==?utf-8?b?...?=`: a value starting
    // with '=' runs to the next ';' or whitespace.
    std::string_view until_separator()
    {
        std::size_t b = i_;
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
                break;
            ++i_;
        }
        return s_.substr(b, i_ - b);
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

} // namespace mailstore::mime::detail
