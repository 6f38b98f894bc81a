// The Content-* fields whose value is not a type with parameters:
// Content-ID, Content-Location, Content-MD5. BODYSTRUCTURE sends them as
// written (MessagePart keeps them raw); these give the parsed values.
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include "text_util.hpp"

namespace mailstore::mime {

std::optional<std::string> parse_content_id(std::string_view value)
{
    // Content-ID := msg-id (RFC 2045 §7), the same syntax as Message-ID.
    return parse_message_id(value);
}

std::string parse_content_location(std::string_view value)
{
    // RFC 2557 §4.4.1: a long URI may be folded; whitespace in it is not
    // part of the URI and is removed when the field is unfolded.
    std::string out;
    out.reserve(value.size());
    for (char c : value)
        if (!detail::is_lwsp(c))
            out += c;
    if (out.size() >= 2 && out.front() == '"' && out.back() == '"')
        out = out.substr(1, out.size() - 2);
    return out;
}

std::optional<std::string> parse_content_md5(std::string_view value)
{
    bool errors = false;
    std::string digest = decode_base64(unfold_trim(value), &errors);
    // An MD5 digest is 16 octets: 24 base64 characters ending in "==".
    if (errors || digest.size() != 16)
        return std::nullopt;
    return digest;
}

} // namespace mailstore::mime
