// RFC 5322 §2.2 header fields: splitting, unfolding, lookup.
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/encoded_word.hpp>
#include <mailstore/mime/header.hpp>

#include "text_util.hpp"

namespace mailstore::mime {

using detail::ascii_lower;
using detail::find_lf;
using detail::is_wsp;

namespace {

// RFC 5322 §3.6.8: ftext is printable US-ASCII except ':'.
bool is_valid_field_name(std::string_view name)
{
    if (name.empty())
        return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126)
            return false;
    }
    return true;
}

// Builds a field from [start, end) of `block`; `end` is just past the line
// ending of the field's last line (or the end of the input).
HeaderField make_field(std::string_view block, std::size_t start, std::size_t end, bool leading_continuation)
{
    HeaderField f;
    f.raw = block.substr(start, end - start);
    f.offset = start;
    std::string_view body = f.raw;
    // The value stops before the final line ending (CRLF or LF).
    if (!body.empty() && body.back() == '\n') {
        body.remove_suffix(1);
        if (!body.empty() && body.back() == '\r')
            body.remove_suffix(1);
    }
    if (leading_continuation) {
        // Folded text with no field before it: nothing to attach it to.
        f.malformed = true;
        f.value = body;
        return f;
    }
    // The colon must be on the first line: a folded name is not a name.
    std::size_t first_eol = body.find('\n');
    std::string_view first_line = body.substr(0, first_eol);
    std::size_t colon = first_line.find(':');
    if (colon == std::string_view::npos) {
        f.malformed = true;
        f.value = body;
        return f;
    }
    std::string_view name = body.substr(0, colon);
    // RFC 5322 §4.5.8 (obs-optional): WSP between the name and the colon.
    while (!name.empty() && is_wsp(name.back()))
        name.remove_suffix(1);
    f.name = name;
    f.value = body.substr(colon + 1);
    f.malformed = !is_valid_field_name(name);
    return f;
}

} // namespace

std::vector<HeaderField> parse_header_fields(std::string_view block)
{
    std::vector<HeaderField> fields;
    std::size_t pos = 0;
    std::size_t field_start = std::string_view::npos;
    bool leading_continuation = false;
    const std::size_t n = block.size();
    while (pos < n) {
        std::size_t lf = find_lf(block, pos);
        std::size_t next = lf == std::string_view::npos ? n : lf + 1;
        std::size_t content_end = lf == std::string_view::npos ? n : lf;
        if (content_end > pos && lf != std::string_view::npos && block[content_end - 1] == '\r')
            --content_end;
        // An empty line (CRLF or bare LF) ends the header (RFC 5322 §2.1).
        if (content_end == pos && lf != std::string_view::npos)
            break;
        if (is_wsp(block[pos]) && field_start != std::string_view::npos) {
            pos = next;  // folded continuation of the current field
            continue;
        }
        if (field_start != std::string_view::npos)
            fields.push_back(make_field(block, field_start, pos, leading_continuation));
        field_start = pos;
        leading_continuation = is_wsp(block[pos]);
        pos = next;
    }
    if (field_start != std::string_view::npos)
        fields.push_back(make_field(block, field_start, pos, leading_continuation));
    return fields;
}

std::string unfold(std::string_view value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value)
        if (c != '\r' && c != '\n')
            out.push_back(c);
    return out;
}

std::string unfold_trim(std::string_view value)
{
    std::string out = unfold(value);
    std::size_t b = 0;
    while (b < out.size() && is_wsp(out[b]))
        ++b;
    std::size_t e = out.size();
    while (e > b && is_wsp(out[e - 1]))
        --e;
    return out.substr(b, e - b);
}

std::string decoded_value(std::string_view value)
{
    std::string nulbuf;
    // A NUL reads as U+FFFD, as Dovecot's header parser has it.
    std::string text = unfold_trim(detail::replace_nuls(value, nulbuf));
    // Undeclared 8-bit text: UTF-8 when valid, else Latin-1. Encoded words
    // are ASCII, so this does not disturb them.
    if (!is_valid_utf8(text))
        text = utf8_or_latin1(text);
    std::string out = decode_encoded_words(text);
    if (!is_valid_utf8(out))
        out = sanitize_utf8(out);
    return out;
}

bool field_name_equals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

Header::Header(std::string_view block) : fields_(parse_header_fields(block)) {}

const HeaderField* Header::first(std::string_view name) const
{
    if (name.empty())
        return nullptr;
    for (const HeaderField& f : fields_)
        if (field_name_equals(f.name, name))
            return &f;
    return nullptr;
}

std::vector<const HeaderField*> Header::all(std::string_view name) const
{
    std::vector<const HeaderField*> out;
    if (name.empty())
        return out;
    for (const HeaderField& f : fields_)
        if (field_name_equals(f.name, name))
            out.push_back(&f);
    return out;
}

std::string_view Header::value(std::string_view name) const
{
    const HeaderField* f = first(name);
    return f ? f->value : std::string_view{};
}

} // namespace mailstore::mime
