// parse(text): one line of search text split into the tokens an IMAP
// command parser would produce (atoms, quoted strings, parentheses).
#include "search/search_internal.hpp"

namespace mailstore::search::detail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// CTL (RFC 3501 §9 / RFC 5234): neither an atom nor a quoted string may
// hold them; NUL, CR and LF could never arrive in one IMAP line either.
bool is_ctl(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

} // namespace

Result<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (tokens.size() >= max_tokens) {
            return Status::invalid("Too many search keys");
        }
        if (c == '(' || c == ')') {
            tokens.push_back({c == '(' ? Token::Kind::list_begin : Token::Kind::list_end, {}});
            ++i;
            continue;
        }
        if (c == '"') {
            // quoted = DQUOTE *QUOTED-CHAR DQUOTE, where only \" and \\ are
            // escapes (RFC 3501 §9).
            Token token{Token::Kind::string, {}};
            ++i;
            bool closed = false;
            while (i < text.size()) {
                char q = text[i++];
                if (q == '"') {
                    closed = true;
                    break;
                }
                if (q == '\\') {
                    if (i >= text.size() || (text[i] != '"' && text[i] != '\\')) {
                        return Status::invalid("Invalid quoted string");
                    }
                    q = text[i++];
                } else if (q == '\r' || q == '\n' || q == '\0') {
                    return Status::invalid("Invalid quoted string");
                }
                token.text += q;
            }
            if (!closed) {
                return Status::invalid("Invalid quoted string");
            }
            tokens.push_back(std::move(token));
            continue;
        }
        if (is_ctl(c)) {
            return Status::invalid("Invalid characters in search text");
        }
        std::size_t start = i;
        while (i < text.size() && !is_space(text[i]) && text[i] != '(' && text[i] != ')' && text[i] != '"') {
            if (is_ctl(text[i])) {
                return Status::invalid("Invalid characters in search text");
            }
            ++i;
        }
        tokens.push_back({Token::Kind::atom, std::string(text.substr(start, i - start))});
    }
    return tokens;
}

} // namespace mailstore::search::detail
