// Content-Type / Content-Disposition / Content-Language / Content-Transfer-
// Encoding values (RFC 2045 §5-6, RFC 2183, RFC 3282) with RFC 2231
// parameter continuations. What counts as broken, and how much of a broken
// value survives, follows Dovecot 2.3 so BODYSTRUCTURE matches it byte for
// byte (see tests/unit/mailstore/test_mime_content_type.cpp for each case).
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/encoded_word.hpp>

#include "parser_cursor.hpp"
#include "text_util.hpp"

#include <algorithm>
#include <cstdint>

namespace mailstore::mime {

using detail::iequals;
using detail::ValueCursor;

namespace {

// One parameter as written, before RFC 2231 joining.
using RawParam = Parameter;

// Reads "; name=value" items. A broken item is skipped one byte at a time
// until the next ';' (Dovecot's recovery), so junk between parameters
// costs the junk and nothing else; a broken item that reaches the end of
// the value ends the list.
// Dovecot keeps the first 128 parameters of a field; the rest are dropped
// (a bound on work and memory for hostile headers, too).
constexpr std::size_t kMaxParams = 128;

std::vector<RawParam> read_raw_params(ValueCursor& c)
{
    std::vector<RawParam> out;
    while (!c.at_end() && out.size() < kMaxParams) {
        if (c.peek() != ';') {
            c.advance();
            continue;
        }
        c.advance();
        if (!c.skip_cfws() || c.at_end())
            break;
        std::string_view name = c.token();
        if (!c.skip_cfws() || c.at_end())
            break;
        if (c.peek() != '=') {
            c.advance();
            continue;
        }
        c.advance();
        RawParam p;
        p.name = std::string(name);
        if (!c.skip_cfws())
            break;  // unclosed comment: nothing usable follows
        if (c.at_end()) {
            out.push_back(std::move(p));  // "name=" at the end: empty value
            break;
        }
        if (c.peek() == '"') {
            if (!c.quoted_string(p.value))
                break;  // unclosed quote: the parameter is dropped
        } else if (c.peek() == '=') {
            p.value = std::string(c.until_separator());
        } else {
            p.value = std::string(c.token());
        }
        out.push_back(std::move(p));
        if (!c.skip_cfws())
            break;
    }
    return out;
}

struct Section {
    std::string key;        // name before the '*'
    std::uint32_t index = 0;
    bool extended = false;  // name*N* / name*: charset'lang'%XX form
    std::string value;
    std::size_t order = 0;
};

bool all_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// Section numbers wrap around as 32-bit unsigned values (Dovecot shows
// name*999999999999 as name*3567587327).
std::uint32_t parse_index(std::string_view s)
{
    std::uint32_t v = 0;
    for (char c : s)
        v = v * 10u + static_cast<std::uint32_t>(c - '0');
    return v;
}

// RFC 2231 §3-4: joins name*0, name*1, ... into one parameter. Plain
// parameters come first in their order; RFC 2231 ones follow, sorted by
// name, each joined when its sections are exactly 0..n-1, else listed one
// by one as name*N[*]. A joined parameter with any extended section is
// reported as "name*" with its value still encoded (charset'lang'%XX; "''"
// added when section 0 was not extended) — what Dovecot puts in BODYSTRUCTURE.
std::vector<Parameter> join_rfc2231(std::vector<RawParam> raw)
{
    std::vector<Parameter> out;
    std::vector<Section> sections;
    // A starred name without a section number ("name*", "name**") takes the
    // number of the previous numbered section, 0 at first — Dovecot's
    // reading, visible in BODYSTRUCTURE ("name*0; name*2; name*=x" shows
    // name*2*).
    std::uint32_t last_index = 0;
    for (RawParam& p : raw) {
        std::string_view name = p.name;
        bool extended = false;
        if (!name.empty() && name.back() == '*') {
            extended = true;
            name.remove_suffix(1);
        }
        std::size_t star = name.find('*');
        if (star == std::string_view::npos) {
            if (!extended) {
                out.push_back(Parameter{std::move(p.name), std::move(p.value)});
                continue;
            }
            sections.push_back(Section{std::string(name), last_index, true, std::move(p.value), sections.size()});
            continue;
        }
        std::string_view idx = name.substr(star + 1);
        if (idx.empty()) {  // "name**": an extended name* with a stray star
            sections.push_back(Section{std::string(name.substr(0, star)), last_index, extended,
                                       std::move(p.value), sections.size()});
            continue;
        }
        if (!all_digits(idx)) {
            out.push_back(Parameter{std::move(p.name), std::move(p.value)});
            continue;
        }
        last_index = parse_index(idx);
        sections.push_back(Section{std::string(name.substr(0, star)), last_index, extended,
                                   std::move(p.value), sections.size()});
    }
    if (sections.empty())
        return out;
    auto key_less = [](const std::string& a, const std::string& b) {
        std::size_t n = std::min(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            char x = detail::ascii_lower(a[i]);
            char y = detail::ascii_lower(b[i]);
            if (x != y)
                return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
        }
        return a.size() < b.size();
    };
    std::stable_sort(sections.begin(), sections.end(), [&](const Section& a, const Section& b) {
        if (key_less(a.key, b.key))
            return true;
        if (key_less(b.key, a.key))
            return false;
        return a.index < b.index;
    });
    std::size_t i = 0;
    while (i < sections.size()) {
        std::size_t j = i;
        while (j < sections.size() && iequals(sections[j].key, sections[i].key))
            ++j;
        bool contiguous = true;
        bool any_extended = false;
        for (std::size_t k = i; k < j; ++k) {
            if (sections[k].index != k - i)
                contiguous = false;
            any_extended = any_extended || sections[k].extended;
        }
        if (contiguous) {
            Parameter joined;
            joined.name = sections[i].key;
            if (any_extended) {
                joined.name += '*';
                if (!sections[i].extended)
                    joined.value = "''";
            }
            for (std::size_t k = i; k < j; ++k)
                joined.value += sections[k].value;
            out.push_back(std::move(joined));
        } else {
            for (std::size_t k = i; k < j; ++k) {
                Parameter p;
                p.name = sections[k].key + '*' + std::to_string(sections[k].index);
                if (sections[k].extended)
                    p.name += '*';
                p.value = std::move(sections[k].value);
                out.push_back(std::move(p));
            }
        }
        i = j;
    }
    return out;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int h = hex_value(s[i + 1]);
            int l = hex_value(s[i + 2]);
            if (h >= 0 && l >= 0) {
                out.push_back(static_cast<char>(h * 16 + l));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

std::string to_valid_utf8(std::string s)
{
    if (is_valid_utf8(s))
        return s;
    return utf8_or_latin1(s);
}

// How RFC 2231 §3-4 (grammar in §7) reads a parameter name as written.
struct Rfc2231Name {
    enum class Kind {
        plain,     // attribute
        whole,     // attribute "*": one extended value, charset'lang'%XX
        section,   // attribute "*" N ["*"]: one section of a continuation
        unusable,  // "a*01", "a*x", "a**": not in the grammar
    };
    Kind kind = Kind::unusable;
    std::string_view attribute;
    std::uint32_t index = 0;
    bool extended = false;  // a trailing '*': percent-encoded value
};

Rfc2231Name classify_name(std::string_view n)
{
    Rfc2231Name out;
    if (!n.empty() && n.back() == '*') {
        out.extended = true;
        n.remove_suffix(1);
    }
    std::size_t star = n.find('*');
    if (star == std::string_view::npos) {
        out.attribute = n;
        out.kind = out.extended ? Rfc2231Name::Kind::whole : Rfc2231Name::Kind::plain;
        return out;
    }
    std::string_view idx = n.substr(star + 1);
    // section := "*0" / "*" non-zero-digit *DIGIT. Nine digits are more
    // than any parameter list can hold (kMaxParams) and keep the value in
    // 32 bits.
    if (!all_digits(idx) || idx.size() > 9 || (idx.size() > 1 && idx[0] == '0'))
        return out;
    out.attribute = n.substr(0, star);
    out.index = parse_index(idx);
    out.kind = Rfc2231Name::Kind::section;
    return out;
}

struct Rfc2231Section {
    std::uint32_t index = 0;
    bool extended = false;
    const std::string* value = nullptr;
};

// Joins sections 0, 1, 2, ... of one parameter (RFC 2231 §3) and converts
// the result to UTF-8. The first section written under a number wins over
// later duplicates; a missing number ends the value (what is contiguous
// from section 0 is kept: a damaged value is better than none for a
// filename). Extended sections are percent-decoded, plain ones taken
// literally (§4.1). The charset comes from section 0's
// charset'language' prefix when section 0 is extended; without one, the
// bytes are UTF-8 when valid, else Latin-1. A section 0 without the two
// quotes is decoded with no charset (lenient; §4 requires them); so is
// one with a charset convert_to_utf8() does not know.
std::string decode_extended_sections(std::vector<Rfc2231Section> sections)
{
    std::stable_sort(sections.begin(), sections.end(),
                     [](const Rfc2231Section& a, const Rfc2231Section& b) { return a.index < b.index; });
    std::string charset;
    std::string bytes;
    std::uint32_t next = 0;
    for (const Rfc2231Section& s : sections) {
        if (s.index < next)
            continue;  // a duplicate: the first one written is kept
        if (s.index != next)
            break;  // a gap
        std::string_view v = *s.value;
        if (s.extended && s.index == 0) {
            std::size_t q1 = v.find('\'');
            std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
                charset = std::string(v.substr(0, q1));
                v = v.substr(q2 + 1);
            }
        }
        if (s.extended)
            bytes += percent_decode(v);
        else
            bytes += v;
        ++next;
    }
    if (charset.empty())
        return to_valid_utf8(std::move(bytes));
    // An unknown charset reads like no charset: a filename is better
    // guessed than replaced by U+FFFD.
    std::string out;
    if (!convert_to_utf8(charset, bytes, out))
        return to_valid_utf8(std::move(bytes));
    return to_valid_utf8(std::move(out));
}

} // namespace

std::vector<Parameter> parse_parameters(std::string_view text)
{
    std::string nulbuf;
    text = detail::replace_nuls(text, nulbuf);
    ValueCursor c(text);
    c.skip_cfws();
    return join_rfc2231(read_raw_params(c));
}

ContentType parse_content_type(std::string_view value)
{
    std::string nulbuf;
    value = detail::replace_nuls(value, nulbuf);
    ContentType ct;
    ValueCursor c(value);
    // type "/" subtype, each a token with optional comments around; any
    // other shape makes the whole field unusable (type and subtype empty,
    // no parameters), except a lone type, which Dovecot keeps with an
    // empty subtype.
    if (!c.skip_cfws() || c.at_end())
        return ct;
    std::string_view type = c.token();
    if (type.empty() || !c.skip_cfws())
        return ct;
    if (c.at_end()) {
        ct.type = std::string(type);
        return ct;
    }
    if (c.peek() != '/')
        return ct;
    c.advance();
    if (!c.skip_cfws() || c.at_end())
        return ct;
    std::string_view subtype = c.token();
    if (subtype.empty() || !c.skip_cfws())
        return ct;
    if (!c.at_end() && c.peek() != ';')
        return ct;
    ct.type = std::string(type);
    ct.subtype = std::string(subtype);
    ct.raw_params = read_raw_params(c);
    ct.params = join_rfc2231(ct.raw_params);
    return ct;
}

ContentDisposition parse_content_disposition(std::string_view value)
{
    std::string nulbuf;
    value = detail::replace_nuls(value, nulbuf);
    ContentDisposition cd;
    ValueCursor c(value);
    if (!c.skip_cfws())
        return cd;
    cd.type = std::string(c.token());
    // Junk after the type is skipped up to the first ';' (Dovecot keeps
    // "inline junk; a=b" as inline with a=b).
    cd.raw_params = read_raw_params(c);
    cd.params = join_rfc2231(cd.raw_params);
    return cd;
}

std::vector<std::string> parse_content_language(std::string_view value)
{
    std::string nulbuf;
    value = detail::replace_nuls(value, nulbuf);
    std::vector<std::string> out;
    ValueCursor c(value);
    // RFC 3282: 1#Language-tag. The list stops at the first thing that is
    // not a tag followed by ',' (as Dovecot does: "en de" gives just "en").
    while (true) {
        if (!c.skip_cfws() || c.at_end())
            break;
        std::string_view tag = c.token();
        if (tag.empty())
            break;
        out.emplace_back(tag);
        if (!c.skip_cfws() || c.at_end() || c.peek() != ',')
            break;
        c.advance();
    }
    return out;
}

std::string parse_content_transfer_encoding(std::string_view value)
{
    std::string nulbuf;
    value = detail::replace_nuls(value, nulbuf);
    ValueCursor c(value);
    // RFC 2045 §6.1: mechanism := token. Anything more than one token (with
    // comments around) is not a mechanism; the field then counts as absent.
    if (!c.skip_cfws())
        return {};
    std::string_view tok = c.token();
    if (tok.empty() || !c.skip_cfws() || !c.at_end())
        return {};
    return std::string(tok);
}

const std::string* find_parameter(const std::vector<Parameter>& params, std::string_view name)
{
    for (const Parameter& p : params)
        if (iequals(p.name, name))
            return &p.value;
    return nullptr;
}

std::optional<std::string> decode_parameter(const ContentType& ct, std::string_view name)
{
    return decode_parameter(ct.raw_params, name);
}

std::optional<std::string> decode_parameter(const ContentDisposition& cd, std::string_view name)
{
    return decode_parameter(cd.raw_params, name);
}

std::optional<std::string> decode_parameter(const std::vector<Parameter>& params, std::string_view name)
{
    if (!name.empty() && name.back() == '*')
        name.remove_suffix(1);
    // RFC 2231 §4: an extended or continued form, when present, is the real
    // value; the first one written wins ("name*" or the sections of
    // "name*N[*]" counted at their section 0). Otherwise the first plain
    // "name=".
    const Parameter* plain = nullptr;
    const Parameter* whole = nullptr;
    std::vector<Rfc2231Section> sections;
    std::size_t whole_order = 0;
    std::size_t zero_order = 0;
    bool have_zero = false;
    for (std::size_t order = 0; order < params.size(); ++order) {
        const Parameter& p = params[order];
        Rfc2231Name n = classify_name(p.name);
        if (n.kind == Rfc2231Name::Kind::unusable || !iequals(n.attribute, name))
            continue;
        switch (n.kind) {
        case Rfc2231Name::Kind::plain:
            if (plain == nullptr)
                plain = &p;
            break;
        case Rfc2231Name::Kind::whole:
            if (whole == nullptr) {
                whole = &p;
                whole_order = order;
            }
            break;
        case Rfc2231Name::Kind::section:
            if (n.index == 0 && !have_zero) {
                have_zero = true;
                zero_order = order;
            }
            sections.push_back(Rfc2231Section{n.index, n.extended, &p.value});
            break;
        case Rfc2231Name::Kind::unusable:
            break;
        }
    }
    if (whole != nullptr && (!have_zero || whole_order < zero_order))
        return decode_extended_sections({Rfc2231Section{0, true, &whole->value}});
    if (have_zero)
        return decode_extended_sections(std::move(sections));
    if (plain != nullptr) {
        // Many mailers put RFC 2047 words in filenames although §5 says
        // not to; undeclared 8-bit is UTF-8 when valid, else Latin-1.
        std::string text = to_valid_utf8(plain->value);
        return to_valid_utf8(decode_encoded_words(text));
    }
    return std::nullopt;
}

} // namespace mailstore::mime
