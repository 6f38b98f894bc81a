// loadgen::LineConnection: the transport under the load generator's POP3 and
// LMTP clients. A stream socket (TCP, or a unix socket for LMTP) read into a
// buffer from which complete CRLF-terminated lines are taken, every read and
// write bounded by a timeout, every line by a length. Failures throw
// loadgen::ProtocolError naming the connection's label and quoting the bytes.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol_error.hpp"

namespace loadgen {

class LineConnection {
public:
    LineConnection(asio::any_io_executor executor, std::size_t max_line, std::chrono::milliseconds timeout);
    LineConnection(const LineConnection&) = delete;
    LineConnection& operator=(const LineConnection&) = delete;

    asio::awaitable<void> connect_tcp(const std::string& host, std::uint16_t port);
    asio::awaitable<void> connect_unix(const std::string& path);

    // The next line without its CRLF (a bare LF also ends a line); valid
    // until the next read. Throws on a line longer than max_line, a timeout
    // or a closed connection.
    asio::awaitable<std::string_view> read_line();
    // A POP3 / SMTP multi-line data block up to the "." line (RFC 1939 §3,
    // RFC 5321 §4.5.2), appended to `out` with the dot-stuffing undone and
    // each line ending in CRLF as sent. Throws past `max_bytes`.
    asio::awaitable<void> read_dot_block(std::string& out, std::size_t max_bytes);
    asio::awaitable<void> write(std::string_view bytes);

    bool is_open() const { return socket_.is_open(); }
    void close();
    std::uint64_t bytes_read() const { return bytes_read_; }
    std::uint64_t bytes_written() const { return bytes_written_; }
    void set_label(std::string label) { label_ = std::move(label); }
    const std::string& label() const { return label_; }
    [[noreturn]] void fail(const std::string& what, std::string_view bytes = {}) const;

private:
    asio::awaitable<void> fill();
    void compact();

    asio::generic::stream_protocol::socket socket_;
    asio::steady_timer timer_;
    std::size_t max_line_;
    std::chrono::milliseconds timeout_;
    // buf_[pos_, end_) is read and not yet consumed; the rest is room for
    // the next read (kept, so reads do not clear memory each time).
    std::vector<char> buf_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
    std::string_view pending() const { return {buf_.data() + pos_, end_ - pos_}; }
    std::uint64_t bytes_read_ = 0;
    std::uint64_t bytes_written_ = 0;
    std::string label_;
};

} // namespace loadgen
