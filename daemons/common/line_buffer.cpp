#include "line_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace loft {

namespace {
constexpr std::size_t kIdleKeep = 4096; // an idle connection keeps at most this much allocated
}

LineBuffer::LineBuffer(std::size_t max_line) : limit_(std::max<std::size_t>(max_line, 1) + 2) {}

LineBuffer::LineState LineBuffer::take_line(std::string& out) {
    std::string_view d = data();
    auto nl = d.find('\n', scanned_);
    if (nl == std::string_view::npos) {
        scanned_ = d.size();
        return d.size() >= limit_ ? LineState::too_long : LineState::need_more;
    }
    std::size_t len = nl;
    if (len > 0 && d[len - 1] == '\r')
        --len;
    // The limit is on the content, whether the line ends in CRLF or a bare LF.
    if (len > limit_ - 2)
        return LineState::too_long;
    out.assign(d.data(), len);
    consume(nl + 1);
    return LineState::complete;
}

std::size_t LineBuffer::take(std::size_t n, std::string& out) {
    std::size_t k = std::min(n, size());
    out.append(buf_.data() + begin_, k);
    consume(k);
    return k;
}

std::size_t LineBuffer::discard_all() {
    std::size_t n = size();
    consume(n);
    return n;
}

void LineBuffer::consume(std::size_t n) {
    n = std::min(n, size());
    begin_ += n;
    scanned_ = scanned_ > n ? scanned_ - n : 0;
    if (begin_ == end_) {
        begin_ = end_ = scanned_ = 0;
        if (buf_.capacity() > kIdleKeep) {
            // Give back what a burst needed; idle connections stay small.
            std::vector<char>().swap(buf_);
        }
    }
}

std::span<char> LineBuffer::prepare(std::size_t want) {
    if (begin_ > 0 && (end_ == buf_.size() || begin_ > buf_.size() / 2)) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    std::size_t room = limit_ - size();
    std::size_t n = std::min(want, room);
    if (n == 0)
        return {};
    if (buf_.size() < end_ + n)
        buf_.resize(std::min(std::max(end_ + n, buf_.size() * 2), limit_ + begin_));
    n = std::min(n, buf_.size() - end_);
    return {buf_.data() + end_, n};
}

void LineBuffer::commit(std::size_t n) { end_ += std::min(n, buf_.size() - end_); }

} // namespace loft
