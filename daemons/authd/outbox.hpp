// Replies of one connection, written in order by one writer coroutine:
// answers to pipelined requests are produced by several coroutines at once
// (each waits for the blocking pool or its failure delay), and a socket must
// not have two writes in progress. Lines end in LF only: Dovecot's auth
// protocols do not use CRLF (Postfix would keep the CR in the last field).
//
// Backpressure: a client that sends requests without reading the replies
// must not make loft-authd queue them without end. The read loops call
// wait_writable() before each line: while more than kOutboxLimit bytes are
// unsent, the connection is not read, so the client's writes stop in the
// kernel's socket buffer. What one line can add past the limit is bounded
// (one reply per line, kMaxPendingRequests replies in flight).
#pragma once

#include "connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace authd {

// Unsent reply bytes of one connection above which it is not read.
inline constexpr std::size_t kOutboxLimit = 64 * 1024;

class Outbox : public std::enable_shared_from_this<Outbox> {
public:
    explicit Outbox(std::shared_ptr<loft::Connection> conn) : conn_(std::move(conn)) {}

    // Queue a line (without LF) and start the writer if it is idle. Call on
    // the connection's strand.
    void send(std::string line) {
        line += '\n';
        unsent_ += line.size();
        lines_.push_back(std::move(line));
        if (writing_)
            return;
        writing_ = true;
        asio::co_spawn(conn_->executor(), drain(shared_from_this()), asio::detached);
    }
    bool failed() const { return failed_; }
    // Bytes queued or being written.
    std::size_t unsent() const { return unsent_; }

    // Returns once at most `limit` bytes are unsent (or writing failed).
    // Several coroutines may wait at once (the read loop, LIST streams).
    asio::awaitable<void> wait_below(std::size_t limit) {
        while (unsent_ > limit && !failed_)
            co_await wait_progress();
    }
    asio::awaitable<void> wait_writable() { return wait_below(kOutboxLimit); }

    // Waits until everything queued so far is written and flushed (or
    // writing failed): a last line before the connection closes.
    asio::awaitable<void> settle() {
        while (writing_)
            co_await wait_progress();
    }

private:
    static asio::awaitable<void> drain(std::shared_ptr<Outbox> self) {
        while (!self->lines_.empty() && !self->failed_) {
            while (!self->lines_.empty()) {
                std::string line = std::move(self->lines_.front());
                self->lines_.pop_front();
                bool ok = co_await self->conn_->write(line);
                self->unsent_ -= line.size();
                self->wake();
                if (!ok) {
                    self->failed_ = true;
                    break;
                }
            }
            bool flushed = co_await self->conn_->flush();
            if (!flushed)
                self->failed_ = true;
        }
        self->lines_.clear();
        self->unsent_ = 0;
        self->writing_ = false;
        self->wake();
    }
    asio::awaitable<void> wait_progress() {
        asio::steady_timer timer(conn_->executor(), asio::steady_timer::time_point::max());
        waiters_.push_back(&timer);
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::erase(waiters_, &timer);
    }
    void wake() {
        for (auto* t : waiters_)
            t->cancel();
    }

    std::shared_ptr<loft::Connection> conn_;
    std::deque<std::string> lines_;
    std::size_t unsent_ = 0;
    bool writing_ = false;
    bool failed_ = false;
    std::vector<asio::steady_timer*> waiters_; // wait_progress() timers
};

} // namespace authd
