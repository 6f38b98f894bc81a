#include "url/url_source.hpp"

#include "mailbox/mailbox_names.hpp"

#include <algorithm>
#include <cstring>

namespace imapproto::detail::url {

namespace ms = mailstore;
namespace st = mailstore::storage;
namespace mime = mailstore::mime;

UrlSource::~UrlSource() = default;

ms::Result<std::unique_ptr<UrlSource>> UrlSource::open(const st::User& user, const ImapUrl& url) {
    if (!url.is_message_part() || url.search)
        return ms::Status::invalid("Invalid IMAP URL: Message UID is missing");
    mime::SectionSpec spec;
    if (url.section) {
        auto parsed = mime::parse_section_spec(*url.section);
        if (!parsed)
            return ms::Status::invalid("Invalid IMAP URL: Invalid section");
        spec = std::move(*parsed);
    }
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto opened = st::Mailbox::open(user, *url.mailbox, options);
    if (!opened) {
        if (opened.status().code() == ms::Status::Code::not_found)
            return ms::Status::not_found("Mailbox doesn't exist: " + mailbox_display_name(*url.mailbox));
        return opened.status();
    }
    auto source = std::make_unique<UrlSource>();
    source->mailbox_ = std::make_unique<st::Mailbox>(std::move(opened.value()));
    st::Mailbox& mailbox = *source->mailbox_;
    if (url.uidvalidity && *url.uidvalidity != mailbox.view().uidvalidity())
        return ms::Status::not_found("Invalid UIDVALIDITY");
    auto message = mailbox.message_by_uid(*url.uid);
    if (!message)
        return ms::Status::not_found("Message not found");
    auto data = message->open();
    if (!data) {
        if (data.status().code() == ms::Status::Code::not_found)
            return ms::Status::not_found("Message not found");
        return data.status();
    }
    source->data_ = std::make_shared<st::MessageData>(std::move(data.value()));
    source->parsed_.emplace(mime::ParsedMessage::parse(source->data_->bytes()));
    auto content = mime::locate_section(*source->parsed_, spec);
    if (!content)
        return ms::Status::not_found("Body part not found");
    source->content_ = std::move(*content);
    std::uint64_t length = UINT64_MAX;
    if (url.partial) {
        source->origin_ = std::min<std::uint64_t>(url.partial->offset, source->content_.vsize);
        if (url.partial->length)
            length = *url.partial->length;
    }
    source->size_ = std::min(length, source->content_.vsize - source->origin_);
    return source;
}

std::uint64_t UrlSource::write(std::uint64_t position, std::uint64_t max, const mime::ByteSink& sink) {
    if (position >= size_)
        return 0;
    const std::uint64_t n = std::min(max, size_ - position);
    const std::uint64_t start = origin_ + position; // offset in the section's CRLF form
    if (content_.generated) {
        sink(std::string_view(content_.text).substr(start, n));
        return n;
    }
    const std::string_view raw = parsed_->raw().substr(content_.offset, content_.size);
    if (start < line_virtual_) {
        line_raw_ = 0;
        line_virtual_ = 0;
    }
    // Move the checkpoint to the last line start at or before `start`.
    while (line_raw_ < raw.size()) {
        const char* from = raw.data() + line_raw_;
        const auto* nl = static_cast<const char*>(std::memchr(from, '\n', raw.size() - line_raw_));
        if (nl == nullptr)
            break;
        const std::uint64_t raw_len = static_cast<std::uint64_t>(nl - from) + 1;
        const std::uint64_t virtual_len = raw_len + (nl > from && nl[-1] == '\r' ? 0 : 1);
        if (line_virtual_ + virtual_len > start)
            break;
        line_raw_ += raw_len;
        line_virtual_ += virtual_len;
    }
    mime::SectionContent rest = content_;
    rest.offset += line_raw_;
    rest.size -= line_raw_;
    rest.vsize -= line_virtual_;
    return mime::write_section_range(*parsed_, rest, start - line_virtual_, n, sink);
}

} // namespace imapproto::detail::url
