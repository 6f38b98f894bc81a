// SEARCH text (RFC 3501 §6.4.4): substring matching under i;unicode-casemap
// (RFC 5051) against decoded header values and decoded text parts. What is
// searched follows Dovecot 2.3 (checked against its SEARCH):
//   BODY   the text/* leaf parts, transfer encoding undone and converted to
//          UTF-8, those inside message/rfc822 included; not the headers of
//          encapsulated messages, not preambles/epilogues, not non-text parts.
//   HEADER the decoded values of the top-level fields of that name.
//   TEXT   every header of the message — the top-level one, each MIME part's
//          and each encapsulated message's — as "Name: decoded value" lines
//          (a match may span lines, not headers), plus what BODY searches.
// The part tree is walked with an explicit stack, so nesting depth costs
// heap, not call stack.
#include <mailstore/mime/search_text.hpp>

#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <vector>

namespace mailstore::mime {

namespace {

bool iequals_ascii(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

bool is_text_leaf(const MessagePart& part)
{
    return !part.is_multipart && !part.is_message && !part.opaque &&
           iequals_ascii(part.effective_type(), "text");
}

// The decoded text of a text/* leaf: transfer encoding undone (an unknown
// encoding leaves the bytes as they are), then converted from the charset
// parameter (RFC 2045 §5.2: us-ascii when there is none).
std::string part_text(const ParsedMessage& message, const MessagePart& part)
{
    const std::string_view raw = message.body_bytes(part);
    std::string decoded;
    std::string_view bytes = raw;
    const TransferEncoding te = parse_transfer_encoding(part.transfer_encoding);
    if (te == TransferEncoding::base64 || te == TransferEncoding::quoted_printable) {
        decode_transfer(te, raw, decoded);
        bytes = decoded;
    }
    const std::string* charset = find_parameter(part.content_type.params, "charset");
    std::string out;
    out.reserve(bytes.size());
    convert_to_utf8(charset && !charset->empty() ? std::string_view(*charset) : "us-ascii", bytes,
                    out);
    return out;
}

// Visits every part in message order (pre-order) until `visit` returns true;
// returns whether it did.
template <class Visit>
bool walk_parts(const MessagePart& root, Visit&& visit)
{
    std::vector<const MessagePart*> stack{&root};
    while (!stack.empty()) {
        const MessagePart* part = stack.back();
        stack.pop_back();
        if (visit(*part))
            return true;
        for (auto it = part->children.rbegin(); it != part->children.rend(); ++it)
            stack.push_back(&*it);
    }
    return false;
}

bool body_text_matches(const ParsedMessage& message, const CasemapMatcher& matcher)
{
    return walk_parts(message.root(), [&](const MessagePart& part) {
        return is_text_leaf(part) && matcher.found_in(part_text(message, part));
    });
}

// A header as TEXT searches it: one "Name: value" line per field, the value
// decoded; CRLF between lines. A field whose value needed no decoding keeps
// the whitespace written after its colon ("X:\tv"); one that was decoded
// gets ": " (as Dovecot shows it). Lines without a colon come unfolded.
std::string header_text(const ParsedMessage& message, const MessagePart& part)
{
    const Header header = message.header(part);
    std::string text;
    for (const HeaderField& field : header.fields()) {
        if (!text.empty())
            text += "\r\n";
        if (field.name.empty()) {
            text += sanitize_utf8(unfold_trim(field.raw));
            continue;
        }
        text += sanitize_utf8(field.name);
        text += ':';
        const std::string value = decoded_value(field.value);
        const std::string unfolded = unfold(field.value);
        if (value == unfold_trim(field.value)) {
            const std::size_t lead = unfolded.find_first_not_of(" \t");
            text.append(unfolded, 0, lead == std::string::npos ? unfolded.size() : lead);
        } else {
            text += ' ';
        }
        text += value;
    }
    return text;
}

} // namespace

void for_each_body_text(const ParsedMessage& message,
                        const std::function<void(std::string_view utf8)>& sink)
{
    walk_parts(message.root(), [&](const MessagePart& part) {
        if (is_text_leaf(part))
            sink(part_text(message, part));
        return false;
    });
}

bool body_contains(const ParsedMessage& message, std::string_view needle)
{
    // RFC 3501 gives every message a body, so an empty string matches all.
    if (needle.empty())
        return true;
    return body_text_matches(message, CasemapMatcher(needle));
}

bool header_contains(const ParsedMessage& message, std::string_view name, std::string_view needle)
{
    const Header header = message.header(message.root());
    const std::vector<const HeaderField*> fields = header.all(name);
    // RFC 3501 §6.4.4 HEADER: a zero-length string matches every message
    // that has the field.
    if (needle.empty())
        return !fields.empty();
    const CasemapMatcher matcher(needle);
    for (const HeaderField* field : fields)
        if (matcher.found_in(decoded_value(field->value)))
            return true;
    return false;
}

bool text_contains(const ParsedMessage& message, std::string_view needle)
{
    if (needle.empty())
        return true;
    const CasemapMatcher matcher(needle);
    return walk_parts(message.root(), [&](const MessagePart& part) {
        if (matcher.found_in(header_text(message, part)))
            return true;
        return is_text_leaf(part) && matcher.found_in(part_text(message, part));
    });
}

} // namespace mailstore::mime
