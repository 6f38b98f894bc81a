// libFuzzer target for the MIME parser (ParsedMessage::parse) and everything
// that reads its tree: body sections, BINARY decoding, SEARCH text and the
// IMAP ENVELOPE/BODY/BODYSTRUCTURE writer. The whole input is the message.
// When the first byte is 0xF0..0xFF its low bits pick small parse limits
// (depth 0..3, 1..4 parts) so the limit paths are reached with small inputs;
// the byte stays part of the message (a header line of junk).
//
// Checks, for every part: header and body lie inside the input, the body
// follows the header, children lie inside their parent's body in order,
// virtual (CRLF) sizes are the raw sizes plus the bare LFs, header_bytes()/
// body_bytes() are those slices; part_count() is the number of parts walked;
// the limits bound depth and part count; find_part() finds every part by its
// IMAP number; every section kind of every part lies inside the message
// and its bytes are CRLF-only and as long as its vsize; BINARY of a leaf
// with a known encoding succeeds; body text is valid UTF-8 and a BODY match is
// also a TEXT match; ENVELOPE, BODY and BODYSTRUCTURE are one well-formed
// IMAP list each.
#include "fuzz_check.hpp"
#include "imap_syntax.hpp"

#include <imapproto/fetch_writer.hpp>
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/envelope.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/search_text.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using mailstore::mime::MessagePart;
using mailstore::mime::ParsedMessage;
using Path = std::vector<std::uint32_t>;

// Sections and BINARY are checked for this many parts at most, so 10k-part
// inputs stay fast; the tree itself is always walked whole.
constexpr std::size_t kMaxPathsChecked = 64;

// Bytes after CRLF normalisation, counted independently of the library.
std::uint64_t crlf_octets(std::string_view s) {
    std::uint64_t n = s.size();
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            ++n;
    return n;
}

bool crlf_only(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            return false;
    return true;
}

struct Walker {
    const ParsedMessage& message;
    std::string_view raw;
    std::size_t parts = 0;
    unsigned max_level = 0;

    void part(const MessagePart& p, unsigned level) {
        ++parts;
        if (level > max_level)
            max_level = level;
        const std::uint64_t size = raw.size();
        FUZZ_CHECK(p.header_offset <= size);
        FUZZ_CHECK(p.header_size <= size - p.header_offset);
        FUZZ_CHECK(p.body_offset == p.header_offset + p.header_size);
        FUZZ_CHECK(p.body_size <= size - p.body_offset);
        std::string_view header = raw.substr(p.header_offset, p.header_size);
        std::string_view body = raw.substr(p.body_offset, p.body_size);
        FUZZ_CHECK(message.header_bytes(p) == header);
        FUZZ_CHECK(message.body_bytes(p) == body);
        // Views into the input, not copies.
        if (!header.empty())
            FUZZ_CHECK(message.header_bytes(p).data() == header.data());
        if (!body.empty())
            FUZZ_CHECK(message.body_bytes(p).data() == body.data());
        FUZZ_CHECK(p.header_vsize == crlf_octets(header));
        FUZZ_CHECK(p.body_vsize == crlf_octets(body));
        // A line ending takes at least one octet; a body cut before a
        // boundary line may count the line ending that was cut off.
        FUZZ_CHECK(p.header_lines <= p.header_size);
        FUZZ_CHECK(p.body_lines <= p.body_size + 1);
        // effective_type() may be empty: Dovecot reports ("" "" ...) for an
        // unusable Content-Type such as "text/" or ";x=y".
        // An opaque part is reported as whatever the parser made of it.
        if (p.content_type.valid() && !p.opaque) {
            FUZZ_CHECK(p.effective_type() == p.content_type.type);
            FUZZ_CHECK(p.effective_subtype() == p.content_type.subtype);
        }
        FUZZ_CHECK(!(p.is_multipart && p.is_message));
        if (p.opaque || (!p.is_multipart && !p.is_message))
            FUZZ_CHECK(p.children.empty());
        if (p.is_message) {
            FUZZ_CHECK(p.children.size() == 1);
            FUZZ_CHECK(p.children[0].header_offset == p.body_offset);
        }
        std::uint64_t pos = p.body_offset;
        const std::uint64_t end = p.body_offset + p.body_size;
        for (const auto& child : p.children) {
            FUZZ_CHECK(child.header_offset >= pos);
            FUZZ_CHECK(child.body_offset + child.body_size <= end);
            pos = child.body_offset + child.body_size;
            part(child, level + 1);
        }
    }
};

// Every part with its IMAP part number (RFC 3501 §6.4.5): a multipart's
// children are 1..n; a non-multipart body is part 1 of its message; the
// parts of a message/rfc822 part's encapsulated message are numbered below it.
struct Numbering {
    std::vector<std::pair<Path, const MessagePart*>> parts;

    void message(const MessagePart& m, const Path& prefix) {
        if (m.is_multipart) {
            children(m, prefix);
        } else {
            Path path = prefix;
            path.push_back(1);
            body_part(m, path);
        }
    }
    void children(const MessagePart& m, const Path& prefix) {
        for (std::size_t i = 0; i < m.children.size(); ++i) {
            Path path = prefix;
            path.push_back(static_cast<std::uint32_t>(i + 1));
            body_part(m.children[i], path);
        }
    }
    void body_part(const MessagePart& p, const Path& path) {
        parts.emplace_back(path, &p);
        if (p.is_multipart)
            children(p, path);
        else if (p.is_message && !p.children.empty())
            message(p.children[0], path);
    }
};

void check_section(const ParsedMessage& message, const mailstore::mime::SectionSpec& spec) {
    auto content = mailstore::mime::locate_section(message, spec);
    if (!content)
        return;
    if (content->generated) {
        FUZZ_CHECK(content->text.size() == content->vsize);
        FUZZ_CHECK(crlf_only(content->text));
    } else {
        FUZZ_CHECK(content->offset <= message.raw().size());
        FUZZ_CHECK(content->size <= message.raw().size() - content->offset);
        FUZZ_CHECK(content->vsize == crlf_octets(message.raw().substr(content->offset, content->size)));
    }
    std::string bytes = mailstore::mime::section_bytes(message, *content);
    FUZZ_CHECK(bytes.size() == content->vsize);
    FUZZ_CHECK(crlf_only(bytes));
}

void check_sections(const ParsedMessage& message, const Path& path, const MessagePart* part) {
    using Kind = mailstore::mime::SectionSpec::Kind;
    mailstore::mime::SectionSpec spec;
    spec.part = path;
    for (Kind kind : {Kind::full, Kind::header, Kind::text, Kind::mime}) {
        if (kind == Kind::mime && path.empty())
            continue;  // "MIME" needs a part number
        spec.kind = kind;
        check_section(message, spec);
    }
    spec.kind = Kind::header_fields;
    spec.fields = {"From", "Subject", "Content-Type"};
    check_section(message, spec);
    spec.kind = Kind::header_fields_not;
    spec.fields = {"Received", "To"};
    check_section(message, spec);

    // BODY[path] of a part is its body; BODY[] is the whole message.
    spec.kind = Kind::full;
    spec.fields.clear();
    auto full = mailstore::mime::locate_section(message, spec);
    FUZZ_CHECK(full.has_value());
    if (path.empty()) {
        FUZZ_CHECK(!full->generated && full->offset == 0 && full->size == message.raw().size());
        FUZZ_CHECK(full->vsize == message.virtual_size());
    } else {
        FUZZ_CHECK(!full->generated && full->offset == part->body_offset && full->size == part->body_size);
        FUZZ_CHECK(full->vsize == part->body_vsize);
        spec.kind = Kind::mime;
        auto mime = mailstore::mime::locate_section(message, spec);
        FUZZ_CHECK(mime.has_value());

        // BINARY fails only with [UNKNOWN-CTE] for an encoding it cannot
        // undo or "invalid-data" for damaged base64/QP (section.hpp); the
        // part exists, so never not_found.
        auto binary = mailstore::mime::decode_part_binary(message, path);
        if (!binary) {
            FUZZ_CHECK(binary.status().code() == mailstore::Status::Code::invalid_argument);
            const std::string& why = binary.status().message();
            FUZZ_CHECK(why == "unknown-cte" || why == "invalid-data");
            // Which parts fail is not checked against the Content-Transfer-
            // Encoding the tree reports: like Dovecot, BINARY reads the field
            // itself, so "base64 junk" (7bit in BODYSTRUCTURE) is [UNKNOWN-CTE]
            // and a field BODYSTRUCTURE ignores can still make BINARY decode.
        }
    }
}

std::string render_envelope(const ParsedMessage& message, const MessagePart& part) {
    std::string out;
    imapproto::write_envelope(out, mailstore::mime::build_envelope(message.header(part)));
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    mailstore::mime::ParseLimits limits;
    bool small_limits = size > 0 && data[0] >= 0xF0;
    if (small_limits) {
        limits.max_depth = data[0] & 3u;
        limits.max_parts = ((data[0] >> 2) & 3u) + 1;
    }
    ParsedMessage message = ParsedMessage::parse(raw, limits);
    FUZZ_CHECK(message.raw().data() == raw.data() && message.raw().size() == raw.size());

    const MessagePart& root = message.root();
    FUZZ_CHECK(root.header_offset == 0);
    FUZZ_CHECK(root.body_offset + root.body_size == raw.size());
    Walker walker{message, raw};
    walker.part(root, 0);
    FUZZ_CHECK(walker.parts == message.part_count());
    FUZZ_CHECK(message.virtual_size() == root.header_vsize + root.body_vsize);
    FUZZ_CHECK(message.virtual_size() == crlf_octets(raw));
    // A message/rfc822 level adds two tree levels (the part and its message).
    FUZZ_CHECK(walker.max_level <= 2 * limits.max_depth + 2);
    FUZZ_CHECK(message.part_count() <= static_cast<std::size_t>(limits.max_parts) + 2);

    Numbering numbering;
    numbering.message(root, {});
    std::size_t checked = 0;
    check_sections(message, {}, &root);
    FUZZ_CHECK(message.find_part(Path{}) == &root);
    for (const auto& [path, part] : numbering.parts) {
        FUZZ_CHECK(message.find_part(path) == part);
        if (checked++ < kMaxPathsChecked)
            check_sections(message, path, part);
    }
    // Numbers past the last part name nothing.
    Path beyond{static_cast<std::uint32_t>(root.children.size() + 2)};
    FUZZ_CHECK(message.find_part(beyond) == nullptr);

    std::string envelope = imapproto::envelope_text(message);
    FUZZ_CHECK(fuzz_imap::is_well_formed_list(envelope));
    FUZZ_CHECK(envelope == render_envelope(message, root));
    std::string bodystructure = imapproto::bodystructure_text(message);
    FUZZ_CHECK(fuzz_imap::is_well_formed_list(bodystructure));
    std::string body = imapproto::body_text(message);
    FUZZ_CHECK(fuzz_imap::is_well_formed_list(body));
    std::string written;
    imapproto::write_body_structure(written, message, root, true);
    FUZZ_CHECK(written == bodystructure);
    // Every encapsulated message's envelope is well-formed too (BODYSTRUCTURE
    // carries them).
    for (const auto& [path, part] : numbering.parts)
        if (part->is_message && !part->children.empty())
            FUZZ_CHECK(fuzz_imap::is_well_formed_list(render_envelope(message, part->children[0])));

    std::size_t texts = 0;
    mailstore::mime::for_each_body_text(message, [&](std::string_view utf8) {
        ++texts;
        FUZZ_CHECK(mailstore::mime::is_valid_utf8(utf8));
    });
    FUZZ_CHECK(texts <= message.part_count());
    for (std::string_view needle : {"needle", "STRASSE", "\xc3\xa9t\xc3\xa9"}) {
        bool in_body = mailstore::mime::body_contains(message, needle);
        bool in_subject = mailstore::mime::header_contains(message, "Subject", needle);
        bool in_text = mailstore::mime::text_contains(message, needle);
        if (in_body || in_subject)
            FUZZ_CHECK(in_text);
    }
    return 0;
}
