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

#include "charset_stream.hpp"
#include "text_util.hpp"

#include <vector>

namespace mailstore::mime {

namespace {

// Raw body bytes are decoded this many at a time: memory for SEARCH stays
// a few such pieces whatever the size of the part.
constexpr std::size_t kPiece = 64 * 1024;

// Whether a leaf's body is text for SEARCH BODY. A valid text/* type is; so
// is a part without Content-Type (RFC 2045 §5.2 default text/plain, except
// in a digest where the default is message/rfc822), and a part whose
// Content-Type is syntactically invalid ("text/plain junk", "text/", a
// lone "image", "; charset=utf-8"): RFC 2045 §5.2 recommends assuming the
// default text/plain; charset=us-ascii for those. Dovecot 2.3 searches
// none of the latter (checked with its SEARCH BODY); Loft follows the RFC
// so that text a reader can see is found.
bool is_text_leaf(const MessagePart& part)
{
    if (part.is_multipart || part.is_message || part.opaque)
        return false;
    if (part.content_type.valid())
        return detail::iequals(part.content_type.type, "text");
    return !part.in_digest;
}

// The charset a text leaf is read in: its charset parameter, or us-ascii
// when there is none or the Content-Type is invalid (RFC 2045 §5.2).
std::string_view text_charset(const MessagePart& part)
{
    if (!part.content_type.valid())
        return "us-ascii";
    const std::string* charset = find_parameter(part.content_type.params, "charset");
    return charset && !charset->empty() ? std::string_view(*charset) : std::string_view("us-ascii");
}

// Calls f(bytes) with the body of `part` in pieces, its transfer encoding
// (part.encoding, the one rule BINARY uses too) undone; an encoding that
// cannot be undone leaves the bytes as they are. Stops when f returns
// false; returns whether it ran to the end.
template <class F>
bool for_each_decoded_piece(const ParsedMessage& message, const MessagePart& part, F&& f)
{
    const std::string_view raw = message.body_bytes(part);
    const TransferEncoding te = part.encoding;
    const bool base64 = te == TransferEncoding::base64;
    const bool qp = te == TransferEncoding::quoted_printable;
    Base64Decoder b64;
    QuotedPrintableDecoder qpd;
    std::string buf;
    for (std::size_t pos = 0; pos < raw.size(); pos += kPiece) {
        const std::string_view piece = raw.substr(pos, kPiece);
        if (!base64 && !qp) {
            if (!f(piece))
                return false;
            continue;
        }
        buf.clear();
        if (base64)
            b64.feed(piece, buf);
        else
            qpd.feed(piece, buf);
        if (!buf.empty() && !f(std::string_view(buf)))
            return false;
    }
    buf.clear();
    if (base64)
        b64.finish(buf);
    else if (qp)
        qpd.finish(buf);
    return buf.empty() || f(std::string_view(buf));
}

// Streams the UTF-8 text of a text leaf to sink(utf8) in pieces that never
// split a character: transfer encoding undone, then charset converted
// (never invalid UTF-8). Stops when sink returns false; returns whether it
// ran to the end.
template <class Sink>
bool stream_part_text(const ParsedMessage& message, const MessagePart& part, Sink&& sink)
{
    detail::Utf8Stream conv(text_charset(part));
    if (conv.needs_whole_input_check()) {
        // US-ASCII keeps valid UTF-8 and reads anything else as
        // Windows-1252: a first pass over the decoded bytes decides which.
        detail::Utf8Validator check;
        for_each_decoded_piece(message, part, [&](std::string_view bytes) {
            check.feed(bytes);
            return true;
        });
        conv.set_whole_input_valid(check.finish());
    }
    std::string utf8;
    const bool all = for_each_decoded_piece(message, part, [&](std::string_view bytes) {
        utf8.clear();
        conv.feed(bytes, utf8);
        return utf8.empty() || sink(std::string_view(utf8));
    });
    if (!all)
        return false;
    utf8.clear();
    conv.finish(utf8);
    return utf8.empty() || sink(std::string_view(utf8));
}

// Whether the needle occurs in the text of one text leaf; a match never
// spans two parts (the search starts over for each).
bool part_matches(const ParsedMessage& message, const MessagePart& part, CasemapSearch& search)
{
    search.reset();
    stream_part_text(message, part, [&](std::string_view utf8) { return !search.feed(utf8); });
    return search.finish();
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
    CasemapSearch search(matcher);
    return walk_parts(message.root(), [&](const MessagePart& part) {
        return is_text_leaf(part) && part_matches(message, part, search);
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
    std::string text;
    walk_parts(message.root(), [&](const MessagePart& part) {
        if (is_text_leaf(part)) {
            text.clear();
            stream_part_text(message, part, [&](std::string_view utf8) {
                text.append(utf8);
                return true;
            });
            sink(text);
        }
        return false;
    });
}

void for_each_body_text_piece(const ParsedMessage& message,
                              const std::function<bool(std::size_t part_index, std::string_view utf8)>& sink)
{
    std::size_t index = 0;
    walk_parts(message.root(), [&](const MessagePart& part) {
        if (!is_text_leaf(part))
            return false;
        const std::size_t this_part = index++;
        return !stream_part_text(message, part,
                                 [&](std::string_view utf8) { return sink(this_part, utf8); });
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
    CasemapSearch search(matcher);
    return walk_parts(message.root(), [&](const MessagePart& part) {
        if (matcher.found_in(header_text(message, part)))
            return true;
        return is_text_leaf(part) && part_matches(message, part, search);
    });
}

} // namespace mailstore::mime
