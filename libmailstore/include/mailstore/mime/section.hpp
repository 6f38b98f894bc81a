// IMAP body sections (RFC 3501 §6.4.5, RFC 3516 BINARY) on a ParsedMessage:
// which bytes BODY[1.2.HEADER.FIELDS (From)] and friends name, with CRLF
// line endings, without loading the message twice.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <functional>
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
// Whole; for large bodies and <origin.length> use write_section_range().
// Generated text (HEADER.FIELDS) already has both applied.
MAILSTORE_API std::string section_bytes(const ParsedMessage& message, const SectionContent& content);

// Receives streamed output, a piece at a time (at most about 128 KiB each),
// in order.
using ByteSink = std::function<void(std::string_view piece)>;

// FETCH BODY[section]<origin.length> (RFC 3501 §6.4.5 partial): writes the
// octets [origin, origin + length) of what section_bytes(message, content)
// returns to `sink`, in pieces, without building the section. Offsets
// count the IMAP form (CRLF line endings, vsize in all); the raw slice is
// scanned line by line (memchr, no allocation) to the raw byte virtual
// offset `origin` falls on — which may be the LF of a CRLF that a bare LF
// becomes — and then converted a piece at a time from there. Returns the
// number of octets written: min(length, vsize - origin), 0 when origin is
// at or past the end (IMAP then sends an empty string). For the whole
// section pass origin 0 and length UINT64_MAX.
MAILSTORE_API std::uint64_t write_section_range(const ParsedMessage& message,
                                                const SectionContent& content, std::uint64_t origin,
                                                std::uint64_t length, const ByteSink& sink);

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
//
// A base64 body whose last quantum is incomplete ("aGk", "aGVsbG8gd29ybA")
// is damaged too (RFC 2045 §6.8: the input is whole 24-bit groups) and
// fails with "invalid-data"; Dovecot 2.3 fails such a FETCH as well (it
// answers BYE "Internal error"). SEARCH still finds the bytes decoded.
//
// Everything below is streamed: the raw body goes through CrlfNormalizer
// and the decoder a piece at a time, so memory is the output (here) or a
// few 64 KiB buffers (the functions below), whatever the part's size.
MAILSTORE_API Result<std::string> decode_part_binary(const ParsedMessage& message,
                                                     std::span<const std::uint32_t> part);

// BINARY.SIZE[part] (RFC 3516 §4.2): the size of decode_part_binary's
// result, counted while decoding without keeping the output. Fails exactly
// when decode_part_binary does, so it also tells whether BINARY will work
// before a literal's size must be sent.
MAILSTORE_API Result<std::uint64_t> binary_size(const ParsedMessage& message,
                                                std::span<const std::uint32_t> part);

// BINARY[part] streamed to `sink`: the bytes of decode_part_binary in
// pieces. Damage is found while decoding, so on failure the sink may have
// had a prefix of the output already: call binary_size() first (IMAP needs
// the size for the literal anyway).
MAILSTORE_API Status write_part_binary(const ParsedMessage& message,
                                       std::span<const std::uint32_t> part, const ByteSink& sink);

// BINARY[part]<origin.length>: the octets [origin, origin + length) of
// decode_part_binary's result, streamed. Decoding stops once the range is
// written, so damage after it is not seen (binary_size() sees it). Returns
// the number of octets written (0 when origin is past the end).
MAILSTORE_API Result<std::uint64_t> write_part_binary_range(const ParsedMessage& message,
                                                            std::span<const std::uint32_t> part,
                                                            std::uint64_t origin, std::uint64_t length,
                                                            const ByteSink& sink);

} // namespace mailstore::mime
