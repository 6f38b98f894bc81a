// The MIME tree (RFC 2045/2046): one pass over the message, an explicit
// stack of open parts instead of recursion, no copy of any body.
//
// Sizes and line counts follow Dovecot 2.3 exactly, because IMAP clients
// cache BODYSTRUCTURE and byte ranges by them:
//  - A boundary line is "--" + boundary at the start of a line, followed by
//    anything (RFC 2046 §5.1.1 wants only whitespace; Dovecot and real mail
//    accept junk). When several open boundaries match, the longest wins,
//    the innermost on a tie. "--" after the boundary closes the multipart;
//    its boundary is then no longer looked for (the epilogue is data).
//  - The line ending before a boundary line belongs to the boundary, unless
//    it is not inside the region being ended (the boundary line comes right
//    after the previous boundary line or the header).
//  - A boundary met while a part's header is still being read (no empty
//    line yet) ends that header one line ending early, but the enclosing
//    parts up to the multipart end at the boundary line itself — a Dovecot
//    quirk that shows in message/rfc822 sizes, copied for byte equality.
//  - A part nested max_depth deep (the root is depth 1) is not descended
//    into: a multipart or message/rfc822 there is opaque (reported as
//    application/octet-stream). Once max_parts parts exist no boundary is
//    recognised any more, so the last part runs to the end; a
//    message/rfc822 that would add a part beyond it is opaque.
//  - Content-* fields of a message's top-level header count only with a
//    MIME-Version or Content-Type field present (RFC 2045 §4).
#include <mailstore/mime/message.hpp>

#include "text_util.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace mailstore::mime {

using detail::iequals;

namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr std::size_t kMaxBoundary = 80;

// Running totals of what IMAP counts, advanced over the message once, so a
// part's counts are the difference of two snapshots however deep it sits.
struct Totals {
    std::uint64_t lfs = 0;       // line endings (IMAP line counts)
    std::uint64_t bare_lfs = 0;  // LFs without CR: one more octet each in CRLF form
    std::uint64_t nuls = 0;
};

class Counter {
public:
    explicit Counter(std::string_view raw) : raw_(raw) {}

    // Totals of raw[0, pos); positions must not go backwards.
    Totals at(std::uint64_t pos)
    {
        if (pos > pos_)
            advance(static_cast<std::size_t>(pos));
        return t_;
    }

private:
    void advance(std::size_t to)
    {
        const char* base = raw_.data();
        std::size_t i = pos_;
        while (i < to) {
            const void* p = std::memchr(base + i, '\n', to - i);
            if (p == nullptr)
                break;
            std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(p) - base);
            ++t_.lfs;
            if (lf == 0 || base[lf - 1] != '\r')
                ++t_.bare_lfs;
            i = lf + 1;
        }
        i = pos_;
        while (i < to) {
            const void* p = std::memchr(base + i, '\0', to - i);
            if (p == nullptr)
                break;
            ++t_.nuls;
            i = static_cast<std::size_t>(static_cast<const char*>(p) - base) + 1;
        }
        pos_ = to;
    }

    std::string_view raw_;
    std::size_t pos_ = 0;
    Totals t_;
};

enum class State { header, body };

struct Frame {
    MessagePart* part;
    unsigned depth;           // root = 1
    State state = State::header;
    std::uint64_t region_start = 0;  // start of the body region now being read
    Totals at_header;         // totals at header_offset
    Totals at_body;           // totals at body_offset
    bool message_root = false;  // top of a message (root or inside message/*)
    bool has_boundary = false;  // its boundary is open (multipart)
    bool boundary_param = false;  // it had a boundary parameter
    bool closed = false;        // its closing boundary was seen
    bool message_type = false;  // message/rfc822 (or a digest's default)
};

struct Boundary {
    std::string_view text;    // points into the part's content_type params
    std::size_t frame;        // index of the multipart's frame
};

// Length of the line ending just before `pos` inside [floor, pos).
std::uint64_t eol_before(std::string_view raw, std::uint64_t pos, std::uint64_t floor)
{
    if (pos <= floor || raw[pos - 1] != '\n')
        return 0;
    if (pos - 1 > floor && raw[pos - 2] == '\r')
        return 2;
    return 1;
}

// First occurrence of a header field per name, and the MIME-Version flag.
struct MimeFields {
    std::string_view content_type, transfer_encoding, id, description, md5, location, language,
        disposition;
    bool has_content_type = false, has_transfer_encoding = false, has_id = false, has_description = false,
         has_md5 = false, has_location = false, has_language = false, has_disposition = false;
    bool mime_version = false;
    // The last Content-Transfer-Encoding field (the one BINARY decodes by).
    std::string_view last_transfer_encoding;
};

void note_field(MimeFields& m, std::string_view name, std::string_view value)
{
    auto set = [&](std::string_view& slot, bool& has) {
        if (!has) {
            slot = value;
            has = true;
        }
    };
    if (name.size() == 12 && iequals(name, "MIME-Version")) {
        m.mime_version = true;
        return;
    }
    if (name.size() < 10 || !iequals(name.substr(0, 8), "Content-"))
        return;
    std::string_view rest = name.substr(8);
    if (iequals(rest, "Type"))
        set(m.content_type, m.has_content_type);
    else if (iequals(rest, "Transfer-Encoding")) {
        set(m.transfer_encoding, m.has_transfer_encoding);
        m.last_transfer_encoding = value;
    }
    else if (iequals(rest, "ID"))
        set(m.id, m.has_id);
    else if (iequals(rest, "Description"))
        set(m.description, m.has_description);
    else if (iequals(rest, "MD5"))
        set(m.md5, m.has_md5);
    else if (iequals(rest, "Location"))
        set(m.location, m.has_location);
    else if (iequals(rest, "Language"))
        set(m.language, m.has_language);
    else if (iequals(rest, "Disposition"))
        set(m.disposition, m.has_disposition);
}

// Walks the fields of a header block without allocating: only names that
// start with 'C' or 'M' are looked at, the rest is skipped line by line.
MimeFields scan_mime_fields(std::string_view h)
{
    MimeFields m;
    std::size_t pos = 0;
    const std::size_t n = h.size();
    while (pos < n) {
        std::size_t start = pos;
        std::size_t lf = detail::find_lf(h, pos);
        std::size_t next = lf == npos ? n : lf + 1;
        // Continuation lines belong to this field.
        while (next < n && detail::is_wsp(h[next])) {
            lf = detail::find_lf(h, next);
            next = lf == npos ? n : lf + 1;
        }
        pos = next;
        char c0 = h[start];
        if (c0 != 'C' && c0 != 'c' && c0 != 'M' && c0 != 'm')
            continue;
        std::string_view field = h.substr(start, next - start);
        std::size_t first_lf = field.find('\n');
        std::size_t colon = field.substr(0, first_lf).find(':');
        if (colon == npos)
            continue;
        std::string_view name = field.substr(0, colon);
        while (!name.empty() && detail::is_wsp(name.back()))
            name.remove_suffix(1);
        std::string_view value = field.substr(colon + 1);
        if (!value.empty() && value.back() == '\n') {
            value.remove_suffix(1);
            if (!value.empty() && value.back() == '\r')
                value.remove_suffix(1);
        }
        note_field(m, name, value);
    }
    return m;
}

// True when a Content-Transfer-Encoding value holds more than blanks and
// RFC 5322 comments (an unclosed comment runs to the end).
bool has_mechanism(std::string_view v)
{
    std::size_t i = 0;
    const std::size_t n = v.size();
    while (i < n) {
        char c = v[i];
        if (detail::is_lwsp(c)) {
            ++i;
            continue;
        }
        if (c != '(')
            return true;
        unsigned depth = 0;
        while (i < n) {
            char d = v[i++];
            if (d == '\\') {
                if (i < n)
                    ++i;
            } else if (d == '(') {
                ++depth;
            } else if (d == ')' && --depth == 0) {
                break;
            }
        }
    }
    return false;
}

// MessagePart::encoding from the part's last Content-Transfer-Encoding.
TransferEncoding body_encoding(const MimeFields& m)
{
    if (!m.has_transfer_encoding)
        return TransferEncoding::seven_bit;
    if (!has_mechanism(m.last_transfer_encoding))
        return TransferEncoding::unknown;
    return parse_transfer_encoding(m.last_transfer_encoding);
}

class Parser {
public:
    Parser(std::string_view raw, const ParseLimits& limits, MessagePart& root)
        : raw_(raw), n_(raw.size()), limits_(limits), counter_(raw)
    {
        // The hard maxima bound the recursion of code that walks the tree
        // (writers, decoders, MessagePart's destructor) whatever the caller
        // asks for.
        max_depth_ = std::clamp(limits.max_depth, 1u, ParseLimits::kMaxDepth);
        limits_.max_parts = std::min(limits.max_parts, ParseLimits::kMaxParts);
        Frame f;
        f.part = &root;
        f.depth = 1;
        f.message_root = true;
        f.at_header = counter_.at(0);
        stack_.push_back(f);
        parts_ = 1;
    }

    std::size_t run()
    {
        while (!stack_.empty()) {
            if (stack_.back().state == State::header)
                read_header();
            else
                read_body();
        }
        return parts_;
    }

private:
    bool detecting() const { return !boundaries_.empty() && parts_ < limits_.max_parts; }

    // The boundary whose line starts at q, or -1. Longest match wins; on a
    // tie the innermost (latest pushed) one.
    int match_boundary(std::uint64_t q)
    {
        if (q + 2 > n_ || raw_[q] != '-' || raw_[q + 1] != '-')
            return -1;
        std::string_view rest = raw_.substr(q + 2);
        // Fast rejection of "--" lines no open boundary can match (signature
        // separators, ASCII art) without comparing against each boundary.
        if (boundaries_version_ != first_bytes_version_)
            refresh_first_bytes();
        if (!any_empty_boundary_ &&
            (rest.empty() || !first_bytes_[static_cast<unsigned char>(rest[0])]))
            return -1;
        int best = -1;
        std::size_t best_len = 0;
        for (std::size_t i = boundaries_.size(); i-- > 0;) {
            std::string_view b = boundaries_[i].text;
            if (b.size() <= rest.size() && std::memcmp(rest.data(), b.data(), b.size()) == 0 &&
                (best < 0 || b.size() > best_len)) {
                best = static_cast<int>(i);
                best_len = b.size();
            }
        }
        return best;
    }

    void refresh_first_bytes()
    {
        first_bytes_.fill(false);
        any_empty_boundary_ = false;
        for (const Boundary& b : boundaries_) {
            if (b.text.empty())
                any_empty_boundary_ = true;
            else
                first_bytes_[static_cast<unsigned char>(b.text[0])] = true;
        }
        first_bytes_version_ = boundaries_version_;
    }

    // The next boundary line at or after the line start `from`.
    std::uint64_t find_boundary(std::uint64_t from, int& which)
    {
        which = match_boundary(from);
        if (which >= 0)
            return from;
        static constexpr char needle[] = "\n--";
        std::uint64_t pos = from;
        while (pos < n_) {
            const void* hit = memmem(raw_.data() + pos, n_ - pos, needle, 3);
            if (hit == nullptr)
                return npos;
            std::uint64_t q = static_cast<std::uint64_t>(static_cast<const char*>(hit) - raw_.data()) + 1;
            which = match_boundary(q);
            if (which >= 0)
                return q;
            pos = q;
        }
        return npos;
    }

    void read_header()
    {
        Frame& f = stack_.back();
        std::uint64_t q = f.part->header_offset;
        const bool detect = detecting();
        while (true) {
            if (q >= n_) {  // no empty line: the whole rest is header
                end_header(n_);
                return;
            }
            if (detect) {
                int b = match_boundary(q);
                if (b >= 0) {
                    boundary_in_header(q, b);
                    return;
                }
            }
            std::size_t lf = detail::find_lf(raw_, q);
            if (lf == npos) {
                end_header(n_);
                return;
            }
            bool empty = lf == q || (lf == q + 1 && raw_[q] == '\r');
            if (empty) {
                end_header(lf + 1);
                return;
            }
            q = lf + 1;
        }
    }

    // A boundary line at q while the deepest part is still in its header.
    void boundary_in_header(std::uint64_t q, int which)
    {
        std::size_t owner = boundaries_[static_cast<std::size_t>(which)].frame;
        Frame& f = stack_.back();
        if (q > f.part->header_offset) {
            // The header ends one line ending early; the part has no body.
            // The parts around it up to the multipart end at the boundary
            // line itself.
            std::uint64_t end = q - eol_before(raw_, q, f.part->header_offset);
            end_header(end, /*no_body=*/true);
            close_to(owner, q, end);
        } else if (stack_.size() >= 2 && stack_[stack_.size() - 2].part->is_message &&
                   stack_.size() - 2 > owner) {
            // An encapsulated message that is empty: the empty line that
            // ended the message/rfc822 part's header is the boundary's.
            stack_.pop_back();
            Frame& parent = stack_.back();
            std::uint64_t body = shrink_header(parent, q);
            MessagePart& child = parent.part->children.back();
            child.header_offset = body;
            child.body_offset = body;
            close_to(owner, q, body);
        } else {
            end_header(q, /*no_body=*/true);
            close_to(owner, q, q);
        }
        handle_boundary(q, which);
    }

    // Takes the line ending just before `q` (the empty line that ended the
    // header, with the body empty) out of the frame's header; returns the
    // new body offset.
    std::uint64_t shrink_header(Frame& f, std::uint64_t q)
    {
        MessagePart& p = *f.part;
        std::uint64_t eol = eol_before(raw_, q, p.header_offset);
        if (eol == 0 || p.body_offset != q)
            return p.body_offset;
        p.header_size -= eol;
        p.header_vsize -= 2;
        p.header_lines -= 1;
        p.body_offset -= eol;
        f.at_body.lfs -= 1;
        if (eol == 1)
            f.at_body.bare_lfs -= 1;
        return p.body_offset;
    }

    // Ends the header of the deepest part at `header_end`; classifies the
    // part from its Content-* fields and sets up its body at `body_start`.
    void end_header(std::uint64_t header_end, bool no_body = false)
    {
        Frame& f = stack_.back();
        MessagePart& p = *f.part;
        p.header_size = header_end - p.header_offset;
        p.body_offset = header_end;
        f.at_body = counter_.at(header_end);
        p.header_lines = f.at_body.lfs - f.at_header.lfs;
        p.header_vsize = p.header_size + (f.at_body.bare_lfs - f.at_header.bare_lfs);
        p.header_has_nuls = f.at_body.nuls != f.at_header.nuls;
        apply_fields(f);

        f.state = State::body;
        f.region_start = header_end;
        bool is_multipart = iequals(p.content_type.type, "multipart") && !p.content_type.subtype.empty();
        bool is_message = !is_multipart && f.message_type;
        if (is_multipart) {
            if (f.depth >= max_depth_) {
                p.opaque = true;
                return;
            }
            p.is_multipart = true;
            if (const std::string* b = find_parameter(p.content_type.params, "boundary")) {
                // Only the first 80 bytes count (Dovecot): with a longer
                // boundary the closing "--" is never seen where it looks.
                std::string_view text = *b;
                boundaries_.push_back(Boundary{text.substr(0, kMaxBoundary), stack_.size() - 1});
                ++boundaries_version_;
                f.has_boundary = true;
                f.boundary_param = true;
            }
            return;
        }
        if (is_message) {
            if (f.depth >= max_depth_ || parts_ >= limits_.max_parts) {
                p.opaque = true;
                return;
            }
            p.is_message = true;
            p.children.emplace_back();
            ++parts_;
            MessagePart& child = p.children.back();
            child.header_offset = header_end;
            child.body_offset = header_end;
            if (no_body)
                return;  // header ended at a boundary: an empty message (NIL envelope)
            Frame c;
            c.part = &child;
            c.depth = f.depth + 1;
            c.message_root = true;
            c.at_header = f.at_body;
            stack_.push_back(c);
        }
    }

    void apply_fields(Frame& f)
    {
        MessagePart& p = *f.part;
        MimeFields m = scan_mime_fields(raw_.substr(p.header_offset, p.header_size));
        bool digest_child = p.in_digest;
        bool mime = !f.message_root || m.mime_version || m.has_content_type;
        p.encoding = body_encoding(m);
        if (mime) {
            if (m.has_content_type) {
                p.has_content_type = true;
                p.content_type = parse_content_type(m.content_type);
            }
            if (m.has_transfer_encoding)
                p.transfer_encoding = parse_content_transfer_encoding(m.transfer_encoding);
            p.has_content_id = m.has_id;
            p.has_description = m.has_description;
            p.has_md5 = m.has_md5;
            p.has_location = m.has_location;
            if (m.has_id)
                p.content_id = detail::unfold_left_trim(m.id);
            if (m.has_description)
                p.description = detail::unfold_left_trim(m.description);
            if (m.has_md5)
                p.md5 = detail::unfold_left_trim(m.md5);
            if (m.has_location)
                p.location = detail::unfold_left_trim(m.location);
            if (m.has_language)
                p.language = parse_content_language(m.language);
            if (m.has_disposition) {
                p.has_disposition = true;
                p.disposition = parse_content_disposition(m.disposition);
            }
        }
        if (p.has_content_type) {
            const std::string& t = p.content_type.type;
            const std::string& s = p.content_type.subtype;
            f.message_type =
                iequals(t, "message") &&
                (iequals(s, "rfc822") || (limits_.descend_message_global && iequals(s, "global")));
        } else {
            // RFC 2046 §5.1.5: in a digest the default is message/rfc822.
            f.message_type = digest_child;
        }
    }

    void read_body()
    {
        Frame& f = stack_.back();
        if (!detecting()) {
            close_to(npos, n_, n_);
            return;
        }
        int which = -1;
        std::uint64_t q = find_boundary(f.region_start, which);
        if (q == npos) {
            close_to(npos, n_, n_);
            return;
        }
        std::size_t owner = boundaries_[static_cast<std::size_t>(which)].frame;
        if (owner == stack_.size() - 1) {
            handle_boundary(q, which);  // the multipart's own boundary
            return;
        }
        if (q > f.region_start) {
            std::uint64_t end = q - eol_before(raw_, q, f.region_start);
            close_to(owner, end, end);
        } else if (f.region_start == f.part->body_offset) {
            // The body is empty and the boundary follows the header's empty
            // line, which then counts as the boundary's line ending: the
            // header loses it, the enclosing parts keep it.
            std::uint64_t body = shrink_header(f, q);
            close_to(owner, q, body);
        } else {
            close_to(owner, q, q);  // right after the previous boundary line
        }
        handle_boundary(q, which);
    }

    // Ends every frame above `owner` (all when owner == npos): the deepest
    // at `deepest_end`, the others at `outer_end`.
    void close_to(std::size_t owner, std::uint64_t outer_end, std::uint64_t deepest_end)
    {
        bool first = true;
        while (!stack_.empty() && (owner == npos || stack_.size() - 1 > owner)) {
            finish(stack_.back(), first ? deepest_end : outer_end);
            first = false;
            if (stack_.back().has_boundary) {
                boundaries_.pop_back();
                ++boundaries_version_;
            }
            stack_.pop_back();
        }
    }

    void finish(Frame& f, std::uint64_t end)
    {
        MessagePart& p = *f.part;
        if (f.state == State::header) {
            // Cannot happen: headers always end before their part does.
            p.header_size = end - p.header_offset;
            p.body_offset = end;
            f.at_body = counter_.at(end);
        }
        if (end <= p.body_offset) {
            p.body_size = 0;
            p.body_lines = 0;
            p.body_vsize = 0;
            p.has_nuls = false;
        } else {
            p.body_size = end - p.body_offset;
            Totals t = counter_.at(end);
            p.body_lines = t.lfs - f.at_body.lfs;
            p.body_vsize = p.body_size + (t.bare_lfs - f.at_body.bare_lfs);
            p.has_nuls = t.nuls != f.at_body.nuls;
        }
        // No closing boundary seen (or none could be: no boundary parameter).
        if (p.is_multipart && (!f.boundary_param || !f.closed))
            p.missing_final_boundary = true;
    }

    // The boundary line at q belongs to the multipart of boundaries_[which],
    // whose frame is now the deepest.
    void handle_boundary(std::uint64_t q, int which)
    {
        Boundary b = boundaries_[static_cast<std::size_t>(which)];
        Frame& owner = stack_[b.frame];
        std::uint64_t after = q + 2 + b.text.size();
        bool closing = after + 2 <= n_ && raw_[after] == '-' && raw_[after + 1] == '-';
        std::size_t lf = detail::find_lf(raw_, after);
        std::uint64_t line_end = lf == npos ? n_ : lf + 1;
        if (closing) {
            owner.closed = true;
            owner.has_boundary = false;
            boundaries_.erase(boundaries_.begin() + which);
            ++boundaries_version_;
            owner.region_start = line_end;
            return;
        }
        owner.region_start = line_end;
        MessagePart& mp = *owner.part;
        bool digest = iequals(mp.content_type.subtype, "digest");
        mp.children.emplace_back();
        ++parts_;
        MessagePart& child = mp.children.back();
        child.header_offset = line_end;
        child.in_digest = digest;
        Frame c;
        c.part = &child;
        c.depth = owner.depth + 1;
        c.at_header = counter_.at(line_end);
        stack_.push_back(c);
    }

    std::string_view raw_;
    std::uint64_t n_;
    ParseLimits limits_;
    unsigned max_depth_;
    Counter counter_;
    std::vector<Frame> stack_;
    std::vector<Boundary> boundaries_;
    std::size_t parts_ = 0;
    // First bytes of the open boundaries, rebuilt when the set changed
    // (boundaries_version_ counts changes).
    std::array<bool, 256> first_bytes_{};
    bool any_empty_boundary_ = false;
    std::uint64_t boundaries_version_ = 0;
    std::uint64_t first_bytes_version_ = 0;
};

} // namespace

struct ParsedMessage::Impl {
    std::string_view raw;
    MessagePart root;
    std::size_t parts = 1;
};

std::string_view MessagePart::effective_type() const
{
    if (opaque)
        return "application";
    if (!has_content_type)
        return in_digest ? "message" : "text";
    if (iequals(content_type.type, "multipart") && content_type.subtype.empty())
        return "application";
    return content_type.type;
}

std::string_view MessagePart::effective_subtype() const
{
    if (opaque)
        return "octet-stream";
    if (!has_content_type)
        return in_digest ? "rfc822" : "plain";
    if (iequals(content_type.type, "multipart") && content_type.subtype.empty())
        return "octet-stream";
    return content_type.subtype;
}

namespace {

// [offset, offset + size) clamped to raw.
std::string_view clamped(std::string_view raw, std::uint64_t offset, std::uint64_t size)
{
    if (offset >= raw.size())
        return {};
    std::string_view rest = raw.substr(static_cast<std::size_t>(offset));
    return rest.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(size, rest.size())));
}

} // namespace

ParsedMessage ParsedMessage::parse(std::string_view raw, const ParseLimits& limits)
{
    auto impl = std::make_unique<Impl>();
    impl->raw = raw;
    Parser parser(raw, limits, impl->root);
    impl->parts = parser.run();
    return ParsedMessage(std::move(impl));
}

const ParsedMessage::Impl& ParsedMessage::empty_impl()
{
    static const ParsedMessage empty = parse(std::string_view());
    return *empty.impl_;
}

ParsedMessage::ParsedMessage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParsedMessage::ParsedMessage(ParsedMessage&&) noexcept = default;
ParsedMessage& ParsedMessage::operator=(ParsedMessage&&) noexcept = default;
ParsedMessage::~ParsedMessage() = default;

const ParsedMessage::Impl& ParsedMessage::impl() const { return impl_ ? *impl_ : empty_impl(); }

std::string_view ParsedMessage::raw() const { return impl().raw; }
const MessagePart& ParsedMessage::root() const { return impl().root; }
std::size_t ParsedMessage::part_count() const { return impl().parts; }

std::uint64_t ParsedMessage::virtual_size() const
{
    return impl().root.header_vsize + impl().root.body_vsize;
}

std::string_view ParsedMessage::header_bytes(const MessagePart& part) const
{
    return clamped(impl().raw, part.header_offset, part.header_size);
}

std::string_view ParsedMessage::body_bytes(const MessagePart& part) const
{
    return clamped(impl().raw, part.body_offset, part.body_size);
}

const MessagePart* ParsedMessage::find_part(std::span<const std::uint32_t> path) const
{
    // RFC 3501 §6.4.5 part numbers, resolved the way Dovecot does: in a
    // multipart N is the Nth child; a non-multipart is its own part 1 (only
    // 1, and only a message/rfc822 may be gone through); after a
    // message/rfc822 part, further numbers are in its encapsulated message.
    const MessagePart* part = &impl().root;
    for (std::size_t i = 0; i < path.size(); ++i) {
        std::uint32_t num = path[i];
        bool more = i + 1 < path.size();
        if (part->is_multipart) {
            if (num == 0 || num > part->children.size())
                return nullptr;
            part = &part->children[num - 1];
        } else {
            if (num != 1)
                return nullptr;
            if (more && !part->is_message)
                return nullptr;
        }
        if (more && part->is_message) {
            if (part->children.empty())
                return nullptr;
            part = &part->children[0];
        }
    }
    return part;
}

void for_each_part(
    const ParsedMessage& message,
    const std::function<bool(std::span<const std::uint32_t> number, const MessagePart& part)>& visit)
{
    struct Open {
        const MessagePart* part;
        std::size_t next;        // index of the next child to visit
        std::size_t number_len;  // length of the part's number
    };
    const MessagePart& root = message.root();
    std::vector<std::uint32_t> number;
    if (!root.is_multipart)
        number.push_back(1);
    if (!visit(number, root))
        return;
    std::vector<Open> stack;
    if (!root.children.empty())
        stack.push_back(Open{&root, 0, number.size()});
    while (!stack.empty()) {
        Open& top = stack.back();
        if (top.next >= top.part->children.size()) {
            stack.pop_back();
            continue;
        }
        const MessagePart& child = top.part->children[top.next++];
        number.resize(top.number_len);
        if (top.part->is_multipart)
            number.push_back(static_cast<std::uint32_t>(top.next));
        else if (!child.is_multipart)
            number.push_back(1);  // an encapsulated message's single body
        if (!visit(number, child))
            return;
        if (!child.children.empty())
            stack.push_back(Open{&child, 0, number.size()});
    }
}

} // namespace mailstore::mime
