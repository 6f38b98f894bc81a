// Message: accessors over the View's record, the driver's files and the
// index cache.
#include "storage/mailbox_impl.hpp"

#include <new>

namespace mailstore::storage {

namespace {

// Pending values are normally committed every few thousand
// (flush_pending_if_many); this bound holds while commits are refused.
constexpr std::size_t max_pending_cache_entries = 10000;
constexpr std::size_t max_pending_cache_bytes = 4 << 20;

const index::Record* record_of(Mailbox* mailbox, Seq seq, const KeptRecord** kept = nullptr) {
    return mailbox->impl().view_impl.at(seq, kept);
}

Status no_message(Mailbox* mailbox, Seq seq) {
    return Status::not_found("mailbox " + mailbox->name() + ": no message " + std::to_string(seq) + " in the view");
}

// Sizes of a message read from its file: as stored, and with every bare LF
// counted as CRLF (RFC822.SIZE).
std::pair<std::uint64_t, std::uint64_t> measure(std::string_view bytes) {
    std::uint64_t bare_lf = 0;
    for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1))
        if (i == 0 || bytes[i - 1] != '\r')
            ++bare_lf;
    return {bytes.size(), bytes.size() + bare_lf};
}

} // namespace

Seq Message::seq() const { return seq_; }

Uid Message::uid() const {
    const auto* r = record_of(mailbox_, seq_);
    return r ? r->uid : 0;
}

MailFlags Message::flags() const { return mailbox_->view().flags(seq_); }
std::vector<std::string> Message::keywords() const { return mailbox_->view().keywords(seq_); }
bool Message::recent() const { return mailbox_->view().recent(seq_); }
ModSeq Message::modseq() const { return mailbox_->view().modseq(seq_); }

bool Message::expunged() const {
    const KeptRecord* kept = nullptr;
    record_of(mailbox_, seq_, &kept);
    return kept != nullptr;
}

// Sizes unknown to the index are measured once and written at the next
// commit, or sooner once many are pending (Mailbox::Impl::flush_pending_if_many).
static Result<std::pair<std::uint64_t, std::uint64_t>> sizes_of(Mailbox* mailbox, Seq seq) {
    const auto* r = record_of(mailbox, seq);
    if (!r)
        return no_message(mailbox, seq);
    if (r->physical_size != 0 && r->virtual_size != 0)
        return std::pair{r->physical_size, r->virtual_size};
    auto& im = mailbox->impl();
    for (const auto& s : im.pending_sizes)
        if (s.uid == r->uid)
            return std::pair{s.physical_size, s.virtual_size};
    auto data = im.backend->open_message(r->uid);
    if (!data)
        return data.status();
    auto sizes = measure(data->bytes());
    if (im.pending_sizes.size() < max_pending_cache_entries) {
        im.pending_sizes.push_back({r->uid, sizes.first, sizes.second});
        im.flush_pending_if_many();
    }
    return sizes;
}

Result<std::uint64_t> Message::physical_size() const {
    try {
        auto s = sizes_of(mailbox_, seq_);
        if (!s)
            return s.status();
        return s->first;
    } catch (const std::bad_alloc&) {
        return Status::io("message size: out of memory");
    }
}

Result<std::uint64_t> Message::virtual_size() const {
    try {
        auto s = sizes_of(mailbox_, seq_);
        if (!s)
            return s.status();
        return s->second;
    } catch (const std::bad_alloc&) {
        return Status::io("message size: out of memory");
    }
}

Result<std::int64_t> Message::internal_date() const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return no_message(mailbox_, seq_);
    return r->received_date;
}

Result<std::int64_t> Message::save_date() const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return no_message(mailbox_, seq_);
    return r->save_date != 0 ? r->save_date : r->received_date;
}

Result<std::string> Message::guid() const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return no_message(mailbox_, seq_);
    try {
        return mailbox_->impl().backend->message_guid(r->uid);
    } catch (const std::bad_alloc&) {
        return Status::io("message GUID: out of memory");
    }
}

std::optional<std::string> Message::pop3_uidl() const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return std::nullopt;
    try {
        return mailbox_->impl().backend->pop3_uidl(r->uid);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

std::optional<std::string> Message::storage_name() const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return std::nullopt;
    try {
        return mailbox_->impl().backend->storage_name(r->uid);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

Result<MessageData> Message::open() const {
    const KeptRecord* kept = nullptr;
    const auto* r = record_of(mailbox_, seq_, &kept);
    if (!r)
        return no_message(mailbox_, seq_);
    try {
        return mailbox_->impl().backend->open_message(r->uid);
    } catch (const std::bad_alloc&) {
        return Status::io("reading message: out of memory");
    }
}

std::optional<std::string> Message::cached(std::string_view field) const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return std::nullopt;
    auto& im = mailbox_->impl();
    try {
        for (auto it = im.pending_cache.rbegin(); it != im.pending_cache.rend(); ++it)
            if (it->uid == r->uid && it->field == field)
                return it->value;
        std::lock_guard lock(im.index->mutex);
        return im.index->index->cache_lookup(*im.view_impl.state, *r, field);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

void Message::cache(std::string_view field, std::string_view value) const {
    const auto* r = record_of(mailbox_, seq_);
    if (!r)
        return;
    auto& im = mailbox_->impl();
    std::size_t bytes = field.size() + value.size();
    if (im.pending_cache.size() >= max_pending_cache_entries || im.pending_cache_bytes + bytes > max_pending_cache_bytes)
        return; // bounded: the value is computed again next time
    try {
        im.pending_cache.push_back({r->uid, std::string(field), std::string(value)});
        im.pending_cache_bytes += bytes;
        im.flush_pending_if_many();
    } catch (const std::bad_alloc&) {
    }
}

} // namespace mailstore::storage
