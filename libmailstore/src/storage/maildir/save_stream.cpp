// Chunked line-end normalization for saves from a file descriptor.
#include "storage/maildir/save_stream.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace mailstore::storage::maildir {

void LineEndNormalizer::line_end(std::string& out) {
    if (crlf_) {
        out.push_back('\r');
        ++psize_;
    }
    out.push_back('\n');
    ++psize_;
    vsize_ += 2;
}

void LineEndNormalizer::feed(std::string_view in, std::string& out) {
    std::size_t i = 0;
    if (pending_cr_ && !in.empty()) {
        pending_cr_ = false;
        if (in[0] == '\n') {
            line_end(out);
            i = 1;
        } else {
            out.push_back('\r');
            ++psize_;
            ++vsize_;
        }
    }
    while (i < in.size()) {
        // Copy the run up to the next CR or LF at once.
        std::size_t j = i;
        while (j < in.size() && in[j] != '\r' && in[j] != '\n')
            ++j;
        out.append(in.data() + i, j - i);
        psize_ += j - i;
        vsize_ += j - i;
        if (j == in.size())
            break;
        if (in[j] == '\n') {
            line_end(out);
            i = j + 1;
        } else if (j + 1 == in.size()) {
            pending_cr_ = true; // CRLF split across two chunks?
            i = j + 1;
        } else if (in[j + 1] == '\n') {
            line_end(out);
            i = j + 2;
        } else {
            out.push_back('\r');
            ++psize_;
            ++vsize_;
            i = j + 1;
        }
    }
}

void LineEndNormalizer::finish(std::string& out) {
    if (pending_cr_) {
        pending_cr_ = false;
        out.push_back('\r');
        ++psize_;
        ++vsize_;
    }
}

Status stream_normalized(std::string_view prefix, int fd, LineEndNormalizer& normalizer, std::uint64_t limit,
                         const std::function<Status(std::string_view)>& sink) {
    constexpr std::size_t chunk = 65536;
    std::string out;
    out.reserve(2 * chunk + 2);
    std::uint64_t total = prefix.size();
    if (total > limit)
        return Status::invalid("message larger than " + std::to_string(limit) + " bytes");
    normalizer.feed(prefix, out);
    std::vector<char> buf(chunk);
    off_t off = 0;
    for (;;) {
        if (out.size() >= chunk) {
            if (auto s = sink(out); !s)
                return s;
            out.clear();
        }
        ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::io(std::string("reading the message to save: ") + std::strerror(errno));
        if (n == 0)
            break;
        off += n;
        total += std::uint64_t(n);
        if (total > limit)
            return Status::invalid("message larger than " + std::to_string(limit) + " bytes");
        normalizer.feed(std::string_view(buf.data(), std::size_t(n)), out);
    }
    normalizer.finish(out);
    if (!out.empty())
        return sink(out);
    return Status::ok();
}

} // namespace mailstore::storage::maildir
