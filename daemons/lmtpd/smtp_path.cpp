// RFC 5321 §4.1.2 paths and parameters, RFC 3461 xtext (smtp_path.hpp).
#include "smtp_path.hpp"

#include <limits>

namespace lmtpd {

namespace {

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// RFC 5321 atext (RFC 5322 §3.2.3) plus, for RFC 6531, any non-ASCII byte
// (the whole path's UTF-8 is checked separately).
bool is_atext(unsigned char c) {
    if (is_alpha(c) || is_digit(c) || c >= 0x80)
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
        return true;
    default:
        return false;
    }
}

// Domain characters: letters, digits, "-" and "." (RFC 5321 sub-domain),
// "_" as Dovecot and most MTAs accept it, and UTF-8 U-labels (RFC 6531).
bool is_domain_char(unsigned char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; }

struct PathParser {
    std::string_view in;
    std::size_t pos = 0;
    std::string keyword;

    bool at_end() const { return pos >= in.size(); }
    unsigned char peek() const { return static_cast<unsigned char>(in[pos]); }

    ArgumentError fail(std::string_view reason) const {
        return ArgumentError{501, "5.5.4 Invalid " + keyword + ": " + std::string(reason)};
    }

    // Domain or address literal; appends it to `out`.
    std::optional<ArgumentError> domain(std::string& out) {
        if (at_end() || peek() == '>' || peek() == ',' || peek() == ':')
            return fail("Missing domain");
        if (peek() == '[') {
            // address-literal (§4.1.3): "[" dtext "]"; the content is not
            // interpreted (it is only ever compared or shown).
            const std::size_t start = pos++;
            while (!at_end() && peek() != ']') {
                const unsigned char c = peek();
                if (c < 33 || c > 126 || c == '[' || c == '\\')
                    return fail("Invalid character in domain literal");
                ++pos;
            }
            if (at_end())
                return fail("Missing ']' at end of domain literal");
            ++pos;
            out.append(in.substr(start, pos - start));
            return std::nullopt;
        }
        const std::size_t start = pos;
        while (!at_end() && is_domain_char(peek()))
            ++pos;
        if (pos == start || in[start] == '.')
            return fail("Invalid character in domain");
        out.append(in.substr(start, pos - start));
        return std::nullopt;
    }

    // A-d-l ":" (source route): accepted and dropped (RFC 5321 §4.1.2 and
    // appendix C).
    std::optional<ArgumentError> source_route() {
        while (!at_end() && peek() == '@') {
            ++pos;
            std::string ignored;
            if (auto err = domain(ignored))
                return err;
            if (!at_end() && peek() == ',') {
                ++pos;
                if (at_end() || peek() != '@')
                    return fail("Invalid source route");
                continue;
            }
            if (at_end() || peek() != ':')
                return fail("Invalid source route");
            ++pos;
            return std::nullopt;
        }
        return std::nullopt;
    }

    std::optional<ArgumentError> mailbox(PathArgument& out) {
        std::string local;
        if (!at_end() && peek() == '"') {
            // Quoted-string with qtextSMTP / quoted-pairSMTP (§4.1.2).
            ++pos;
            std::string content;
            bool plain = true; // the content is a dot-string anyway
            for (;;) {
                if (at_end())
                    return fail("Missing '\"' at end of localpart");
                const unsigned char c = peek();
                if (c == '"') {
                    ++pos;
                    break;
                }
                if (c == '\\') {
                    ++pos;
                    if (at_end() || peek() < 32 || peek() > 126)
                        return fail("Invalid quoted pair in localpart");
                    content.push_back(in[pos++]);
                    plain = false;
                    continue;
                }
                if (c < 32 || c == 127)
                    return fail("Invalid character in localpart");
                if (!is_atext(c) && c != '.')
                    plain = false;
                content.push_back(static_cast<char>(c));
                ++pos;
            }
            if (content.empty() || content.front() == '.' || content.back() == '.' ||
                content.find("..") != std::string::npos)
                plain = false;
            if (plain) {
                local = std::move(content);
            } else {
                // Keep it quoted, re-escaped, so the address stays one token.
                local = "\"";
                for (char c : content) {
                    if (c == '"' || c == '\\')
                        local.push_back('\\');
                    local.push_back(c);
                }
                local.push_back('"');
            }
        } else {
            const std::size_t start = pos;
            while (!at_end() && (is_atext(peek()) || peek() == '.'))
                ++pos;
            if (pos == start)
                return fail(at_end() || peek() == '>' ? "Missing localpart" : "Invalid character in localpart");
            local = std::string(in.substr(start, pos - start));
        }
        out.address = std::move(local);
        if (!at_end() && peek() == '@') {
            ++pos;
            out.address.push_back('@');
            if (auto err = domain(out.address))
                return err;
        }
        if (at_end() || peek() != '>') {
            if (at_end() || peek() == ' ')
                return fail("Missing '>' at end of path");
            return fail("Invalid character in localpart");
        }
        return std::nullopt;
    }
};

bool is_keyword_char(unsigned char c, bool first) { return is_alpha(c) || is_digit(c) || (!first && c == '-'); }

// esmtp-value (§4.1.2): %d33-60 / %d62-126; RFC 6531 §3.3 lets UTF-8 in.
bool is_value_char(unsigned char c) { return (c >= 33 && c <= 126 && c != '=') || c >= 0x80; }

} // namespace

std::optional<ArgumentError> parse_path_argument(std::string_view argument, std::string_view keyword,
                                                 std::string_view command, PathArgument& out) {
    out = PathArgument{};
    const std::string prefix = std::string(keyword) + ":";
    if (!istarts_with_ascii(argument, prefix))
        return ArgumentError{501, "5.5.4 Invalid parameters"};
    PathParser p;
    p.in = argument;
    p.pos = prefix.size();
    p.keyword = std::string(keyword);
    if (!p.at_end() && (p.peek() == ' ' || p.peek() == '\t'))
        return p.fail("Unexpected whitespace before path");
    if (p.at_end() || p.peek() != '<')
        return p.fail("Missing '<' at beginning of path");
    ++p.pos;
    if (!p.at_end() && p.peek() == '>') {
        out.null_path = true;
    } else {
        if (auto err = p.source_route())
            return err;
        if (auto err = p.mailbox(out))
            return err;
    }
    ++p.pos; // '>'
    for (unsigned char c : out.address)
        if (c >= 0x80)
            out.non_ascii = true;
    if (out.non_ascii && !valid_utf8(out.address))
        return p.fail("Invalid UTF-8 in path");

    // Parameters: SP-separated keyword[=value].
    if (!p.at_end() && p.peek() != ' ')
        return p.fail("Invalid character in path");
    const std::string param_error = "5.5.4 Invalid " + std::string(command) + " parameter: ";
    while (!p.at_end()) {
        while (!p.at_end() && p.peek() == ' ')
            ++p.pos;
        if (p.at_end())
            break;
        Parameter param;
        const std::size_t start = p.pos;
        while (!p.at_end() && p.peek() != ' ' && p.peek() != '=') {
            if (!is_keyword_char(p.peek(), p.pos == start))
                return ArgumentError{501, param_error + "Unexpected character in parameter keyword"};
            param.keyword.push_back(upper(argument[p.pos]));
            ++p.pos;
        }
        if (param.keyword.empty())
            return ArgumentError{501, param_error + "Unexpected character in parameter keyword"};
        if (!p.at_end() && p.peek() == '=') {
            ++p.pos;
            std::string value;
            while (!p.at_end() && p.peek() != ' ') {
                if (!is_value_char(p.peek()))
                    return ArgumentError{501, param_error + "Unexpected character in parameter value"};
                value.push_back(argument[p.pos++]);
            }
            if (value.empty())
                return ArgumentError{501, param_error + "Missing parameter value"};
            param.value = std::move(value);
        }
        out.parameters.push_back(std::move(param));
    }
    return std::nullopt;
}

std::optional<std::string> decode_xtext(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '+') {
            if (i + 2 >= text.size())
                return std::nullopt;
            const int hi = hex(text[i + 1]);
            const int lo = hex(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
            continue;
        }
        if (c < 33 || c > 126 || c == '=')
            return std::nullopt;
        out.push_back(static_cast<char>(c));
    }
    return out;
}

std::optional<std::uint64_t> parse_decimal_saturating(std::string_view text) {
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    std::uint64_t value = 0;
    bool saturated = false;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const std::uint64_t digit = std::uint64_t(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            saturated = true;
        else
            value = value * 10 + digit;
    }
    return saturated ? std::numeric_limits<std::uint64_t>::max() : value;
}

bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > text.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned char cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF (RFC 3629 §3),
        // and C1 controls.
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
            return false;
        i += len;
    }
    return true;
}

bool is_smtp_string(std::string_view text) {
    if (text.empty())
        return false;
    if (text.front() == '"') {
        if (text.size() < 2 || text.back() != '"')
            return false;
        for (std::size_t i = 1; i + 1 < text.size(); ++i) {
            const unsigned char c = static_cast<unsigned char>(text[i]);
            if (c == '\\') {
                ++i;
                if (i + 1 >= text.size())
                    return false;
                const unsigned char q = static_cast<unsigned char>(text[i]);
                if (q < 32 || q > 126)
                    return false;
                continue;
            }
            if (c < 32 || c == 127 || c == '"')
                return false;
        }
        return true;
    }
    for (unsigned char c : text)
        if (!is_atext(c))
            return false;
    return true;
}

bool istarts_with_ascii(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (upper(text[i]) != upper(prefix[i]))
            return false;
    return true;
}

bool iequals_ascii(std::string_view a, std::string_view b) { return a.size() == b.size() && istarts_with_ascii(a, b); }

} // namespace lmtpd
