// Dovecot's "key=value key2 key3=value" field strings (passwd-file extra
// fields, static args, default_fields/override_fields).
#include "auth/db/drivers.hpp"

namespace mailstore::auth {

namespace {
// A field string is one config line or one passwd-file line: more fields
// than this are not a real configuration, and FieldList::set is linear.
constexpr std::size_t max_fields = 1024;
} // namespace

FieldList parse_field_string(std::string_view text) {
    FieldList out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < max_fields) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        std::size_t end = i;
        while (end < text.size() && text[end] != ' ' && text[end] != '\t')
            ++end;
        std::string_view token = text.substr(i, end - i);
        i = end;
        if (token.empty())
            continue;
        auto eq = token.find('=');
        if (eq == 0)
            continue; // "=value": no key, nothing to set
        if (eq == std::string_view::npos)
            out.set(token);
        else
            out.set(token.substr(0, eq), token.substr(eq + 1));
    }
    return out;
}

} // namespace mailstore::auth
