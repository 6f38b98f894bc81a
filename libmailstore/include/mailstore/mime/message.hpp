// The MIME tree of a message (RFC 2045/2046/2049, RFC 6532 message/global):
// every part with the exact offsets and sizes of its header and body, its
// Content-* fields, and its children. Parsing reads the caller's bytes; it
// never copies the body, so the memory a ParsedMessage takes grows with the
// number of parts, not with the message size.
//
// Sizes come twice: raw (the bytes as stored, LF-only input stays LF-only)
// and "virtual" (every line ending counted as CRLF), which is what IMAP
// reports in RFC822.SIZE, BODYSTRUCTURE and literal lengths.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mailstore::mime {

struct MessagePart {
    // Where the part is, as offsets into the whole message.
    std::uint64_t header_offset = 0;  // first byte of the part's header
    std::uint64_t header_size = 0;    // raw header bytes incl. the empty line ending it, if any
    std::uint64_t body_offset = 0;    // first byte after the header
    std::uint64_t body_size = 0;      // raw body bytes (for a multipart child: up to, not incl., the
                                      // line ending before the next boundary line)
    // The same sizes with bare LFs counted as CRLF.
    std::uint64_t header_vsize = 0;
    std::uint64_t body_vsize = 0;
    std::uint64_t header_lines = 0;   // line endings in the header
    std::uint64_t body_lines = 0;     // line endings in the body (IMAP body-fld-lines)

    // Content-* fields, the first of each name, as IMAP BODYSTRUCTURE sends
    // them (Dovecot 2.3): Content-ID/-Description/-MD5/-Location unfolded
    // with leading whitespace removed (trailing whitespace kept), a NUL read
    // as U+FFFD; Content-Transfer-Encoding is the token only (empty when the
    // value is not a single token). Empty when absent. In a message's own
    // top-level header (the root, or inside message/rfc822) they are ignored
    // unless MIME-Version or Content-Type is present (RFC 2045 §4), as
    // Dovecot does.
    ContentType content_type;          // !valid() when absent or unusable
    std::string transfer_encoding;     // Content-Transfer-Encoding token, e.g. "base64"
    std::string content_id;
    std::string description;
    std::string md5;
    std::string location;
    std::vector<std::string> language;
    ContentDisposition disposition;
    bool has_content_type = false;     // a Content-Type field was present (even if unusable)
    bool has_disposition = false;
    // The field was present and counts (same RFC 2045 §4 rule as above):
    // IMAP sends its value, possibly "", instead of NIL.
    bool has_content_id = false;
    bool has_description = false;
    bool has_md5 = false;
    bool has_location = false;

    // How the body is encoded, for decoding (IMAP BINARY, SEARCH, Sieve).
    // One rule, Dovecot 2.3's BINARY: the LAST Content-Transfer-Encoding
    // field of the part's header counts, with or without MIME-Version;
    // absent is 7bit (RFC 2045 §6.1); a field with no mechanism in it
    // (empty, blanks or comments only) or with anything but a stray
    // parameter list after the mechanism ("base64 x", a quoted "base64") is
    // unknown (BINARY answers [UNKNOWN-CTE]); "base64; x=y" is base64.
    // This can differ from `transfer_encoding`, which is what
    // BODYSTRUCTURE shows (first field, MIME-Version rule).
    TransferEncoding encoding = TransferEncoding::seven_bit;

    // What the parser made of the part.
    bool is_multipart = false;         // children are the body parts
    bool is_message = false;           // message/rfc822 or message/global: children[0] is the
                                       // encapsulated message (its header starts at body_offset)
    bool opaque = false;               // looked like multipart/message but was not descended into
                                       // (depth or part-count limit reached): body kept as is;
                                       // effective type application/octet-stream (as Dovecot)
    bool in_digest = false;            // child of multipart/digest (default type message/rfc822)
    bool has_nuls = false;             // the body contains NUL bytes
    bool header_has_nuls = false;
    bool missing_final_boundary = false; // multipart whose closing boundary never came

    // Multipart: the body parts (may be empty when no boundary line was
    // found; Dovecot then reports one empty text/plain part). Message: one
    // encapsulated message (empty, sizes 0, when the body is empty).
    std::vector<MessagePart> children;

    // The type IMAP reports, as Dovecot 2.3 does: without a Content-Type
    // field RFC 2045/2046's default ("text"/"plain", or "message"/"rfc822"
    // inside a digest); an opaque part or a lone "multipart" type is
    // "application"/"octet-stream"; otherwise content_type as parsed, which
    // for an unusable field is "" / "" (a lone type: type / "").
    MAILSTORE_API std::string_view effective_type() const;
    MAILSTORE_API std::string_view effective_subtype() const;
};

struct ParseLimits {
    // Nesting beyond this many multipart/message levels is not descended into.
    // parse() uses at most kMaxDepth whatever is asked, so that code walking
    // the tree recursively (and MessagePart's destructor) stays bounded.
    unsigned max_depth = 100;
    // After this many parts in one message, further parts are not split out.
    // parse() uses at most kMaxParts.
    unsigned max_parts = 10000;
    static constexpr unsigned kMaxDepth = 1000;
    static constexpr unsigned kMaxParts = 1000000;
    // RFC 6532 §3.5 message/global is an encapsulated message too, but
    // Dovecot 2.3 (IMAP4rev1, RFC 3501 §7.4.2 names only MESSAGE/RFC822)
    // treats it as a leaf; BODYSTRUCTURE-compatible parsing keeps it a leaf.
    // Set to descend into it like message/rfc822 (search, Sieve).
    bool descend_message_global = false;
};

// A parsed message: a non-owning view of the bytes plus its part tree.
// The bytes passed to parse() must outlive the ParsedMessage. A moved-from
// ParsedMessage is a valid empty message (as parse("") gives).
class MAILSTORE_API ParsedMessage {
public:
    // Never fails: anything is a message. Input without a header/body
    // separator is all header; junk is kept in whatever part it falls in.
    static ParsedMessage parse(std::string_view raw, const ParseLimits& limits = {});
    // A temporary std::string would dangle: refused at compile time.
    template <class S>
        requires std::is_same_v<S, std::string>
    static ParsedMessage parse(S&& temporary, const ParseLimits& limits = {}) = delete;

    ParsedMessage(ParsedMessage&&) noexcept;
    ParsedMessage& operator=(ParsedMessage&&) noexcept;
    ~ParsedMessage();

    std::string_view raw() const;
    const MessagePart& root() const;
    // Number of parts in the tree, the root included.
    std::size_t part_count() const;
    // RFC822.SIZE: the whole message with CRLF line endings.
    std::uint64_t virtual_size() const;

    // The part's bytes. A part that is not from this message (or has been
    // edited) gives its range clamped to raw(): empty when it lies outside.
    std::string_view header_bytes(const MessagePart& part) const;
    std::string_view body_bytes(const MessagePart& part) const;
    Header header(const MessagePart& part) const { return Header(header_bytes(part)); }

    // The part an IMAP part number names ("1.2.3" as {1, 2, 3}); an empty
    // path is the root. For a message/rfc822 part, its number names the
    // part itself and N.1... its encapsulated message's parts; a non-
    // multipart body is part 1 of its message. nullptr when there is none.
    const MessagePart* find_part(std::span<const std::uint32_t> path) const;

private:
    struct Impl;
    explicit ParsedMessage(std::unique_ptr<Impl> impl);
    const Impl& impl() const;  // the empty message's when moved from
    static const Impl& empty_impl();
    std::unique_ptr<Impl> impl_;
};

// Calls `visit` for every part of the tree once, depth first, a part before
// its children, with the IMAP part number (RFC 3501 §6.4.5) that BODY[n]
// and BINARY[n] take for its content: a non-multipart root (the message's,
// or one encapsulated in message/rfc822 part N) is part 1 of its message
// ({1}, N.1); the parts of a multipart are M, N.M; a message/rfc822 part
// has its own number. A multipart that is a message's root has no number
// of its own: it gets its message's ({} for the top, N for one in
// message/rfc822 part N). Iterative: any depth. `visit` returning false
// stops the walk.
MAILSTORE_API void for_each_part(
    const ParsedMessage& message,
    const std::function<bool(std::span<const std::uint32_t> number, const MessagePart& part)>& visit);

} // namespace mailstore::mime
