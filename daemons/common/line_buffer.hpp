// The input buffer of a connection: bytes read from the socket wait here until
// the protocol takes a line or a counted chunk. Its size never exceeds the
// longest allowed line (plus CRLF), so a client that sends megabytes without
// a newline costs at most that much memory. Sans-I/O, so it is unit-tested
// without sockets.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loft {

class LineBuffer {
public:
    // `max_line`: longest line content accepted, excluding CRLF.
    explicit LineBuffer(std::size_t max_line);

    enum class LineState { complete, need_more, too_long };

    // Take the next line (without CR LF / LF) into `out`. too_long: no newline
    // within max_line+2 bytes; the buffer is left as is (the caller closes).
    LineState take_line(std::string& out);
    // Move up to `n` buffered bytes to the end of `out`; returns how many.
    std::size_t take(std::size_t n, std::string& out);
    // Drop everything buffered; returns how many bytes were dropped.
    std::size_t discard_all();

    // Free space to read into, at most `want` bytes; empty when full.
    std::span<char> prepare(std::size_t want = 16384);
    // `n` bytes of the span from prepare() were filled.
    void commit(std::size_t n);

    std::string_view data() const { return {buf_.data() + begin_, end_ - begin_}; }
    std::size_t size() const { return end_ - begin_; }
    bool empty() const { return begin_ == end_; }
    void consume(std::size_t n);
    std::size_t capacity_limit() const { return limit_; }
    std::size_t allocated() const { return buf_.capacity(); }

private:
    std::size_t limit_;
    std::vector<char> buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t scanned_ = 0; // bytes after begin_ known to hold no '\n'
};

} // namespace loft
