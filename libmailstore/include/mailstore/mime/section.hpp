// IMAP body sections (RFC 3501 §6.4.5, RFC 3516 BINARY) on a ParsedMessage:
// which bytes BODY[1.2.HEADER.FIELDS (From)] and friends name, with CRLF
// line endings, without loading the message twice.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::mime {

struct SectionSpec {
    enum class Kind { full, header, header_fields, header_fields_not, text, mime };
    std::vector<std::uint32_t> part;  // empty: the whole message
    Kind kind = Kind::full;
    std::vector<std::string> fields;  // for header_fields / header_fields_not
};

// Parses the text between the brackets of BODY[...] ("", "1.2", "TEXT",
// "1.HEADER.FIELDS (From To)", "2.MIME"; keywords case-insensitive).
// nullopt when it is not a valid section-spec (e.g. "1.MIME" with no part,
// "0", "HEADER.FIELDS ()" ).
MAILSTORE_API std::optional<SectionSpec> parse_section_spec(std::string_view text);

// What a section is made of. Either a slice of the raw message, or text the
// library generated (HEADER.FIELDS picks lines out). Either way `vsize` is
// the number of octets IMAP sends: the content with CRLF line endings.
struct SectionContent {
    bool generated = false;
    std::string text;           // when generated: already CRLF
    std::uint64_t offset = 0;   // when a slice: raw offset and size in the message
    std::uint64_t size = 0;
    std::uint64_t vsize = 0;
};

// Locates a section. nullopt when the part does not exist (IMAP then sends
// an empty string, RFC 3501 §6.4.5) or the spec does not apply to it.
MAILSTORE_API std::optional<SectionContent> locate_section(const ParsedMessage& message,
                                                           const SectionSpec& spec);

// The section's bytes as IMAP sends them: CRLF line endings, and each NUL
// as 0x80 (a literal is CHAR8, RFC 3501 §9; Dovecot sends 0x80 too).
// Whole; for large bodies stream the slice through
// CrlfNormalizer(/*nul_to_0x80=*/true) instead. Generated text (HEADER.FIELDS)
// already has both applied.
MAILSTORE_API std::string section_bytes(const ParsedMessage& message, const SectionContent& content);

// Converts bare LF to CRLF across chunk boundaries; CR+LF stays, a lone CR
// stays as it is. Feed chunks in order, then finish(). With nul_to_0x80 a
// NUL byte comes out as 0x80 (for BODY literals; BINARY's literal8 keeps
// NULs). Octet counts do not change either way.
class MAILSTORE_API CrlfNormalizer {
public:
    CrlfNormalizer() = default;
    explicit CrlfNormalizer(bool nul_to_0x80) : nul_to_0x80_(nul_to_0x80) {}
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
private:
    bool last_was_cr_ = false;
    bool nul_to_0x80_ = false;
};

// Octets of `raw` after CRLF normalisation.
MAILSTORE_API std::uint64_t crlf_size(std::string_view raw);

// BINARY[part] (RFC 3516): the part body with its Content-Transfer-Encoding
// undone, CRLF line endings (as Dovecot: QP hard breaks become CRLF). An
// empty path is BINARY[]: the whole message. For a multipart or
// message/rfc822 part, every leaf inside is decoded and its header gets
// "Content-Transfer-Encoding: binary" (moved to the end of that header),
// as Dovecot sends it. Fails with Status::Code::invalid_argument and the
// message "unknown-cte" for an encoding it cannot undo (IMAP
// [UNKNOWN-CTE]), "invalid-data" for damaged base64/QP (Dovecot answers
// NO [PARSE] "Invalid data in MIME part"), and not_found when the part
// does not exist (IMAP then sends an empty string).
MAILSTORE_API Result<std::string> decode_part_binary(const ParsedMessage& message,
                                                     std::span<const std::uint32_t> part);

} // namespace mailstore::mime
