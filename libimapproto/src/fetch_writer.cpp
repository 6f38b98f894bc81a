// ENVELOPE, BODY and BODYSTRUCTURE text (RFC 3501 §7.4.2, formal syntax in
// §9: envelope, body, body-type-1part, body-type-mpart, body-ext-*), composed
// the way Dovecot 2.3 composes them so answers compare byte for byte. Each
// Dovecot choice below was checked against Dovecot's own output.
#include <imapproto/fetch_writer.hpp>
#include <imapproto/string_writer.hpp>

#include <charconv>
#include <cstdint>
#include <string_view>

namespace imapproto {
namespace {

using mailstore::mime::Envelope;
using mailstore::mime::EnvelopeAddress;
using mailstore::mime::MessagePart;
using mailstore::mime::Parameter;
using mailstore::mime::ParsedMessage;

// The parser stops descending at depth 100; a hand-built tree could be
// deeper. Past this many levels a part is written as an opaque leaf so the
// recursion stays bounded whatever the tree.
constexpr unsigned kMaxWriteDepth = 250;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

void append_number(std::string& out, std::uint64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;  // 20 digits always fit
    out.append(buf, end);
}

// ---------------------------------------------------------------- ENVELOPE

// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")".
// The display name is text for people (cleaned as Dovecot does); the other
// three are sent as they are.
void write_address(std::string& out, const EnvelopeAddress& a) {
    out += '(';
    if (a.name) write_display_string(out, *a.name);
    else out += "NIL";
    out += ' ';
    write_nstring(out, a.adl);
    out += ' ';
    write_nstring(out, a.mailbox);
    out += ' ';
    write_nstring(out, a.host);
    out += ')';
}

// "(" 1*address ")" / nil; the addresses follow each other with no space
// between them (RFC 3501 §9 env-from etc.).
void write_address_list(std::string& out, const std::vector<EnvelopeAddress>& list) {
    if (list.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (const auto& a : list) write_address(out, a);
    out += ')';
}

void write_header_nstring(std::string& out, const std::optional<std::string>& s) {
    if (s) write_header_string(out, *s);
    else out += "NIL";
}

// --------------------------------------------------------- BODYSTRUCTURE

// The four Content-* fields sent as nstrings: NIL only when the field is
// absent or does not count (RFC 2045 §4: a message's top-level Content-*
// fields need MIME-Version or Content-Type), "" when it is there but empty.
// The parser decides; the header is not read again here.
struct FieldPresence {
    bool id = false, description = false, md5 = false, location = false;
};

FieldPresence field_presence(const MessagePart& part) {
    // A value implies the field (for trees built by hand, not by the parser).
    return FieldPresence{part.has_content_id || !part.content_id.empty(),
                         part.has_description || !part.description.empty(),
                         part.has_md5 || !part.md5.empty(),
                         part.has_location || !part.location.empty()};
}

void write_field(std::string& out, bool present, const std::string& value) {
    if (present) write_header_string(out, value);
    else out += "NIL";
}

// Dovecot reports the first 128 parameters of a Content-Type or
// Content-Disposition and drops the rest.
constexpr std::size_t kMaxParams = 128;

// body-fld-param: "(" string SP string *(SP string SP string) ")" / nil.
// Dovecot adds charset=us-ascii to a text part that names no charset
// (RFC 2045 §5.2's default) among them, after the parameters it has.
void write_params(std::string& out, const std::vector<Parameter>& params, bool default_charset) {
    if (params.empty() && !default_charset) {
        out += "NIL";
        return;
    }
    out += '(';
    bool first = true;
    bool has_charset = false;
    std::size_t count = 0;
    for (const auto& p : params) {
        if (++count > kMaxParams) break;
        if (!first) out += ' ';
        first = false;
        write_string(out, p.name);
        out += ' ';
        write_string(out, p.value);
        has_charset = has_charset || iequals(p.name, "charset");
    }
    if (default_charset && !has_charset) {
        if (!first) out += ' ';
        out += "\"charset\" \"us-ascii\"";
    }
    out += ')';
}

// body-fld-dsp: "(" string SP body-fld-param ")" / nil.
void write_disposition(std::string& out, const MessagePart& part) {
    if (!part.has_disposition) {
        out += "NIL";
        return;
    }
    out += '(';
    write_string(out, part.disposition.type);
    out += ' ';
    write_params(out, part.disposition.params, false);
    out += ')';
}

// body-fld-lang: nstring / "(" string *(SP string) ")". Dovecot always sends
// the list form, even for one tag.
void write_language(std::string& out, const MessagePart& part) {
    if (part.language.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (std::size_t i = 0; i < part.language.size(); ++i) {
        if (i > 0) out += ' ';
        write_string(out, part.language[i]);
    }
    out += ')';
}

// The type a part is reported with. Without a Content-Type field: RFC 2045
// §5.2's text/plain, or message/rfc822 inside multipart/digest (RFC 2046
// §5.1.5). With one, what the parser read, even when that is incomplete
// ("garbage" gives "garbage" ""; an unusable value gives "" "").
struct ReportedType {
    std::string_view type;
    std::string_view subtype;
};

ReportedType reported_type(const MessagePart& part) {
    if (!part.has_content_type) {
        if (part.in_digest) return {"message", "rfc822"};
        return {"text", "plain"};
    }
    return {part.content_type.type, part.content_type.subtype};
}

bool is_rfc822(const ReportedType& t) {
    return iequals(t.type, "message") && iequals(t.subtype, "rfc822");
}

// message/global (RFC 6532 §3.7) is an encapsulated message like
// message/rfc822, but only IMAP4rev2's grammar says so (RFC 9051 §9
// media-message); the parser descends into it only when asked
// (ParseLimits::descend_message_global), which an IMAP4rev2 session does.
// Parsed without that it has no children and stays a basic leaf.
bool is_encapsulated_global(const ReportedType& t, const MessagePart& part) {
    return part.is_message && iequals(t.type, "message") && iequals(t.subtype, "global");
}

// Multipart needs a subtype; Dovecot treats "multipart" alone as a leaf.
bool is_multipart(const ReportedType& t) {
    return iequals(t.type, "multipart") && !t.subtype.empty();
}

void write_part(std::string& out, const ParsedMessage& message, const MessagePart& part,
                bool extended, unsigned depth);

// body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets.
void write_fields(std::string& out, const MessagePart& part, const FieldPresence& present) {
    write_field(out, present.id, part.content_id);
    out += ' ';
    write_field(out, present.description, part.description);
    out += ' ';
    // Absent or unreadable: RFC 2045 §6.1's default. Otherwise as written.
    if (part.transfer_encoding.empty()) out += "\"7bit\"";
    else write_string(out, part.transfer_encoding);
    out += ' ';
    append_number(out, part.body_vsize);  // octets as sent: CRLF line endings
}

// body-ext-1part: body-fld-md5 SP body-fld-dsp SP body-fld-lang SP
// body-fld-loc. Dovecot always sends all four.
void write_extension_1part(std::string& out, const MessagePart& part, const FieldPresence& present) {
    out += ' ';
    write_field(out, present.md5, part.md5);
    out += ' ';
    write_disposition(out, part);
    out += ' ';
    write_language(out, part);
    out += ' ';
    write_field(out, present.location, part.location);
}

// What Dovecot writes where a multipart has no parts at all (RFC 3501
// requires at least one): an empty text/plain part.
void write_empty_text_part(std::string& out, bool extended) {
    out += "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";
    if (extended) out += " NIL NIL NIL NIL";
    out += ')';
}

// body-type-mpart: 1*body SP media-subtype [SP body-ext-mpart], where
// body-ext-mpart = body-fld-param SP body-fld-dsp SP body-fld-lang SP
// body-fld-loc. Children follow each other with no space between them.
void write_multipart(std::string& out, const ParsedMessage& message, const MessagePart& part,
                     const ReportedType& type, bool extended, unsigned depth) {
    out += '(';
    if (part.children.empty()) write_empty_text_part(out, extended);
    for (const auto& child : part.children) write_part(out, message, child, extended, depth + 1);
    out += ' ';
    write_string(out, type.subtype);
    if (extended) {
        out += ' ';
        write_params(out, part.content_type.params, false);
        out += ' ';
        write_disposition(out, part);
        out += ' ';
        write_language(out, part);
        out += ' ';
        write_field(out, field_presence(part).location, part.location);
    }
    out += ')';
}

// body-type-msg: "message" "rfc822" (always in lower case, as Dovecot sends
// it), or "message" "global" (RFC 9051 §9), SP body-fields SP envelope SP
// body SP body-fld-lines.
void write_message(std::string& out, const ParsedMessage& message, const MessagePart& part,
                   bool global, bool extended, unsigned depth) {
    FieldPresence present = field_presence(part);
    out += global ? "(\"message\" \"global\" " : "(\"message\" \"rfc822\" ";
    write_params(out, part.content_type.params, false);
    out += ' ';
    write_fields(out, part, present);
    out += ' ';
    if (!part.children.empty()) {
        const MessagePart& inner = part.children.front();
        write_envelope(out, mailstore::mime::build_envelope(message.header(inner)));
        out += ' ';
        write_part(out, message, inner, extended, depth + 1);
    } else {
        // No encapsulated message was split out: it is empty, which is
        // what Dovecot shows for an empty message/rfc822 body.
        write_envelope(out, Envelope{});
        out += ' ';
        write_empty_text_part(out, extended);
    }
    out += ' ';
    append_number(out, part.body_lines);
    if (extended) write_extension_1part(out, part, present);
    out += ')';
}

// body-type-basic / body-type-text.
void write_leaf(std::string& out, const MessagePart& part,
                ReportedType type, bool extended) {
    // A type that promises children (multipart, message/rfc822) written as
    // a leaf — opaque past the nesting limit, or "multipart" without a
    // subtype — is reported as application/octet-stream, as Dovecot does,
    // so clients do not look for parts that are not there.
    if (is_rfc822(type) || iequals(type.type, "multipart")) type = {"application", "octet-stream"};
    bool text = iequals(type.type, "text");
    FieldPresence present = field_presence(part);
    out += '(';
    write_string(out, type.type);
    out += ' ';
    write_string(out, type.subtype);
    out += ' ';
    write_params(out, part.content_type.params, text);
    out += ' ';
    write_fields(out, part, present);
    if (text) {
        out += ' ';
        append_number(out, part.body_lines);
    }
    if (extended) write_extension_1part(out, part, present);
    out += ')';
}

void write_part(std::string& out, const ParsedMessage& message, const MessagePart& part,
                bool extended, unsigned depth) {
    ReportedType type = reported_type(part);
    bool descend = !part.opaque && depth < kMaxWriteDepth;
    if (descend && is_multipart(type)) write_multipart(out, message, part, type, extended, depth);
    else if (descend && is_rfc822(type)) write_message(out, message, part, false, extended, depth);
    else if (descend && is_encapsulated_global(type, part))
        write_message(out, message, part, true, extended, depth);
    else write_leaf(out, part, type, extended);
}

} // namespace

void write_envelope(std::string& out, const Envelope& envelope) {
    out += '(';
    write_header_nstring(out, envelope.date);
    out += ' ';
    if (envelope.subject) write_display_string(out, *envelope.subject);
    else out += "NIL";
    for (const auto* list : {&envelope.from, &envelope.sender, &envelope.reply_to, &envelope.to,
                             &envelope.cc, &envelope.bcc}) {
        out += ' ';
        write_address_list(out, *list);
    }
    out += ' ';
    write_header_nstring(out, envelope.in_reply_to);
    out += ' ';
    write_header_nstring(out, envelope.message_id);
    out += ')';
}

void write_body_structure(std::string& out, const ParsedMessage& message, const MessagePart& part,
                          bool extended) {
    write_part(out, message, part, extended, 0);
}

std::string envelope_text(const ParsedMessage& message) {
    std::string out;
    write_envelope(out, mailstore::mime::build_envelope(message.header(message.root())));
    return out;
}

std::string bodystructure_text(const ParsedMessage& message) {
    std::string out;
    write_body_structure(out, message, message.root(), true);
    return out;
}

std::string body_text(const ParsedMessage& message) {
    std::string out;
    write_body_structure(out, message, message.root(), false);
    return out;
}

} // namespace imapproto
