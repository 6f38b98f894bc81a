// IMAP body sections (RFC 3501 §6.4.5) and BINARY (RFC 3516) on a parsed
// message. Which part a number names and what HEADER/TEXT/MIME mean on
// each kind of part follows Dovecot 2.3 (see ParsedMessage::find_part).
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include "parser_fields.hpp"
#include "text_util.hpp"

#include <algorithm>
#include <cstring>

namespace mailstore::mime {

using detail::iequals;

namespace {

constexpr std::size_t kMaxPartDepth = 1000;  // parse bound for "1.2.3..."
constexpr std::size_t kMaxFieldNames = 10000;

bool starts_with_ci(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 3501 ASTRING-CHAR: ATOM-CHAR or resp-specials (']').
bool is_astring_char(char ch)
{
    auto c = static_cast<unsigned char>(ch);
    if (c <= 32 || c >= 127)
        return false;
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\':
        return false;
    default:
        return true;
    }
}

// " (" header-fld-name *(SP header-fld-name) ")" — names are astrings;
// atoms and quoted strings are accepted (a literal cannot appear in text
// that has already been split out of a command line).
bool parse_field_list(std::string_view s, std::vector<std::string>& out)
{
    std::size_t i = 0;
    if (i >= s.size() || s[i] != ' ')
        return false;
    ++i;
    if (i >= s.size() || s[i] != '(')
        return false;
    ++i;
    while (true) {
        if (i >= s.size())
            return false;
        std::string name;
        if (s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                char c = s[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i >= s.size() || (s[i] != '"' && s[i] != '\\'))
                        return false;
                    c = s[i++];
                } else if (c == '\r' || c == '\n' || c == '\0') {
                    return false;
                }
                name.push_back(c);
            }
            if (!closed)
                return false;
        } else {
            std::size_t b = i;
            while (i < s.size() && is_astring_char(s[i]) && s[i] != ']')
                ++i;
            if (i == b)
                return false;
            name.assign(s.substr(b, i - b));
        }
        if (out.size() >= kMaxFieldNames)
            return false;
        out.push_back(std::move(name));
        if (i >= s.size())
            return false;
        if (s[i] == ')') {
            ++i;
            break;
        }
        if (s[i] != ' ')
            return false;
        ++i;
    }
    return i == s.size();
}

// Appends `raw` to `out` as a BODY literal sends it: bare LFs turned into
// CRLF, NUL as 0x80.
void append_imap(std::string& out, std::string_view raw)
{
    CrlfNormalizer n(true);
    n.feed(raw, out);
    n.finish(out);
}

bool ends_with_empty_line(std::string_view h)
{
    if (h.empty() || h.back() != '\n')
        return false;
    h.remove_suffix(1);
    if (!h.empty() && h.back() == '\r')
        h.remove_suffix(1);
    return h.empty() || h.back() == '\n';
}

SectionContent slice(std::uint64_t offset, std::uint64_t size, std::uint64_t vsize)
{
    SectionContent c;
    c.offset = offset;
    c.size = size;
    c.vsize = vsize;
    return c;
}

// HEADER.FIELDS / HEADER.FIELDS.NOT of the header at `offset` (`size`
// octets) in `raw`. Dovecot reads these fields again from the message
// itself, up to the first empty line or the end of the message — past the
// header's end when a boundary cut it short (the lines up to the next empty
// line then count as fields too), which is copied here for equal bytes.
// HEADER.FIELDS: the matching fields in message order, each ending in CRLF,
// then an empty line unless the header was cut short and no empty line
// followed. HEADER.FIELDS.NOT: the other fields as they are (a last line
// without line ending stays so), then the empty line if there was one.
SectionContent header_fields(std::string_view raw, std::uint64_t offset, std::uint64_t size,
                             const std::vector<std::string>& names, bool negate)
{
    std::string_view header = raw.substr(offset, size);
    const bool complete = ends_with_empty_line(header);
    std::string_view span = complete ? header : raw.substr(offset);
    const bool cut = !complete && offset + size < raw.size();
    SectionContent c;
    c.generated = true;
    detail::FieldReader reader(span);  // no vector: the span may be the rest of the message
    HeaderField f;
    while (reader.next(f)) {
        bool match = false;
        if (!f.name.empty()) {
            for (const std::string& n : names) {
                if (field_name_equals(f.name, n)) {
                    match = true;
                    break;
                }
            }
        }
        if (match == negate)
            continue;
        append_imap(c.text, f.raw);
        if (!negate && (f.raw.empty() || f.raw.back() != '\n'))
            c.text += "\r\n";
    }
    std::string_view rest = span.substr(reader.position());
    const bool empty_line = rest.substr(0, 1) == "\n" || rest.substr(0, 2) == "\r\n";
    if (negate ? empty_line : (empty_line || !cut))
        c.text += "\r\n";
    c.size = c.text.size();
    c.vsize = c.text.size();
    return c;
}

} // namespace

std::optional<SectionSpec> parse_section_spec(std::string_view text)
{
    SectionSpec spec;
    std::string_view s = text;
    // section-part: nz-number *("." nz-number)
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
        if (s[0] == '0')
            return std::nullopt;  // nz-number: no zero, no leading zero
        std::uint64_t v = 0;
        std::size_t i = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            if (v > UINT32_MAX)
                return std::nullopt;
            ++i;
        }
        if (spec.part.size() >= kMaxPartDepth)
            return std::nullopt;
        spec.part.push_back(static_cast<std::uint32_t>(v));
        s.remove_prefix(i);
        if (s.empty())
            return spec;
        if (s[0] != '.')
            return std::nullopt;
        s.remove_prefix(1);
        if (s.empty())
            return std::nullopt;  // "1." is not a section
    }
    if (s.empty())
        return spec;  // "" : the whole message
    if (iequals(s, "MIME")) {
        if (spec.part.empty())
            return std::nullopt;  // RFC 3501: MIME needs a part number
        spec.kind = SectionSpec::Kind::mime;
        return spec;
    }
    if (iequals(s, "HEADER")) {
        spec.kind = SectionSpec::Kind::header;
        return spec;
    }
    if (iequals(s, "TEXT")) {
        spec.kind = SectionSpec::Kind::text;
        return spec;
    }
    if (starts_with_ci(s, "HEADER.FIELDS.NOT")) {
        spec.kind = SectionSpec::Kind::header_fields_not;
        s.remove_prefix(17);
    } else if (starts_with_ci(s, "HEADER.FIELDS")) {
        spec.kind = SectionSpec::Kind::header_fields;
        s.remove_prefix(13);
    } else {
        return std::nullopt;
    }
    if (!parse_field_list(s, spec.fields))
        return std::nullopt;
    return spec;
}

std::optional<SectionContent> locate_section(const ParsedMessage& message, const SectionSpec& spec)
{
    const MessagePart* part = message.find_part(spec.part);
    if (part == nullptr)
        return std::nullopt;
    using Kind = SectionSpec::Kind;
    if (spec.kind == Kind::full) {
        if (spec.part.empty())
            return slice(0, message.raw().size(), message.virtual_size());
        return slice(part->body_offset, part->body_size, part->body_vsize);
    }
    if (spec.kind == Kind::mime)
        return slice(part->header_offset, part->header_size, part->header_vsize);
    // HEADER / TEXT / HEADER.FIELDS name a message: the whole one, or the
    // one a message/rfc822 part encapsulates. On other parts they are empty.
    const MessagePart* msg = part;
    if (!spec.part.empty()) {
        if (!part->is_message || part->children.empty())
            return std::nullopt;
        msg = &part->children[0];
    }
    switch (spec.kind) {
    case Kind::header:
        return slice(msg->header_offset, msg->header_size, msg->header_vsize);
    case Kind::text:
        return slice(msg->body_offset, msg->body_size, msg->body_vsize);
    case Kind::header_fields:
    case Kind::header_fields_not:
        return header_fields(message.raw(), msg->header_offset, msg->header_size, spec.fields,
                             spec.kind == Kind::header_fields_not);
    default:
        return std::nullopt;
    }
}

std::string section_bytes(const ParsedMessage& message, const SectionContent& content)
{
    if (content.generated)
        return content.text;
    std::string out;
    std::string_view raw = message.raw();
    if (content.offset >= raw.size())
        return out;
    out.reserve(static_cast<std::size_t>(content.vsize));
    append_imap(out, raw.substr(content.offset, content.size));
    return out;
}

namespace {

void crlf_feed(std::string_view in, std::string& out, bool& last_was_cr_)
{
    std::size_t pos = 0;
    while (pos < in.size()) {
        const void* p = std::memchr(in.data() + pos, '\n', in.size() - pos);
        if (p == nullptr) {
            out.append(in.substr(pos));
            last_was_cr_ = in.back() == '\r';
            return;
        }
        std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(p) - in.data());
        out.append(in.substr(pos, lf - pos));
        // The byte before the LF may have come in the previous chunk.
        bool cr_before = lf > 0 ? in[lf - 1] == '\r' : last_was_cr_;
        if (!cr_before)
            out.push_back('\r');
        out.push_back('\n');
        last_was_cr_ = false;
        pos = lf + 1;
    }
}

} // namespace

void CrlfNormalizer::feed(std::string_view in, std::string& out)
{
    std::size_t start = out.size();
    crlf_feed(in, out, last_was_cr_);
    if (nul_to_0x80_)
        for (std::size_t k = start; k < out.size(); ++k)
            if (out[k] == '\0')
                out[k] = '\x80';
}

// Nothing is held back between chunks (a CR is written when it arrives;
// only whether it was the last byte is remembered), so finish() writes
// nothing to `out`: it only resets the state for a new stream.
void CrlfNormalizer::finish(std::string& /*out*/) { last_was_cr_ = false; }

std::uint64_t crlf_size(std::string_view raw)
{
    std::uint64_t size = raw.size();
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const void* p = std::memchr(raw.data() + pos, '\n', raw.size() - pos);
        if (p == nullptr)
            break;
        std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(p) - raw.data());
        if (lf == 0 || raw[lf - 1] != '\r')
            ++size;
        pos = lf + 1;
    }
    return size;
}

namespace {

// Raw bytes are converted this many at a time; output goes to the sink in
// pieces of about this size, so streaming costs a few such buffers.
constexpr std::size_t kPiece = 64 * 1024;

// Where BinaryWriter's output goes: either collected whole (decode_part_
// binary), counted (binary_size), or passed on in pieces to a sink, with
// an optional window [skip, skip + limit) of the output kept (BINARY
// <origin.length>). Writers append to buf() and then call flush_if_full().
class BinaryOut {
public:
    BinaryOut(const ByteSink* sink, std::uint64_t skip, std::uint64_t limit)
        : sink_(sink), skip_(skip), limit_(limit) {}

    std::string& buf() { return buf_; }
    void put(std::string_view s)
    {
        buf_.append(s);
        flush_if_full();
    }
    void flush_if_full()
    {
        if (buf_.size() >= kPiece)
            flush();
    }
    // Nothing more is wanted: the window has been written.
    bool done() const { return written_ >= limit_; }
    std::uint64_t total() const { return total_ + buf_.size(); }
    std::uint64_t written() const { return written_; }

    void flush()
    {
        std::string_view piece = buf_;
        const std::uint64_t start = total_;
        total_ += piece.size();
        if (sink_ != nullptr) {
            // The part of [start, total_) inside the window.
            std::uint64_t from = skip_ > start ? skip_ - start : 0;
            if (from < piece.size() && written_ < limit_) {
                piece.remove_prefix(static_cast<std::size_t>(from));
                if (piece.size() > limit_ - written_)
                    piece = piece.substr(0, static_cast<std::size_t>(limit_ - written_));
                written_ += piece.size();
                (*sink_)(piece);
            }
        }
        buf_.clear();
    }

private:
    const ByteSink* sink_;
    std::uint64_t skip_;
    std::uint64_t limit_;
    std::uint64_t total_ = 0;
    std::uint64_t written_ = 0;
    std::string buf_;
};

// RFC 3516 conversion of a part to binary, the way Dovecot does it: a
// leaf's base64/quoted-printable body is decoded and its header gets
// "Content-Transfer-Encoding: binary" in place of the old field (at the
// end of the header); containers are copied around their converted
// children. Which encoding a part has is MessagePart::encoding, the rule
// SEARCH uses too (Dovecot's BINARY: decoded also where RFC 2045's
// MIME-Version rule makes BODYSTRUCTURE ignore the field). Everything is
// streamed: raw bytes go through CrlfNormalizer and then the decoder a
// piece at a time, into a BinaryOut.
class BinaryWriter {
public:
    BinaryWriter(const ParsedMessage& m, BinaryOut& out) : m_(m), raw_(m.raw()), out_(out) {}

    // The body of `p` converted; false (with status_) on failure.
    bool body(const MessagePart& p)
    {
        if (p.is_multipart || p.is_message) {
            std::uint64_t cursor = p.body_offset;
            const std::uint64_t end = p.body_offset + p.body_size;
            for (const MessagePart& c : p.children) {
                if (out_.done())
                    return true;
                if (c.header_offset > cursor)
                    copy_crlf(raw_.substr(cursor, c.header_offset - cursor));
                if (!whole(c))
                    return false;
                cursor = std::max(cursor, c.body_offset + c.body_size);
            }
            if (end > cursor)
                copy_crlf(raw_.substr(cursor, end - cursor));
            return true;
        }
        const TransferEncoding te = p.encoding;
        if (te == TransferEncoding::unknown) {
            status_ = Status::invalid("unknown-cte");
            return false;
        }
        const std::string_view body = m_.body_bytes(p);
        if (te != TransferEncoding::base64 && te != TransferEncoding::quoted_printable) {
            copy_crlf(body);
            return true;
        }
        // Dovecot decodes from the CRLF form: QP hard line breaks come out
        // as CRLF whatever the stored line ends were.
        CrlfNormalizer crlf;
        Base64Decoder b64;
        QuotedPrintableDecoder qp;
        bool errors = false;
        std::string piece;
        for (std::size_t pos = 0; pos < body.size() && !out_.done(); pos += kPiece) {
            piece.clear();
            crlf.feed(body.substr(pos, kPiece), piece);
            if (te == TransferEncoding::base64)
                b64.feed(piece, out_.buf());
            else
                qp.feed(piece, out_.buf());
            out_.flush_if_full();
        }
        if (out_.done())
            return true;  // a range is complete: what follows is not looked at
        if (te == TransferEncoding::base64) {
            b64.finish(out_.buf());
            errors = b64.had_errors();
        } else {
            qp.finish(out_.buf());
            errors = qp.had_errors();
        }
        out_.flush_if_full();
        // Damaged encodings are refused, as Dovecot does ([PARSE] "Invalid
        // data in MIME part"; for a truncated final base64 quantum it fails
        // the FETCH outright): a client asking for BINARY wants exact bytes.
        if (errors) {
            status_ = Status::invalid("invalid-data");
            return false;
        }
        return true;
    }

    // Whether any leaf in the subtree has an encoding that cannot be undone:
    // Dovecot answers [UNKNOWN-CTE] for that before looking at any damaged
    // body elsewhere. Iterative, so deep trees cost no stack.
    static bool has_unknown_encoding(const MessagePart& top)
    {
        std::vector<const MessagePart*> todo{&top};
        while (!todo.empty()) {
            const MessagePart* p = todo.back();
            todo.pop_back();
            if (p->is_multipart || p->is_message) {
                for (const MessagePart& c : p->children)
                    todo.push_back(&c);
            } else if (p->encoding == TransferEncoding::unknown) {
                return true;
            }
        }
        return false;
    }

    // Header and body of `p` converted.
    bool whole(const MessagePart& p)
    {
        std::string_view header = m_.header_bytes(p);
        TransferEncoding te = p.is_multipart || p.is_message ? TransferEncoding::seven_bit : p.encoding;
        // An empty body has nothing decoded: the header stays as it is.
        if (p.body_size == 0)
            te = TransferEncoding::seven_bit;
        if (te != TransferEncoding::base64 && te != TransferEncoding::quoted_printable) {
            copy_crlf(header);
            return body(p);
        }
        detail::FieldReader reader(header);
        HeaderField f;
        while (reader.next(f)) {
            if (field_name_equals(f.name, "Content-Transfer-Encoding"))
                continue;
            copy_crlf(f.raw);
            if (f.raw.empty() || f.raw.back() != '\n')
                out_.put("\r\n");
        }
        out_.put("Content-Transfer-Encoding: binary\r\n");
        if (ends_with_empty_line(header))
            out_.put("\r\n");
        return body(p);
    }

    Status status_;

private:
    // Copies raw bytes with bare LFs turned into CRLF, a piece at a time.
    void copy_crlf(std::string_view raw)
    {
        CrlfNormalizer crlf;
        for (std::size_t pos = 0; pos < raw.size() && !out_.done(); pos += kPiece) {
            crlf.feed(raw.substr(pos, kPiece), out_.buf());
            out_.flush_if_full();
        }
    }

    const ParsedMessage& m_;
    std::string_view raw_;
    BinaryOut& out_;
};

// Runs the BINARY conversion of `path` into `out`.
Status run_binary(const ParsedMessage& message, std::span<const std::uint32_t> path, BinaryOut& out)
{
    const MessagePart* part = message.find_part(path);
    if (part == nullptr)
        return Status::not_found("no such part");
    if ((path.empty() || part->is_multipart || part->is_message) &&
        BinaryWriter::has_unknown_encoding(*part))
        return Status::invalid("unknown-cte");
    BinaryWriter w(message, out);
    // BINARY[] is the whole message; BINARY[n] the body of part n.
    const bool ok = path.empty() ? w.whole(*part) : w.body(*part);
    if (!ok)
        return w.status_;
    out.flush();
    return Status::ok();
}

} // namespace

Result<std::string> decode_part_binary(const ParsedMessage& message, std::span<const std::uint32_t> path)
{
    std::string result;
    // The CRLF form bounds what decoding gives (base64 and QP shrink);
    // reserving it spares the copies of a doubling string. Only a hint.
    if (const MessagePart* part = message.find_part(path)) {
        const std::uint64_t bound = path.empty() ? message.virtual_size() : part->body_vsize;
        if (bound < (std::uint64_t{1} << 32))
            result.reserve(static_cast<std::size_t>(bound) + 4096);
    }
    const ByteSink collect = [&](std::string_view piece) { result.append(piece); };
    BinaryOut out(&collect, 0, UINT64_MAX);
    Status st = run_binary(message, path, out);
    if (!st.is_ok())
        return st;
    return result;
}

Result<std::uint64_t> binary_size(const ParsedMessage& message, std::span<const std::uint32_t> path)
{
    BinaryOut out(nullptr, 0, UINT64_MAX);
    Status st = run_binary(message, path, out);
    if (!st.is_ok())
        return st;
    return out.total();
}

Status write_part_binary(const ParsedMessage& message, std::span<const std::uint32_t> path,
                         const ByteSink& sink)
{
    BinaryOut out(&sink, 0, UINT64_MAX);
    return run_binary(message, path, out);
}

Result<std::uint64_t> write_part_binary_range(const ParsedMessage& message,
                                              std::span<const std::uint32_t> path, std::uint64_t origin,
                                              std::uint64_t length, const ByteSink& sink)
{
    BinaryOut out(&sink, origin, length);
    Status st = run_binary(message, path, out);
    if (!st.is_ok())
        return st;
    return out.written();
}

std::uint64_t write_section_range(const ParsedMessage& message, const SectionContent& content,
                                  std::uint64_t origin, std::uint64_t length, const ByteSink& sink)
{
    std::uint64_t written = 0;
    auto emit = [&](std::string_view piece) {
        if (piece.size() > length - written)
            piece = piece.substr(0, static_cast<std::size_t>(length - written));
        if (piece.empty())
            return;
        written += piece.size();
        sink(piece);
    };
    if (content.generated) {
        const std::string_view text = content.text;
        for (std::uint64_t pos = origin; pos < text.size() && written < length; pos += kPiece)
            emit(text.substr(static_cast<std::size_t>(pos), kPiece));
        return written;
    }
    const std::string_view raw = message.raw();
    if (content.offset >= raw.size())
        return 0;
    const std::string_view s = raw.substr(content.offset, content.size);
    // Find the raw position of virtual offset `origin`: whole lines are
    // skipped with memchr, each counting one octet more when its LF is
    // bare (sent as CRLF).
    std::size_t pos = 0;
    std::uint64_t v = 0;
    bool lf_first = false;  // origin is the LF of a CRLF made from a bare LF
    while (v < origin) {
        const std::size_t lf = detail::find_lf(s, pos);
        if (lf == std::string_view::npos) {
            if (v + (s.size() - pos) <= origin)
                return 0;  // origin at or past the end
            pos += static_cast<std::size_t>(origin - v);
            break;
        }
        const std::size_t seg = lf - pos;  // bytes before the LF (a CR included)
        const bool bare = lf == 0 || s[lf - 1] != '\r';
        const std::uint64_t line_v = seg + 1 + (bare ? 1 : 0);
        if (v + line_v <= origin) {
            v += line_v;
            pos = lf + 1;
            continue;
        }
        const std::uint64_t off = origin - v;
        if (off <= seg) {
            pos += static_cast<std::size_t>(off);  // at the LF itself: the CR state decides
        } else {
            lf_first = true;
            pos = lf + 1;
        }
        break;
    }
    if (lf_first)
        emit("\n");
    // The byte before `pos` tells whether an LF at `pos` needs a CR.
    bool last_was_cr = pos > 0 && s[pos - 1] == '\r';
    std::string out;
    while (pos < s.size() && written < length) {
        const std::string_view piece = s.substr(pos, kPiece);
        out.clear();
        crlf_feed(piece, out, last_was_cr);
        // BODY literals are CHAR8: NUL is sent as 0x80 (as section_bytes).
        for (char& c : out)
            if (c == '\0')
                c = '\x80';
        emit(out);
        pos += piece.size();
    }
    return written;
}

} // namespace mailstore::mime
