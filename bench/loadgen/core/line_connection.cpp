#include "line_connection.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cstring>

namespace loadgen {

using namespace asio::experimental::awaitable_operators;

namespace {
constexpr std::size_t kReadChunk = 256 * 1024;
}

LineConnection::LineConnection(asio::any_io_executor executor, std::size_t max_line,
                               std::chrono::milliseconds timeout)
    : socket_(executor), timer_(executor), max_line_(max_line), timeout_(timeout) {}

void LineConnection::fail(const std::string& what, std::string_view bytes) const {
    std::string msg;
    if (!label_.empty())
        msg = label_ + ": ";
    msg += what;
    if (!bytes.empty())
        msg += ": " + quote_bytes(bytes);
    throw ProtocolError(msg);
}

void LineConnection::close() {
    std::error_code ec;
    socket_.shutdown(asio::socket_base::shutdown_both, ec);
    socket_.close(ec);
}

asio::awaitable<void> LineConnection::connect_tcp(const std::string& host, std::uint16_t port) {
    std::error_code ec;
    asio::ip::tcp::resolver resolver(socket_.get_executor());
    auto results = co_await resolver.async_resolve(host, std::to_string(port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec || results.empty())
        fail("resolving " + host + ": " + (ec ? ec.message() : std::string("no address")));
    const asio::ip::tcp::endpoint ep = *results.begin();
    co_await socket_.async_connect(asio::generic::stream_protocol::endpoint(ep),
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        fail("connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::awaitable<void> LineConnection::connect_unix(const std::string& path) {
    std::error_code ec;
    co_await socket_.async_connect(asio::generic::stream_protocol::endpoint(asio::local::stream_protocol::endpoint(path)),
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        fail("connect to unix:" + path + ": " + ec.message());
}

void LineConnection::compact() {
    if (pos_ == 0)
        return;
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
}

asio::awaitable<void> LineConnection::fill() {
    compact();
    if (!socket_.is_open())
        fail("connection closed", pending());
    if (buf_.size() - end_ < kReadChunk)
        buf_.resize(end_ + kReadChunk);
    std::error_code read_ec, timer_ec;
    timer_.expires_after(timeout_);
    auto result = co_await (socket_.async_read_some(asio::buffer(buf_.data() + end_, buf_.size() - end_),
                                                    asio::redirect_error(asio::use_awaitable, read_ec)) ||
                            timer_.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
    if (result.index() == 1)
        fail("no answer within " + std::to_string(timeout_.count()) + " ms after", pending());
    if (read_ec) {
        std::string before(pending());
        close();
        if (read_ec == asio::error::eof)
            fail("connection closed by the server", before.empty() ? std::string("(nothing pending)") : before);
        fail("read error: " + read_ec.message(), before);
    }
    const std::size_t n = std::get<0>(result);
    end_ += n;
    bytes_read_ += n;
}

asio::awaitable<std::string_view> LineConnection::read_line() {
    for (;;) {
        const char* start = buf_.data() + pos_;
        const std::size_t avail = end_ - pos_;
        const void* nl = avail ? std::memchr(start, '\n', avail) : nullptr;
        if (nl) {
            std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
            if (len > max_line_)
                fail("line longer than " + std::to_string(max_line_) + " octets", std::string_view(start, len));
            pos_ += len + 1;
            if (len > 0 && start[len - 1] == '\r')
                --len;
            co_return std::string_view(start, len);
        }
        if (avail > max_line_)
            fail("line longer than " + std::to_string(max_line_) + " octets", std::string_view(start, avail));
        co_await fill();
    }
}

asio::awaitable<void> LineConnection::read_dot_block(std::string& out, std::size_t max_bytes) {
    const std::size_t limit = out.size() + max_bytes;
    for (;;) {
        // Whole lines of the buffer at once; a line split across reads waits
        // for the rest.
        const char* base = buf_.data();
        std::size_t p = pos_;
        while (p < end_) {
            const void* nl = std::memchr(base + p, '\n', end_ - p);
            if (!nl)
                break;
            const std::size_t next = static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
            std::string_view line(base + p, next - p);
            if (line[0] == '.') {
                if (line == ".\r\n" || line == ".\n") {
                    pos_ = next;
                    co_return;
                }
                line.remove_prefix(1);  // byte-stuffed
            }
            if (out.size() + line.size() > limit)
                fail("multi-line answer longer than " + std::to_string(max_bytes) + " octets");
            out.append(line);
            p = next;
        }
        pos_ = p;
        if (end_ - pos_ > max_line_)
            fail("line longer than " + std::to_string(max_line_) + " octets", pending().substr(0, 200));
        co_await fill();
    }
}

asio::awaitable<void> LineConnection::write(std::string_view bytes) {
    if (!socket_.is_open())
        fail("connection closed before sending", bytes);
    std::error_code write_ec, timer_ec;
    timer_.expires_after(timeout_);
    auto result = co_await (asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                                              asio::redirect_error(asio::use_awaitable, write_ec)) ||
                            timer_.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
    if (result.index() == 1)
        fail("server did not read within " + std::to_string(timeout_.count()) + " ms", bytes);
    if (write_ec) {
        close();
        fail("write error: " + write_ec.message(), bytes);
    }
    bytes_written_ += bytes.size();
}

} // namespace loadgen
