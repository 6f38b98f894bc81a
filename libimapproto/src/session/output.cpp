// The outgoing byte queue: owned chunks for responses, views for big bodies,
// and the deflate stream once COMPRESS is active.
#include "session/output.hpp"

#include "session/deflate.hpp"

#include <algorithm>

namespace imapproto::detail {

namespace {
// Small writes are merged into the last owned chunk up to this size, so a
// FETCH of many small items does not become a chunk per item.
constexpr std::size_t kMergeLimit = 16 * 1024;
} // namespace

std::string_view Output::Chunk::bytes() const {
    std::string_view all = keepalive ? view : std::string_view(owned);
    return all.substr(offset);
}

Output::Output() = default;
Output::~Output() = default;

void Output::push_owned(std::string_view bytes) {
    if (bytes.empty())
        return;
    // Merge into the last chunk unless it is a view (front()'s result is
    // only valid until the next run(), which is when appends happen).
    if (!chunks_.empty() && !chunks_.back().keepalive && chunks_.back().owned.size() < kMergeLimit) {
        chunks_.back().owned.append(bytes);
    } else {
        Chunk c;
        c.owned.assign(bytes);
        chunks_.push_back(std::move(c));
    }
    pending_ += bytes.size();
}

void Output::append(std::string_view bytes) {
    if (deflater_) {
        std::string z;
        deflater_->write(bytes, z);
        push_owned(z);
        return;
    }
    push_owned(bytes);
}

void Output::append_view(std::string_view bytes, std::shared_ptr<const void> keepalive) {
    if (bytes.empty())
        return;
    // Compressed or small: the bytes are consumed now, no view needed.
    if (deflater_ || !keepalive || bytes.size() < 4096) {
        append(bytes);
        return;
    }
    Chunk c;
    c.view = bytes;
    c.keepalive = std::move(keepalive);
    chunks_.push_back(std::move(c));
    pending_ += bytes.size();
}

std::size_t Output::pending() const { return pending_; }
bool Output::empty() const { return pending_ == 0; }

std::string_view Output::front() const {
    for (const auto& c : chunks_) {
        auto b = c.bytes();
        if (!b.empty())
            return b;
    }
    return {};
}

void Output::consume(std::size_t n) {
    while (n > 0 && !chunks_.empty()) {
        auto& c = chunks_.front();
        std::size_t have = c.bytes().size();
        std::size_t take = std::min(n, have);
        c.offset += take;
        n -= take;
        pending_ -= take;
        sent_ += take;
        if (take == have)
            chunks_.pop_front();
    }
}

void Output::start_deflate() {
    if (!deflater_)
        deflater_ = std::make_unique<Deflater>();
}

bool Output::deflating() const { return deflater_ != nullptr; }

void Output::sync_flush() {
    if (!deflater_)
        return;
    std::string z;
    deflater_->sync_flush(z);
    push_owned(z);
}

void Output::release_compressor() {
    if (!deflater_)
        return;
    std::string z;
    deflater_->release(z);
    push_owned(z);
}

} // namespace imapproto::detail
