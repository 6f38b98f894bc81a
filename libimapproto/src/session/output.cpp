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
// Views at least this big are queued, not copied; under COMPRESS they are
// compressed this much at a time as they reach the front.
constexpr std::size_t kViewMin = 4096;
constexpr std::size_t kCompressSlice = 64 * 1024;
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
    // Merge into the last chunk unless it is a view or waits for the
    // compressor (front()'s result is only valid until the next write).
    if (!chunks_.empty() && chunks_.back().kind == Chunk::Kind::bytes && !chunks_.back().keepalive &&
        chunks_.back().owned.size() < kMergeLimit) {
        chunks_.back().owned.append(bytes);
    } else {
        Chunk c;
        c.owned.assign(bytes);
        chunks_.push_back(std::move(c));
    }
    pending_ += bytes.size();
}

void Output::push_raw(std::string_view bytes, std::shared_ptr<const void> keepalive) {
    if (bytes.empty())
        return;
    if (!keepalive && !chunks_.empty() && chunks_.back().kind == Chunk::Kind::raw && !chunks_.back().keepalive &&
        chunks_.back().owned.size() < kMergeLimit) {
        chunks_.back().owned.append(bytes);
    } else {
        Chunk c;
        c.kind = Chunk::Kind::raw;
        if (keepalive) {
            c.view = bytes;
            c.keepalive = std::move(keepalive);
        } else {
            c.owned.assign(bytes);
        }
        chunks_.push_back(std::move(c));
        ++raw_queued_;
    }
    pending_ += bytes.size();
}

void Output::push_marker(Chunk::Kind kind) {
    Chunk c;
    c.kind = kind;
    chunks_.push_back(std::move(c));
    ++raw_queued_;
}

void Output::append(std::string_view bytes) {
    if (!deflater_) {
        push_owned(bytes);
        return;
    }
    // Behind a queued raw body the bytes must wait their turn.
    if (raw_queued_ > 0) {
        push_raw(bytes, nullptr);
        return;
    }
    std::string z;
    deflater_->write(bytes, z);
    push_owned(z);
}

void Output::append_view(std::string_view bytes, std::shared_ptr<const void> keepalive) {
    if (bytes.empty())
        return;
    if (!keepalive || bytes.size() < kViewMin) {
        append(bytes);
        return;
    }
    if (deflater_) {
        push_raw(bytes, std::move(keepalive));
        return;
    }
    Chunk c;
    c.view = bytes;
    c.keepalive = std::move(keepalive);
    chunks_.push_back(std::move(c));
    pending_ += bytes.size();
}

void Output::prepare() const { const_cast<Output*>(this)->prepare_mutable(); }

void Output::prepare_mutable() {
    while (raw_queued_ > 0 && !chunks_.empty()) {
        Chunk& c = chunks_.front();
        if (c.kind == Chunk::Kind::bytes) {
            if (!c.bytes().empty())
                return;
            chunks_.pop_front();
            continue;
        }
        std::string z;
        if (c.kind == Chunk::Kind::raw) {
            auto rest = c.bytes();
            auto slice = rest.substr(0, kCompressSlice);
            deflater_->write(slice, z);
            c.offset += slice.size();
            pending_ -= slice.size();
            if (slice.size() == rest.size()) {
                chunks_.pop_front();
                --raw_queued_;
            }
        } else {
            if (c.kind == Chunk::Kind::flush)
                deflater_->sync_flush(z);
            else
                deflater_->release(z);
            chunks_.pop_front();
            --raw_queued_;
        }
        if (!z.empty()) {
            pending_ += z.size();
            Chunk out;
            out.owned = std::move(z);
            chunks_.push_front(std::move(out));
            return;
        }
    }
}

std::size_t Output::pending() const { return pending_; }

bool Output::empty() const {
    prepare();
    return pending_ == 0;
}

std::string_view Output::front() const {
    prepare();
    for (const auto& c : chunks_) {
        if (c.kind != Chunk::Kind::bytes)
            break;
        auto b = c.bytes();
        if (!b.empty())
            return b;
    }
    return {};
}

void Output::consume(std::size_t n) {
    while (n > 0) {
        prepare_mutable();
        if (chunks_.empty() || chunks_.front().kind != Chunk::Kind::bytes)
            return;
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
    if (raw_queued_ > 0) {
        push_marker(Chunk::Kind::flush);
        return;
    }
    std::string z;
    deflater_->sync_flush(z);
    push_owned(z);
}

void Output::release_compressor() {
    if (!deflater_)
        return;
    if (raw_queued_ > 0) {
        push_marker(Chunk::Kind::release);
        return;
    }
    std::string z;
    deflater_->release(z);
    push_owned(z);
}

} // namespace imapproto::detail
