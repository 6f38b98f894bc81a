// RFC 5322 §3.4 addresses with the obsolete forms of §4.4. Where the input
// is damaged the parser recovers exactly as Dovecot 2.3 does (each case
// checked against Dovecot's FETCH ENVELOPE: the table in
// tests/unit/mailstore/test_mime_envelope.cpp), because ENVELOPE must be
// byte-identical.
//
// The parser works on one unfolded copy of the value, never recurses (nested
// comments are counted) and never rescans more than a constant number of
// times, so it is linear in the input.
#include <mailstore/mime/address.hpp>
#include <mailstore/mime/encoded_word.hpp>

#include "addr_parse.hpp"

namespace mailstore::mime {
namespace detail {
namespace {

// RFC 5322 §3.2.3 atext, plus 8-bit bytes (RFC 6532 and real mail).
bool is_atext(unsigned char c)
{
    if (c >= 0x80) return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
        return true;
    default:
        return false;
    }
}

// Return values of the parse steps (as in Dovecot's rfc822 parser):
// 1 = parsed, more input follows; 0 = parsed, input ended; -1 = syntax error.
class Parser {
public:
    Parser(std::string_view text, std::vector<RawAddress>& out)
        : p_(text.data()), end_(text.data() + text.size()), out_(out) {}

    void parse_list()
    {
        if (skip_lwsp() <= 0) return;
        for (;;) {
            if (out_.size() >= max_addresses) break;
            parse_address();
            if (at_end() || *p_ != ',') break;
            ++p_;
            // An unclosed comment after the comma still gives one (empty)
            // address; only the end of the input ends the list.
            if (skip_lwsp() == 0) break;
        }
    }

private:
    const char* p_;
    const char* end_;
    std::vector<RawAddress>& out_;
    RawAddress addr_;
    std::string str_;
    std::string last_comment_;

    bool at_end() const { return p_ >= end_; }
    static bool is_lwsp_start(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '('; }
    unsigned char cur() const { return static_cast<unsigned char>(*p_); }

    // CFWS (RFC 5322 §3.2.2). Remembers the text of the last comment: a
    // bare addr-spec takes it as the display name.
    int skip_lwsp()
    {
        while (p_ < end_) {
            char c = *p_;
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++p_;
                continue;
            }
            if (c != '(') break;
            if (skip_comment() < 0) return -1;
        }
        return p_ < end_ ? 1 : 0;
    }

    // Nesting is counted, not recursed; quoted-pairs lose their backslash.
    // The text is collected piece by piece, so an unclosed comment leaves
    // what came before its last quoted-pair or NUL (Dovecot then uses that
    // as a name: "bc (@\"a\\\"b" has the name '@"a').
    int skip_comment()
    {
        last_comment_.clear();
        std::size_t level = 1;
        const char* start = ++p_;
        for (; p_ < end_; ++p_) {
            switch (*p_) {
            case '(':
                ++level;
                break;
            case ')':
                if (--level == 0) {
                    last_comment_.append(start, p_);
                    ++p_;
                    return 1;
                }
                break;
            case '\\':
                ++p_;
                if (p_ >= end_) return -1;
                last_comment_.append(start, p_ - 1);
                start = p_;
                break;
            case '\0':
                last_comment_.append(start, p_ + 1);
                start = p_ + 1;
                break;
            default:
                break;
            }
        }
        return -1;  // unclosed comment
    }

    // quoted-string (§3.2.4): content appended without the quotes and
    // with quoted-pairs resolved. Appended piece by piece, at each
    // quoted-pair and NUL, so an unclosed quote leaves what came before the
    // last of them (Dovecot's name for 'x.y"ab\0cd' is "x.y ab\0").
    int parse_quoted_string(std::string& s)
    {
        ++p_;
        const char* start = p_;
        for (; p_ < end_; ++p_) {
            if (*p_ == '"') {
                s.append(start, p_);
                ++p_;
                return skip_lwsp();
            }
            if (*p_ == '\\') {
                ++p_;
                if (p_ >= end_) return -1;
                s.append(start, p_ - 1);
                start = p_;
            } else if (*p_ == '\0') {
                s.append(start, p_ + 1);
                start = p_ + 1;
            }
        }
        return -1;  // unclosed quote
    }

    // A phrase word of atext and '.' (obs-phrase, §4.1).
    int parse_atom_or_dot(std::string& s)
    {
        const char* start = p_;
        while (p_ < end_ && (is_atext(cur()) || *p_ == '.')) ++p_;
        s.append(start, p_);
        return skip_lwsp();
    }

    // phrase = 1*word / obs-phrase; words joined by one space. Returns 1
    // with nothing appended when no word starts here.
    int parse_phrase(std::string& s)
    {
        if (at_end()) return 0;
        if (*p_ == '.') return -1;
        for (;;) {
            int ret;
            if (*p_ == '"')
                ret = parse_quoted_string(s);
            else if (is_atext(cur()) || *p_ == '.')
                ret = parse_atom_or_dot(s);
            else if (is_lwsp_start(*p_))
                ret = skip_lwsp();  // an empty word (Dovecot: a space more)
            else
                return 1;
            if (ret <= 0) return ret;
            if (!is_atext(cur()) && *p_ != '"' && *p_ != '.') return 1;
            s.push_back(' ');
        }
    }

    // Local part as a (lenient) dot-atom: obs-local-part allows CFWS before
    // a dot, and real mail has leading and doubled dots, and a trailing dot
    // right before the '@' ("a.@b"). A dot followed by anything else but
    // the '@' or the end fails, what was read staying in `s` (Dovecot).
    int parse_local_dot_atom(std::string& s)
    {
        if (at_end() || !(is_atext(cur()) || *p_ == '.')) return -1;
        for (;;) {
            const char* start = p_;
            while (p_ < end_ && (is_atext(cur()) || *p_ == '.')) ++p_;
            s.append(start, p_);
            if (p_ < end_ && p_[-1] == '.' && *p_ != '@') return -1;
            int ret = skip_lwsp();
            if (ret <= 0) return ret;
            if (*p_ != '.') return 1;
        }
    }

    // Domain dot-atom / obs-domain: atoms separated by single dots, CFWS
    // allowed around them (§4.4); an empty label fails.
    int parse_domain_dot_atom(std::string& s)
    {
        if (at_end() || !is_atext(cur())) return -1;
        for (;;) {
            const char* start = p_;
            while (p_ < end_ && is_atext(cur())) ++p_;
            s.append(start, p_);
            int ret = skip_lwsp();
            if (ret <= 0) return ret;
            if (*p_ != '.') return 1;
            ++p_;
            s.push_back('.');
            if (skip_lwsp() <= 0) return -1;
            if (!is_atext(cur())) return -1;
        }
    }

    // domain-literal kept as written, brackets and quoted-pairs included.
    int parse_domain_literal(std::string& s)
    {
        const char* start = p_++;
        for (; p_ < end_; ++p_) {
            if (*p_ == '\\') {
                ++p_;
                if (p_ >= end_) break;
            } else if (*p_ == ']') {
                ++p_;
                s.append(start, p_);
                return skip_lwsp();
            }
        }
        return -1;  // missing ']'
    }

    // At '@': the domain after it.
    int parse_domain(std::string& s)
    {
        ++p_;
        if (skip_lwsp() <= 0) return -1;
        if (*p_ == '[') return parse_domain_literal(s);
        return parse_domain_dot_atom(s);
    }

    int parse_local_part()
    {
        str_.clear();
        int ret;
        bool quoted = !at_end() && *p_ == '"';
        if (quoted)
            ret = parse_quoted_string(str_);
        else
            ret = parse_local_dot_atom(str_);
        if (ret < 0) return -1;
        addr_.mailbox = str_;
        addr_.quoted_local = quoted;
        return ret;
    }

    // obs-domain-list (§4.4): "@a,@b" (commas and CFWS between them).
    int parse_domain_list()
    {
        std::string route;
        for (;;) {
            if (at_end()) return 0;
            if (*p_ != '@') break;
            if (!route.empty()) route.push_back(',');
            route.push_back('@');
            int ret = parse_domain(route);
            if (ret <= 0) return ret;
            while (skip_lwsp() > 0 && *p_ == ',') ++p_;
        }
        addr_.route = std::move(route);
        return 1;
    }

    // angle-addr = "<" [obs-route] addr-spec ">"; "<>" is allowed (empty).
    int parse_angle_addr()
    {
        ++p_;
        if (skip_lwsp() <= 0) return -1;
        if (*p_ == '@') {
            if (parse_domain_list() > 0 && *p_ == ':') {
                ++p_;
            } else {
                addr_.route.reset();
                addr_.invalid_route = true;
                addr_.invalid = true;
            }
            if (skip_lwsp() <= 0) return -1;
        }
        if (*p_ != '>') {
            if (parse_local_part() <= 0) return -1;
            if (*p_ == '@') {
                std::string domain;
                int ret = parse_domain(domain);
                if (ret >= 0) addr_.domain = std::move(domain);
                if (ret <= 0) return -1;
            }
            if (*p_ != '>') return -1;
        }
        ++p_;
        return skip_lwsp();
    }

    // name-addr = [display-name] angle-addr. -1 (nothing consumed that
    // matters) when this is not a name-addr at all.
    int parse_name_addr()
    {
        std::string name;
        if (parse_phrase(name) <= 0 || *p_ != '<') return -1;
        if (!name.empty()) addr_.name = std::move(name);
        if (parse_angle_addr() < 0) {
            // What was read of the address is kept; ENVELOPE shows the
            // damage in the host part.
            addr_.syntax_error = true;
            addr_.invalid = true;
        }
        return at_end() ? 0 : 1;
    }

    // addr-spec = local-part "@" domain, and the damaged forms around it:
    // a trailing comment is the name; "user" alone is a mailbox without a
    // domain; "some words" with no address is a display name.
    int parse_addr_spec()
    {
        last_comment_.clear();
        bool quoted = !at_end() && *p_ == '"';
        int ret = parse_local_part();
        int ret2 = -2;
        if (ret <= 0) addr_.invalid = true;
        if (ret != 0 && !at_end() && *p_ == '@') {
            std::string domain;
            ret2 = parse_domain(domain);
            if (ret2 >= 0) addr_.domain = std::move(domain);
            if (ret2 <= 0) ret = ret2;
        }
        if (!last_comment_.empty()) {
            addr_.name = last_comment_;
        } else if (ret2 == -2) {
            str_.push_back(' ');
            std::size_t before = str_.size();
            (void)parse_phrase(str_);
            if (str_.size() != before) {
                addr_.mailbox.reset();
                addr_.name = str_;
            } else if (!quoted) {
                addr_.domain = std::string();
            }
            addr_.invalid = true;
            ret = -1;
        }
        return ret;
    }

    void push(RawAddress&& a)
    {
        if (out_.size() < max_addresses) out_.push_back(std::move(a));
    }

    int parse_mailbox()
    {
        const char* start = p_;
        addr_ = RawAddress{};
        int ret = parse_name_addr();
        if (ret < 0) {
            p_ = start;
            addr_ = RawAddress{};
            ret = parse_addr_spec();
            // A lone quoted string is a name, not a local part.
            if (addr_.invalid && !addr_.name && addr_.mailbox && !addr_.domain) {
                addr_.name = std::move(addr_.mailbox);
                addr_.mailbox.reset();
                addr_.quoted_local = false;
            }
        }
        if (ret < 0) addr_.invalid = true;
        push(std::move(addr_));
        addr_ = RawAddress{};
        return ret;
    }

    // group = display-name ":" [mailbox-list / CFWS] ";" [CFWS]. Groups do
    // not nest: a second "name:" inside is read as a (damaged) mailbox.
    int parse_group()
    {
        std::string name;
        if (parse_phrase(name) <= 0 || *p_ != ':') return -1;
        ++p_;
        int ret = skip_lwsp();
        if (ret <= 0) ret = -1;
        RawAddress start;
        start.kind = RawAddress::Kind::group_start;
        start.name = std::move(name);
        push(std::move(start));
        if (ret > 0 && *p_ != ';') {
            for (;;) {
                // A damaged member does not end the group; the end of the
                // input does.
                if (out_.size() >= max_addresses || parse_mailbox() == 0) {
                    ret = -1;
                    break;
                }
                if (at_end() || *p_ != ',') break;
                ++p_;
                if (skip_lwsp() <= 0) {
                    ret = -1;
                    break;
                }
            }
        }
        if (ret >= 0) {
            if (at_end() || *p_ != ';') {
                ret = -1;
            } else {
                ++p_;
                ret = skip_lwsp();
            }
        }
        RawAddress end;
        end.kind = RawAddress::Kind::group_end;
        end.invalid = ret < 0;
        push(std::move(end));
        return ret == 0 ? 0 : 1;
    }

    int parse_address()
    {
        const char* start = p_;
        int ret = parse_group();
        if (ret < 0) {
            p_ = start;
            ret = parse_mailbox();
        }
        return ret;
    }
};

} // namespace

std::vector<RawAddress> parse_raw_addresses(std::string_view value)
{
    // Unfold (§2.2.3): line breaks go, the whitespace after them stays.
    std::string text;
    text.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '\n') continue;
        if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
        text.push_back(c);
    }
    std::vector<RawAddress> out;
    Parser(text, out).parse_list();
    return out;
}

} // namespace detail

namespace {

bool is_dot_atom_text(std::string_view s)
{
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    char prev = 0;
    for (char c : s) {
        if (c == '.') {
            if (prev == '.') return false;
        } else if (!detail::is_atext(static_cast<unsigned char>(c))) {
            return false;
        }
        prev = c;
    }
    return true;
}

std::string quote_string(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// Runs of whitespace to one space, none at the ends.
std::string collapse_whitespace(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    bool space = false;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// A display name as RFC 5322 §3.2.5 wants it: atoms as they are, else a
// quoted string; non-ASCII names wholly as RFC 2047 encoded words (§5 (3)),
// so that specials in the ASCII words around them stay protected.
std::string format_phrase(std::string_view name)
{
    bool eight_bit = false;
    bool plain = !name.empty();
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) eight_bit = true;
        if (!(detail::is_atext(u) || c == ' ')) plain = false;
    }
    if (eight_bit) return detail::encode_phrase(name);
    if (plain && name.front() != ' ' && name.back() != ' ') return std::string(name);
    return quote_string(name);
}

} // namespace

std::string Address::addr_spec() const
{
    if (domain.empty()) return local_part;
    return local_part + "@" + domain;
}

std::string Address::unquoted_local_part() const
{
    if (local_part.size() < 2 || local_part.front() != '"' || local_part.back() != '"')
        return local_part;
    std::string_view inner(local_part);
    inner = inner.substr(1, inner.size() - 2);
    std::string out;
    out.reserve(inner.size());
    for (std::size_t i = 0; i < inner.size(); ++i) {
        // quoted-pair (§3.2.1): the backslash goes, the next byte stays.
        if (inner[i] == '\\' && i + 1 < inner.size())
            ++i;
        out.push_back(inner[i]);
    }
    return out;
}

std::vector<Address> parse_address_list(std::string_view value)
{
    std::vector<Address> result;
    for (auto& raw : detail::parse_raw_addresses(value)) {
        Address a;
        switch (raw.kind) {
        case detail::RawAddress::Kind::group_start:
            a.kind = Address::Kind::group_start;
            a.name = collapse_whitespace(raw.name.value_or(""));
            a.has_name = true;
            break;
        case detail::RawAddress::Kind::group_end:
            a.kind = Address::Kind::group_end;
            a.invalid = raw.invalid;
            break;
        case detail::RawAddress::Kind::mailbox:
            a.has_name = raw.name.has_value();
            if (raw.name) a.name = collapse_whitespace(*raw.name);
            if (raw.route) a.route = *raw.route;
            if (raw.mailbox) {
                a.local_part = raw.quoted_local && !is_dot_atom_text(*raw.mailbox)
                                   ? quote_string(*raw.mailbox)
                                   : *raw.mailbox;
            }
            if (raw.domain) a.domain = *raw.domain;
            a.invalid = raw.invalid || raw.invalid_route || raw.syntax_error ||
                        a.local_part.empty() || a.domain.empty();
            break;
        }
        result.push_back(std::move(a));
    }
    return result;
}

std::string decoded_name(const Address& address)
{
    return decode_encoded_words(address.name);
}

std::string format_address_list(const std::vector<Address>& addresses)
{
    std::string out;
    bool in_group = false;
    bool first_in_group = false;
    bool need_sep = false;
    for (const auto& a : addresses) {
        switch (a.kind) {
        case Address::Kind::group_start:
            if (need_sep) out += ", ";
            out += format_phrase(a.name);
            out += ":";
            in_group = true;
            first_in_group = true;
            need_sep = false;
            break;
        case Address::Kind::group_end:
            if (!in_group) break;
            out += ";";
            in_group = false;
            need_sep = true;
            break;
        case Address::Kind::mailbox: {
            if (in_group) {
                out += first_in_group ? " " : ", ";
                first_in_group = false;
            } else if (need_sep) {
                out += ", ";
            }
            std::string spec = a.addr_spec();
            if (!a.route.empty()) spec = a.route + ":" + spec;
            if (a.has_name && !a.name.empty()) {
                out += format_phrase(a.name);
                out += " <" + spec + ">";
            } else if (!a.route.empty() || spec.empty()) {
                out += "<" + spec + ">";
            } else {
                out += spec;
            }
            need_sep = !in_group;
            break;
        }
        }
    }
    if (in_group) out += ";";
    return out;
}

} // namespace mailstore::mime
