#include "fetch/fetch_message.hpp"

#include "session/rev2.hpp"
#include "session/utf8_accept.hpp"
#include "session/uidonly.hpp"

#include <imapproto/fetch_writer.hpp>
#include <imapproto/string_writer.hpp>

#include "storage/object_id.hpp"

#include <mailstore/mime/date.hpp>
#include <mailstore/mime/preview.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace imapproto::detail::fetch {

namespace mime = mailstore::mime;
namespace ms = mailstore::storage;
using Kind = mime::SectionSpec::Kind;

namespace {

// Converted output is produced in pieces of this size, and the session may
// flush between them. Each piece starts from a line start at or before its
// first octet (a checkpoint the stream keeps), so the work stays linear in
// the section's size.
constexpr std::uint64_t kSectionPiece = 1024 * 1024;
// BINARY restarts decoding from the part's start for every piece (the
// decoders keep no resumable state): pieces of at least 4 MB and at most
// eight of them, so decoding a part costs at most about nine passes.
constexpr std::uint64_t kBinaryPiece = 4 * 1024 * 1024;
constexpr std::uint64_t kBinaryPieces = 8;

// What Dovecot 2.3 answers for a message that is gone (RFC 2180 §4.1.2).
constexpr std::string_view kGoneEnvelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
constexpr std::string_view kGoneBody = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)";
constexpr std::string_view kGoneBodystructure = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

std::string_view cache_field(ItemKind kind) {
    switch (kind) {
    case ItemKind::envelope: return "imap.envelope";
    case ItemKind::body: return "imap.body";
    default: return "imap.bodystructure";
    }
}

// Bytes IMAP can send as they are stored: no bare LF (the size with CRLF
// line ends is the stored size) and no NUL (a literal is CHAR8).
bool sendable_as_stored(std::string_view raw, std::uint64_t vsize) {
    return raw.size() == vsize && std::memchr(raw.data(), '\0', raw.size()) == nullptr;
}

// RFC 3516 literal8 for BINARY data: as Dovecot 2.3 chooses it, whenever a
// part in the section was decoded from base64 or quoted-printable or holds
// NUL bytes (a plain literal cannot carry NUL).
bool needs_literal8(const mime::MessagePart& part) {
    if (part.has_nuls || part.header_has_nuls)
        return true;
    if (part.children.empty())
        return part.encoding == mime::TransferEncoding::base64 ||
               part.encoding == mime::TransferEncoding::quoted_printable;
    // Bounded: the parser limits nesting (ParseLimits::kMaxDepth).
    for (const mime::MessagePart& child : part.children)
        if (needs_literal8(child))
            return true;
    return false;
}

constexpr std::string_view kPreviewField = "imap.preview";

} // namespace

std::optional<std::string> message_preview(const ms::Message& message, const mime::ParsedMessage* parsed) {
    if (auto cached = message.cached(kPreviewField))
        return cached;
    std::string text;
    if (parsed != nullptr) {
        text = mime::message_preview(*parsed);
    } else {
        auto data = message.open();
        if (!data)
            return std::nullopt;
        text = mime::message_preview(mime::ParsedMessage::parse(data->bytes()));
    }
    message.cache(kPreviewField, text);
    return text;
}

std::string internaldate_text(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm local{};
    int zone_minutes = 0;
    if (localtime_r(&t, &local) != nullptr)
        zone_minutes = static_cast<int>(local.tm_gmtoff / 60);
    std::string text = mime::format_internaldate(mime::DateTime{unix_seconds, zone_minutes});
    // Dovecot writes the day with two digits ("09-Sep-2001"); RFC 3501's
    // date-day-fixed allows that as well as the leading space.
    if (!text.empty() && text[0] == ' ')
        text[0] = '0';
    return text;
}

// A literal whose bytes are still being written.
struct MessageFetch::Stream {
    enum class Source { section, binary } source = Source::section;
    const FetchItem* item = nullptr;
    mime::SectionContent content;       // section
    std::vector<std::uint32_t> part;    // binary
    std::uint64_t position = 0;         // next octet of the section / decoded part
    std::uint64_t left = 0;             // octets still to send
    std::uint64_t total = 0;            // octets of the literal
    // section: a line start at or before `position`, as a raw offset into
    // the slice and the IMAP (CRLF) offset it has.
    std::uint64_t line_raw = 0;
    std::uint64_t line_virtual = 0;

    // Moves the checkpoint over the whole lines before `position`: a line
    // of L raw octets ending in a bare LF is L + 1 octets in IMAP form.
    void advance_checkpoint(std::string_view raw) {
        while (line_raw < raw.size()) {
            const char* start = raw.data() + line_raw;
            const auto* nl = static_cast<const char*>(std::memchr(start, '\n', raw.size() - line_raw));
            if (nl == nullptr)
                return;
            std::uint64_t raw_len = static_cast<std::uint64_t>(nl - start) + 1;
            std::uint64_t virtual_len = raw_len + (nl > start && nl[-1] == '\r' ? 0 : 1);
            if (line_virtual + virtual_len > position)
                return;
            line_raw += raw_len;
            line_virtual += virtual_len;
        }
    }
};

MessageFetch::MessageFetch(ms::Mailbox& mailbox, const FetchRequest& request, ms::Seq seq, bool seen_added)
    : mailbox_(mailbox), request_(request), message_(mailbox.message(seq)), seen_added_(seen_added) {}

MessageFetch::~MessageFetch() = default;

std::size_t MessageFetch::item_count() const {
    return request_.items.size() + (seen_added_ && !request_.has_flags ? 1 : 0);
}

// The items of this message: the request's, with FLAGS after the index
// items when this command set \Seen and FLAGS was not asked for.
const FetchItem* MessageFetch::item_at(std::size_t i) const {
    static const FetchItem implicit_flags = [] {
        FetchItem f;
        f.kind = ItemKind::flags;
        f.name = "FLAGS";
        return f;
    }();
    if (!(seen_added_ && !request_.has_flags))
        return &request_.items[i];
    if (i < request_.flags_insert_at)
        return &request_.items[i];
    if (i == request_.flags_insert_at)
        return &implicit_flags;
    return &request_.items[i - 1];
}

bool MessageFetch::open_data(Context& ctx) {
    if (open_tried_)
        return data_ != nullptr;
    open_tried_ = true;
    auto opened = message_.open();
    if (!opened) {
        gone_ = true;
        if (opened.status().code() == mailstore::Status::Code::not_found) {
            outcome_.expunged = true;
        } else {
            outcome_.error = opened.status();
            ctx.log().errorf("FETCH: reading message UID {} of {} failed: {}", message_.uid(), mailbox_.name(),
                             opened.status().message());
        }
        return false;
    }
    data_ = std::make_shared<ms::MessageData>(std::move(opened).value());
    return true;
}

const mime::ParsedMessage* MessageFetch::parsed(Context& ctx) {
    if (!parsed_) {
        if (!open_data(ctx))
            return nullptr;
        mime::ParseLimits limits;
        limits.descend_message_global = descends_message_global(ctx);
        parsed_.emplace(mime::ParsedMessage::parse(data_->bytes(), limits));
    }
    return &*parsed_;
}

// Works out, before the first byte of the response, what can fail: the
// BINARY items' sizes. An item that fails is left out (the tagged reply
// says why); a message left with nothing to say gets its UID alone, as
// Dovecot answers it.
void MessageFetch::prepare(Context& ctx) {
    prepared_ = true;
    std::size_t n = item_count();
    binary_sizes_.assign(n, std::nullopt);
    std::size_t answered = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const FetchItem& item = *item_at(i);
        if (item.kind != ItemKind::binary && item.kind != ItemKind::binary_size) {
            ++answered;
            continue;
        }
        const mime::ParsedMessage* msg = parsed(ctx);
        if (msg == nullptr) {
            ++answered; // answered with NIL / 0
            continue;
        }
        auto size = mime::binary_size(*msg, item.section.part);
        if (!size && size.status().code() == mailstore::Status::Code::invalid_argument) {
            if (size.status().message() == "unknown-cte")
                outcome_.unknown_cte = true;
            else
                outcome_.invalid_data = true;
        } else {
            ++answered;
        }
        binary_sizes_[i] = std::move(size);
    }
    uid_only_ = answered == 0;
}

bool MessageFetch::write(Context& ctx) {
    if (!prepared_)
        prepare(ctx);
    if (uid_only_) {
        ctx.out().append("* " + fetch_response_head(uidonly(ctx), message_.seq(), message_.uid()) + "UID " +
                         std::to_string(message_.uid()) + ")\r\n");
        return true;
    }
    if (!started_) {
        started_ = true;
        // RFC 9586 §3.3: "* <uid> UIDFETCH (" in a UIDONLY session.
        line_ = "* " + fetch_response_head(uidonly(ctx), message_.seq(), message_.uid());
    }
    for (;;) {
        if (stream_) {
            if (!continue_stream(ctx))
                return false;
            ++next_;
        }
        if (next_ >= item_count())
            break;
        if (ctx.output_full())
            return false;
        const FetchItem& item = *item_at(next_);
        auto& size = binary_sizes_[next_];
        if (size && !*size && size->status().code() == mailstore::Status::Code::invalid_argument) {
            ++next_; // left out: the tagged reply reports it
            continue;
        }
        if (!first_item_)
            line_ += ' ';
        first_item_ = false;
        write_item(ctx, item, next_);
        if (!stream_)
            ++next_;
    }
    line_ += ")\r\n";
    ctx.out().append(line_);
    line_.clear();
    return true;
}

void MessageFetch::write_item(Context& ctx, const FetchItem& item, std::size_t index) {
    switch (item.kind) {
    case ItemKind::uid:
        line_ += "UID " + std::to_string(message_.uid());
        return;
    case ItemKind::flags: {
        ms::MailFlags flags = message_.flags();
        if (seen_added_)
            flags |= ms::flag_seen;
        line_ += "FLAGS (" + flags_text(flags, message_.keywords(), message_.recent() && shows_recent(ctx)) + ")";
        return;
    }
    case ItemKind::internaldate: {
        auto date = message_.internal_date();
        line_ += "INTERNALDATE \"" + internaldate_text(date ? *date : 0) + "\"";
        return;
    }
    case ItemKind::rfc822_size: {
        auto size = message_.virtual_size();
        std::uint64_t value = 0;
        if (size) {
            value = *size;
        } else if (const mime::ParsedMessage* msg = parsed(ctx)) {
            value = msg->virtual_size();
        }
        line_ += "RFC822.SIZE " + std::to_string(value);
        return;
    }
    case ItemKind::modseq:
        line_ += "MODSEQ (" + std::to_string(message_.modseq()) + ")";
        return;
    case ItemKind::savedate: {
        // RFC 8514 §3: NIL when the save date is unknown.
        auto date = message_.save_date();
        line_ += "SAVEDATE ";
        line_ += date ? "\"" + internaldate_text(*date) + "\"" : std::string("NIL");
        return;
    }
    case ItemKind::preview:
        write_preview(ctx, item);
        return;
    case ItemKind::emailid:
    case ItemKind::threadid:
        write_object_id(item);
        return;
    case ItemKind::envelope:
    case ItemKind::body:
    case ItemKind::bodystructure:
        write_cached_shape(ctx, item);
        return;
    case ItemKind::section:
        write_section(ctx, item);
        return;
    case ItemKind::binary:
    case ItemKind::binary_size:
        write_binary(ctx, item, index);
        return;
    }
}

// ENVELOPE, BODY, BODYSTRUCTURE: from the cache, else parsed and cached.
void MessageFetch::write_cached_shape(Context& ctx, const FetchItem& item) {
    line_ += item.name;
    line_ += ' ';
    std::string_view field = cache_field(item.kind);
    // Strings with 8-bit octets are encoded-words for a session without
    // UTF-8 (RFC 9755 on clients that did not enable it; session/utf8_accept.hpp).
    // The index caches the rev1 text; a session that descends into
    // message/global describes such a part itself (session/rev2.hpp).
    const bool own_shape = item.kind != ItemKind::envelope && descends_message_global(ctx);
    auto cached = message_.cached(field);
    if (cached && own_shape && shape_has_message_global(*cached))
        cached.reset();
    if (cached) {
        line_ += downgrade_shape_for_session(ctx, std::move(*cached));
        return;
    }
    const mime::ParsedMessage* msg = parsed(ctx);
    if (msg == nullptr) {
        line_ += item.kind == ItemKind::envelope ? kGoneEnvelope
                 : item.kind == ItemKind::body   ? kGoneBody
                                                 : kGoneBodystructure;
        return;
    }
    std::string text = item.kind == ItemKind::envelope ? envelope_text(*msg)
                       : item.kind == ItemKind::body   ? body_text(*msg)
                                                       : bodystructure_text(*msg);
    if (!own_shape || !shape_has_message_global(text))
        message_.cache(field, text);
    line_ += downgrade_shape_for_session(ctx, std::move(text));
}

// PREVIEW (RFC 8970 §3.2): the cached text, else computed (and cached);
// with LAZY (§4) a preview that is not cached yet is NIL, and FETCH
// computes it after the responses (see commands/fetch.cpp). A message that
// cannot be read is NIL too.
void MessageFetch::write_preview(Context& ctx, const FetchItem& item) {
    line_ += "PREVIEW ";
    std::optional<std::string> text = message_.cached(kPreviewField);
    if (!text && item.lazy) {
        outcome_.preview_deferred = true;
        line_ += "NIL";
        return;
    }
    if (!text) {
        const mime::ParsedMessage* msg = parsed(ctx);
        if (msg != nullptr)
            text = message_preview(message_, msg);
    }
    if (text)
        write_string(line_, *text);
    else
        line_ += "NIL";
}

// EMAILID / THREADID (RFC 8474 §5.3, §7): "EMAILID (<objectid>)",
// "THREADID (<objectid>)". Loft always knows a THREADID, so it answers
// THREADID NIL only for a message another session expunged meanwhile,
// whose header is gone. EMAILID has no NIL form: when the message's GUID
// is gone too, the item is left out and the command ends with OK
// [EXPUNGEISSUED] (RFC 2180 §4.1.2), as for other data of a vanished
// message.
void MessageFetch::write_object_id(const FetchItem& item) {
    const bool email = item.kind == ItemKind::emailid;
    auto id = email ? ms::message_email_id(message_) : ms::message_thread_id(message_);
    if (!id) {
        outcome_.expunged = true;
        if (email) {
            // Take back the separator write() put before this item.
            if (!line_.empty() && line_.back() == ' ')
                line_.pop_back();
            else
                first_item_ = true;
            return;
        }
    }
    line_ += email ? "EMAILID " : "THREADID ";
    if (id)
        line_ += "(" + *id + ")";
    else
        line_ += "NIL";
}

void MessageFetch::start_literal(Context& ctx, std::uint64_t size, bool literal8) {
    line_ += literal8 ? "~{" : "{";
    line_ += std::to_string(size);
    line_ += "}\r\n";
    ctx.out().append(line_);
    line_.clear();
}

void MessageFetch::count(const FetchItem& item, std::uint64_t bytes) {
    if (item.is_header_data()) {
        sent_header_ = true;
        header_bytes_ += bytes;
    } else {
        sent_body_ = true;
        body_bytes_ += bytes;
    }
}

void MessageFetch::write_section(Context& ctx, const FetchItem& item) {
    line_ += item.name;
    line_ += ' ';
    // BODY[] / RFC822 without conversion: the mapped file as it is, unparsed.
    if (item.section.part.empty() && item.section.kind == Kind::full && !parsed_) {
        auto vsize = message_.virtual_size();
        if (vsize && open_data(ctx) && sendable_as_stored(data_->bytes(), *vsize)) {
            std::string_view raw = data_->bytes();
            std::uint64_t start = std::min<std::uint64_t>(item.origin, raw.size());
            std::uint64_t n = std::min<std::uint64_t>(item.length, raw.size() - start);
            start_literal(ctx, n, false);
            if (n > 0)
                ctx.out().append_view(raw.substr(start, n), data_);
            count(item, n);
            return;
        }
    }
    const mime::ParsedMessage* msg = parsed(ctx);
    if (msg == nullptr) {
        line_ += "NIL";
        return;
    }
    auto content = mime::locate_section(*msg, item.section);
    if (!content) {
        // RFC 3501 §6.4.5: a section that does not exist is an empty string
        // (Dovecot sends it as a literal).
        start_literal(ctx, 0, false);
        return;
    }
    std::uint64_t start = std::min(item.origin, content->vsize);
    std::uint64_t n = std::min(item.length, content->vsize - start);
    start_literal(ctx, n, false);
    count(item, n);
    if (n == 0)
        return;
    if (content->generated) {
        ctx.out().append(std::string_view(content->text).substr(start, n));
        return;
    }
    std::string_view raw = msg->raw().substr(content->offset, content->size);
    if (sendable_as_stored(raw, content->vsize)) {
        ctx.out().append_view(raw.substr(start, n), data_);
        return;
    }
    stream_ = std::make_unique<Stream>();
    stream_->source = Stream::Source::section;
    stream_->item = &item;
    stream_->content = std::move(*content);
    stream_->position = start;
    stream_->left = n;
    stream_->total = n;
}

void MessageFetch::write_binary(Context& ctx, const FetchItem& item, std::size_t index) {
    line_ += item.name;
    line_ += ' ';
    const auto& size = binary_sizes_[index];
    if (!size) { // the message is gone
        line_ += item.kind == ItemKind::binary_size ? "0" : "NIL";
        return;
    }
    std::uint64_t total = *size ? **size : 0; // not_found: an empty string
    if (item.kind == ItemKind::binary_size) {
        line_ += std::to_string(total);
        return;
    }
    const mime::ParsedMessage* msg = parsed(ctx);
    const mime::MessagePart* part = msg->find_part(item.section.part);
    std::uint64_t start = std::min(item.origin, total);
    std::uint64_t n = std::min(item.length, total - start);
    start_literal(ctx, n, part != nullptr && needs_literal8(*part));
    count(item, n);
    if (n == 0)
        return;
    stream_ = std::make_unique<Stream>();
    stream_->source = Stream::Source::binary;
    stream_->item = &item;
    stream_->part = item.section.part;
    stream_->position = start;
    stream_->left = n;
    stream_->total = n;
}

// Writes pieces of the current literal until it is complete (true) or the
// output is full (false).
bool MessageFetch::continue_stream(Context& ctx) {
    Stream& s = *stream_;
    const mime::ParsedMessage& msg = *parsed_;
    Output& out = ctx.out();
    auto sink = [&out](std::string_view piece) { out.append(piece); };
    while (s.left > 0) {
        if (ctx.output_full())
            return false;
        std::uint64_t written = 0;
        if (s.source == Stream::Source::section) {
            std::uint64_t want = std::min(s.left, kSectionPiece);
            // The rest of the section from the checkpoint on: a slice that
            // starts at a line start converts exactly as the whole would.
            s.advance_checkpoint(msg.raw().substr(s.content.offset, s.content.size));
            mime::SectionContent rest = s.content;
            rest.offset += s.line_raw;
            rest.size -= s.line_raw;
            rest.vsize -= s.line_virtual;
            written = mime::write_section_range(msg, rest, s.position - s.line_virtual, want, sink);
        } else {
            std::uint64_t want = std::min(s.left, std::max(kBinaryPiece, s.total / kBinaryPieces + 1));
            auto r = mime::write_part_binary_range(msg, s.part, s.position, want, sink);
            written = r ? *r : 0;
            if (!r)
                ctx.log().errorf("FETCH: decoding {} of UID {} failed: {}", s.item->name, message_.uid(),
                                 r.status().message());
        }
        if (written == 0 || written > s.left) {
            // The data changed under us (cannot happen with a mapped,
            // immutable mail file): pad, so the literal keeps its promised
            // size and the client stays in sync.
            if (written < s.left)
                out.append(std::string(static_cast<std::size_t>(s.left - written), ' '));
            s.left = 0;
            break;
        }
        s.position += written;
        s.left -= written;
    }
    stream_.reset();
    return true;
}

} // namespace imapproto::detail::fetch
