// RFC 5322 §2.2 header fields: splitting, unfolding, lookup.
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/encoded_word.hpp>
#include <mailstore/mime/header.hpp>

#include "parser_fields.hpp"
#include "text_util.hpp"

namespace mailstore::mime {

using detail::ascii_lower;
using detail::is_wsp;

std::vector<HeaderField> parse_header_fields(std::string_view block)
{
    std::vector<HeaderField> fields;
    detail::FieldReader reader(block);
    HeaderField f;
    while (reader.next(f))
        fields.push_back(f);
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
    return detail::iequals(a, b);
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
