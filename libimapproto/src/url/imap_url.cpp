// IMAP URL parsing and formatting (RFC 5092 §11 grammar, RFC 4467 §3
// URLAUTH components, RFC 5092 §7 relative URLs).
#include "url/imap_url.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace imapproto::detail::url {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
// sub-delims-sh: RFC 3986 sub-delims without ";", "&" and "=".
bool is_sub_delim_sh(char c) {
    return c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',';
}
bool is_achar(char c) { return is_unreserved(c) || is_sub_delim_sh(c) || c == '&' || c == '='; }
bool is_bchar(char c) { return is_achar(c) || c == ':' || c == '@' || c == '/'; }

bool allowed(char c, Charset charset) { return charset == Charset::achar ? is_achar(c) : is_bchar(c); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[i]) != lower(prefix[i]))
            return false;
    return true;
}

bool equals_nocase(std::string_view a, std::string_view b) { return a.size() == b.size() && starts_with_nocase(a, b); }

int hex_value(char c) {
    if (is_digit(c))
        return c - '0';
    return lower(c) - 'a' + 10;
}

// IMAP number (RFC 3501: 32-bit unsigned); nz-number when `nonzero`. No
// sign, no leading zero (except "0" itself), no overflow.
std::optional<std::uint32_t> parse_number(std::string_view s, bool nonzero) {
    if (s.empty() || s.size() > 10)
        return std::nullopt;
    for (char c : s)
        if (!is_digit(c))
            return std::nullopt;
    if (s.size() > 1 && s[0] == '0')
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s)
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > 0xffffffffULL || (nonzero && v == 0))
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<unsigned> fixed_digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size())
        return std::nullopt;
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i]))
            return std::nullopt;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
}

// The parser proper: one URL's text, position by position.
class Parser {
public:
    Parser(std::string_view text, ImapUrl& url, std::string& error) : text_(text), url_(url), error_(error) {}

    bool parse_server(std::string_view authority);
    // The path after the server's "/" (or a relative path). `stage` is how
    // far the URL already got from a base (relative ";SECTION=" keeps the
    // base's UID).
    enum class Stage { none, mailbox, uidvalidity, uid, section, partial, expire, urlauth };
    bool parse_path(std::size_t start, Stage stage);

private:
    bool fail(std::string why) {
        error_ = std::move(why);
        return false;
    }
    bool parse_param(std::string_view key, std::string_view value, bool slash, Stage& stage, std::size_t value_pos);
    bool parse_urlauth(std::string_view value, std::size_t value_pos);

    std::string_view text_;
    ImapUrl& url_;
    std::string& error_;
};

bool Parser::parse_server(std::string_view authority) {
    url_.has_server = true;
    std::string_view hostport = authority;
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        hostport = authority.substr(at + 1);
        std::string_view user = userinfo;
        // iuserinfo = enc-user [iauth] / [enc-user] iauth
        for (std::size_t i = 0; i < userinfo.size(); ++i) {
            if (userinfo[i] == ';') {
                user = userinfo.substr(0, i);
                std::string_view rest = userinfo.substr(i);
                if (!starts_with_nocase(rest, ";AUTH="))
                    return fail("Invalid ;AUTH= in the user part");
                std::string_view mech = rest.substr(6);
                if (mech == "*") {
                    url_.auth = "*";
                } else {
                    auto decoded = percent_decode(mech, Charset::achar);
                    if (!decoded || decoded->empty())
                        return fail("Invalid ;AUTH= mechanism");
                    url_.auth = std::move(*decoded);
                }
                break;
            }
        }
        if (user.empty() && !url_.auth)
            return fail("Empty user name");
        if (!user.empty()) {
            auto decoded = percent_decode(user, Charset::achar);
            if (!decoded || decoded->empty())
                return fail("Invalid user name");
            url_.user = std::move(*decoded);
        }
    }
    std::string_view host = hostport;
    std::string_view port;
    if (!hostport.empty() && hostport[0] == '[') {
        const auto close = hostport.find(']');
        if (close == std::string_view::npos)
            return fail("Invalid IP literal");
        for (char c : hostport.substr(1, close - 1))
            if (!is_hex(c) && c != ':' && c != '.' && c != 'v' && c != 'V')
                return fail("Invalid IP literal");
        host = hostport.substr(0, close + 1);
        std::string_view after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':')
                return fail("Invalid host");
            port = after.substr(1);
            if (port.empty())
                return fail("Invalid port");
        }
    } else if (const auto colon = hostport.find(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
        if (port.empty())
            return fail("Invalid port");
    }
    if (host.empty())
        return fail("Missing host");
    if (host[0] != '[') {
        // reg-name / IPv4address: unreserved, pct-encoded, sub-delims.
        for (std::size_t i = 0; i < host.size(); ++i) {
            const char c = host[i];
            if (c == '%') {
                if (i + 2 >= host.size() || !is_hex(host[i + 1]) || !is_hex(host[i + 2]))
                    return fail("Invalid host");
                i += 2;
            } else if (!is_unreserved(c) && !is_sub_delim_sh(c) && c != '&' && c != '=' && c != ';') {
                return fail("Invalid host");
            }
        }
    }
    url_.host = std::string(host);
    if (!port.empty()) {
        auto p = parse_number(port, true);
        if (!p || *p > 65535)
            return fail("Invalid port");
        url_.port = static_cast<std::uint16_t>(*p);
    }
    return true;
}

bool Parser::parse_urlauth(std::string_view value, std::size_t value_pos) {
    UrlAuth auth;
    const auto colon = value.find(':');
    std::string_view access = value.substr(0, colon);
    if (starts_with_nocase(access, "submit+") || starts_with_nocase(access, "user+")) {
        const std::size_t plus = access.find('+');
        auto user = percent_decode(access.substr(plus + 1), Charset::achar);
        if (!user || user->empty())
            return fail("Invalid URLAUTH access identifier");
        auth.access = starts_with_nocase(access, "submit+") ? "submit+" : "user+";
        auth.access += *user;
    } else if (equals_nocase(access, "authuser") || equals_nocase(access, "anonymous")) {
        auth.access = equals_nocase(access, "authuser") ? "authuser" : "anonymous";
    } else {
        return fail("Invalid URLAUTH access identifier");
    }
    if (colon == std::string_view::npos) {
        auth.rump = std::string(text_);
    } else {
        // RFC 4467 §6: the rump is the text without ":<mech>:<token>".
        auth.rump = std::string(text_.substr(0, value_pos + colon));
        std::string_view verifier = value.substr(colon + 1);
        const auto colon2 = verifier.find(':');
        if (colon2 == std::string_view::npos)
            return fail("Invalid URLAUTH: missing token");
        std::string_view mech = verifier.substr(0, colon2);
        std::string_view token = verifier.substr(colon2 + 1);
        if (mech.empty())
            return fail("Invalid URLAUTH mechanism");
        for (char c : mech)
            if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.')
                return fail("Invalid URLAUTH mechanism");
        if (token.size() < 32)
            return fail("Invalid URLAUTH token");
        for (char c : token)
            if (!is_hex(c))
                return fail("Invalid URLAUTH token");
        for (char c : mech)
            auth.mechanism += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        auth.token = std::string(token);
    }
    url_.urlauth = std::move(auth);
    return true;
}

bool Parser::parse_param(std::string_view key, std::string_view value, bool slash, Stage& stage,
                         std::size_t value_pos) {
    if (equals_nocase(key, "UIDVALIDITY")) {
        if (slash || stage != Stage::mailbox)
            return fail("Misplaced ;UIDVALIDITY=");
        url_.uidvalidity = parse_number(value, true);
        if (!url_.uidvalidity)
            return fail("Invalid UIDVALIDITY");
        stage = Stage::uidvalidity;
    } else if (equals_nocase(key, "UID")) {
        const bool first = stage == Stage::none;
        if ((!slash && !first) || (stage != Stage::mailbox && stage != Stage::uidvalidity && !first))
            return fail("Misplaced ;UID=");
        url_.uid = parse_number(value, true);
        if (!url_.uid)
            return fail("Invalid UID");
        stage = Stage::uid;
    } else if (equals_nocase(key, "SECTION")) {
        const bool first = stage == Stage::none;
        if ((!slash && !first) || (stage != Stage::uid && !first))
            return fail("Misplaced ;SECTION=");
        auto decoded = percent_decode(value, Charset::bchar);
        if (!decoded || decoded->empty())
            return fail("Invalid SECTION");
        url_.section = std::move(*decoded);
        stage = Stage::section;
    } else if (equals_nocase(key, "PARTIAL")) {
        const bool first = stage == Stage::none;
        if ((!slash && !first) || (stage != Stage::uid && stage != Stage::section && !first))
            return fail("Misplaced ;PARTIAL=");
        // partial-range = number ["." nz-number]
        Partial p;
        const auto dot = value.find('.');
        auto offset = parse_number(value.substr(0, dot), false);
        if (!offset)
            return fail("Invalid PARTIAL range");
        p.offset = *offset;
        if (dot != std::string_view::npos) {
            auto length = parse_number(value.substr(dot + 1), true);
            if (!length)
                return fail("Invalid PARTIAL range");
            p.length = *length;
        }
        url_.partial = p;
        stage = Stage::partial;
    } else if (equals_nocase(key, "EXPIRE")) {
        if (slash || (stage != Stage::uid && stage != Stage::section && stage != Stage::partial))
            return fail("Misplaced ;EXPIRE=");
        url_.expire = parse_rfc3339(value);
        if (!url_.expire)
            return fail("Invalid EXPIRE date-time");
        stage = Stage::expire;
    } else if (equals_nocase(key, "URLAUTH")) {
        if (slash || (stage != Stage::uid && stage != Stage::section && stage != Stage::partial &&
                      stage != Stage::expire))
            return fail("Misplaced ;URLAUTH=");
        if (!parse_urlauth(value, value_pos))
            return false;
        stage = Stage::urlauth;
    } else {
        return fail("Unknown URL parameter");
    }
    return true;
}

bool Parser::parse_path(std::size_t start, Stage stage) {
    std::size_t pos = start;
    const std::size_t end = text_.size();
    bool slash = false;
    if (stage == Stage::none && pos < end && text_[pos] != ';') {
        // imailbox-ref: enc-mailbox runs to the first ';' or '?' (bchar
        // has neither); a '/' right before ";UID=" separates, it is not
        // part of the name.
        std::size_t stop = pos;
        while (stop < end && text_[stop] != ';' && text_[stop] != '?')
            ++stop;
        std::string_view raw = text_.substr(pos, stop - pos);
        if (stop < end && text_[stop] == ';' && !raw.empty() && raw.back() == '/') {
            raw.remove_suffix(1);
            slash = true;
        }
        auto name = percent_decode(raw, Charset::bchar);
        if (!name || name->empty())
            return fail("Invalid mailbox name");
        for (unsigned char c : *name)
            if (c < 0x20 || c == 0x7f)
                return fail("Invalid mailbox name");
        url_.mailbox = std::move(*name);
        stage = Stage::mailbox;
        pos = stop;
    }
    while (pos < end) {
        if (text_[pos] == '?') {
            if (slash || (stage != Stage::mailbox && stage != Stage::uidvalidity))
                return fail("Misplaced search");
            auto search = percent_decode(text_.substr(pos + 1), Charset::bchar);
            if (!search || search->empty())
                return fail("Invalid search");
            url_.search = std::move(*search);
            return true;
        }
        if (text_[pos] == '/') {
            if (slash || pos + 1 >= end || text_[pos + 1] != ';')
                return fail("Unexpected '/'");
            slash = true;
            ++pos;
            continue;
        }
        if (text_[pos] != ';')
            return fail("Unexpected character");
        const std::size_t eq = text_.find('=', pos);
        if (eq == std::string_view::npos)
            return fail("Missing '=' in URL parameter");
        std::string_view key = text_.substr(pos + 1, eq - pos - 1);
        // URLAUTH holds the rest of the URL; other values end at ';' (a
        // '/' before it belongs to the next parameter) or '?'.
        std::size_t vend = eq + 1;
        if (equals_nocase(key, "URLAUTH")) {
            vend = end;
        } else {
            while (vend < end && text_[vend] != ';' && text_[vend] != '?')
                ++vend;
        }
        std::string_view value = text_.substr(eq + 1, vend - eq - 1);
        bool next_slash = false;
        if (!value.empty() && value.back() == '/' && !equals_nocase(key, "URLAUTH")) {
            value.remove_suffix(1);
            next_slash = true;
        }
        if (value.empty())
            return fail("Empty URL parameter");
        if (!parse_param(key, value, slash, stage, eq + 1))
            return false;
        slash = next_slash;
        pos = vend;
    }
    if (slash)
        return fail("Unexpected '/'");
    return true;
}

} // namespace

std::string percent_encode(std::string_view raw, Charset charset) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        if (allowed(c, charset)) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 15];
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view text, Charset charset) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            if (!is_hex(text[i + 1]) || !is_hex(text[i + 2]))
                return std::nullopt;
            const int v = hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]);
            if (v == 0)
                return std::nullopt; // NUL has no place in a name or section
            out += static_cast<char>(v);
            i += 2;
        } else if (allowed(c, charset)) {
            out += c;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    // full-date "T" partial-time time-offset (RFC 3339 §5.6)
    auto year = fixed_digits(s, 0, 4);
    auto month = fixed_digits(s, 5, 2);
    auto day = fixed_digits(s, 8, 2);
    auto hour = fixed_digits(s, 11, 2);
    auto minute = fixed_digits(s, 14, 2);
    auto second = fixed_digits(s, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    static constexpr std::array<unsigned, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1] || *hour > 23 || *minute > 59 ||
        *second > 60)
        return std::nullopt;
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*month == 2 && *day == 29 && !leap)
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const std::size_t digits = pos;
        while (pos < s.size() && is_digit(s[pos]) && pos - digits < 32)
            ++pos;
        if (pos == digits)
            return std::nullopt;
    }
    if (pos >= s.size())
        return std::nullopt;
    std::int64_t offset = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        auto oh = fixed_digits(s, pos + 1, 2);
        auto om = fixed_digits(s, pos + 4, 2);
        if (!oh || !om || s[pos + 3] != ':' || *oh > 23 || *om > 59)
            return std::nullopt;
        offset = (static_cast<std::int64_t>(*oh) * 60 + *om) * 60;
        if (s[pos] == '-')
            offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt;
    const std::int64_t days = days_from_civil(*year, *month, *day);
    const std::int64_t second_of_day = static_cast<std::int64_t>(*hour) * 3600 + *minute * 60 + *second;
    return days * 86400 + second_of_day - offset;
}

ParsedUrl parse_imap_url(std::string_view text, UrlForm form, const ImapUrl* base) {
    ParsedUrl result;
    if (text.size() > kMaxUrlLength) {
        result.error = "URL too long";
        return result;
    }
    if (text.empty()) {
        result.error = "Empty URL";
        return result;
    }
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b >= 0x7f) {
            result.error = "Invalid character in URL";
            return result;
        }
    }
    ImapUrl url;
    Parser parser(text, url, result.error);
    std::size_t authority_start = 0;
    if (starts_with_nocase(text, "imap://")) {
        authority_start = 7;
    } else if (form == UrlForm::any && base != nullptr && base->has_server) {
        if (starts_with_nocase(text, "//")) {
            authority_start = 2;
        } else {
            // Server-relative: the base's server, then the path.
            url.has_server = true;
            url.user = base->user;
            url.auth = base->auth;
            url.host = base->host;
            url.port = base->port;
            auto stage = Parser::Stage::none;
            std::size_t start = 0;
            if (text[0] == '/') {
                start = 1;
                if (text.size() == 1 || text[1] == '/' || text[1] == ';') {
                    result.error = "Invalid URL path";
                    return result;
                }
            } else if (text[0] == ';') {
                // ";UID=" keeps the base's mailbox, ";SECTION=" its UID as
                // well, ";PARTIAL=" its section (RFC 5092 imsg-or-part).
                url.mailbox = base->mailbox;
                url.uidvalidity = base->uidvalidity;
                const bool has_section = starts_with_nocase(text, ";SECTION=");
                const bool has_partial = starts_with_nocase(text, ";PARTIAL=");
                if (has_section || has_partial)
                    url.uid = base->uid;
                if (has_partial)
                    url.section = base->section;
                if (!url.mailbox || ((has_section || has_partial) && !url.uid)) {
                    result.error = "Relative URL without a base message";
                    return result;
                }
                if (!starts_with_nocase(text, ";UID=") && !has_section && !has_partial) {
                    result.error = "Invalid relative URL";
                    return result;
                }
            } else if (const auto first = text.substr(0, text.find_first_of("/;?"));
                       first.find(':') != std::string_view::npos) {
                // RFC 3986 §4.2: a relative path's first segment has no
                // ':'; this is another scheme ("http:", "imap:/x").
                result.error = "Invalid URL scheme";
                return result;
            }
            if (!parser.parse_path(start, stage))
                return result;
            result.url = std::move(url);
            return result;
        }
    } else {
        result.error = form == UrlForm::any ? "Not an IMAP URL" : "Not an absolute IMAP URL";
        return result;
    }
    std::size_t slash = text.find('/', authority_start);
    std::string_view authority = text.substr(authority_start, slash == std::string_view::npos
                                                                  ? std::string_view::npos
                                                                  : slash - authority_start);
    if (authority.find('?') != std::string_view::npos || authority.find('/') != std::string_view::npos) {
        result.error = "Invalid server part";
        return result;
    }
    if (!parser.parse_server(authority))
        return result;
    if (slash != std::string_view::npos && slash + 1 < text.size()) {
        if (text[slash + 1] == ';' || text[slash + 1] == '/') {
            result.error = "Invalid URL path";
            return result;
        }
        if (!parser.parse_path(slash + 1, Parser::Stage::none))
            return result;
    }
    result.url = std::move(url);
    return result;
}

namespace {

// A mailbox name or section as a path component: a '/' at its start or end
// would read as a separator ("imap://h//x", "INBOX/;UID=1"), so it is
// escaped there.
std::string encode_component(std::string_view raw) {
    std::string out = percent_encode(raw, Charset::bchar);
    if (!out.empty() && out.back() == '/')
        out.replace(out.size() - 1, 1, "%2F");
    if (!out.empty() && out.front() == '/')
        out.replace(0, 1, "%2F");
    return out;
}

} // namespace

std::string format_imap_url(const ImapUrl& url) {
    std::string out = "imap://";
    if (!url.user.empty() || url.auth) {
        out += percent_encode(url.user, Charset::achar);
        if (url.auth) {
            out += ";AUTH=";
            out += *url.auth == "*" ? std::string("*") : percent_encode(*url.auth, Charset::achar);
        }
        out += '@';
    }
    out += url.host;
    if (url.port) {
        out += ':';
        out += std::to_string(*url.port);
    }
    out += '/';
    if (!url.mailbox)
        return out;
    out += encode_component(*url.mailbox);
    if (url.uidvalidity)
        out += ";UIDVALIDITY=" + std::to_string(*url.uidvalidity);
    if (url.search) {
        out += '?';
        out += percent_encode(*url.search, Charset::bchar);
        return out;
    }
    if (!url.uid)
        return out;
    out += "/;UID=" + std::to_string(*url.uid);
    if (url.section)
        out += "/;SECTION=" + encode_component(*url.section);
    if (url.partial) {
        out += "/;PARTIAL=" + std::to_string(url.partial->offset);
        if (url.partial->length)
            out += '.' + std::to_string(*url.partial->length);
    }
    if (url.expire) {
        // RFC 3339 in UTC.
        std::int64_t t = *url.expire;
        std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        std::int64_t secs = t - days * 86400;
        // civil_from_days (H. Hinnant)
        days += 719468;
        const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
        const unsigned doe = static_cast<unsigned>(days - era * 146097);
        const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
        const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const unsigned mp = (5 * doy + 2) / 153;
        const unsigned d = doy - (153 * mp + 2) / 5 + 1;
        const unsigned m = mp < 10 ? mp + 3 : mp - 9;
        y += m <= 2;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                      static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                      static_cast<long long>(secs % 60));
        out += ";EXPIRE=";
        out += buf;
    }
    if (url.urlauth) {
        out += ";URLAUTH=";
        const std::string& access = url.urlauth->access;
        const auto plus = access.find('+');
        if (plus != std::string::npos)
            out += access.substr(0, plus + 1) + percent_encode(access.substr(plus + 1), Charset::achar);
        else
            out += access;
        if (!url.urlauth->mechanism.empty())
            out += ':' + url.urlauth->mechanism + ':' + url.urlauth->token;
    }
    return out;
}

} // namespace imapproto::detail::url
