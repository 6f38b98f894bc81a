// Replies of one connection, written in order by one writer coroutine:
// answers to pipelined requests are produced by several coroutines at once
// (each waits for the blocking pool or its failure delay), and a socket must
// not have two writes in progress. Lines end in LF only: Dovecot's auth
// protocols do not use CRLF (Postfix would keep the CR in the last field).
#pragma once

#include "connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <deque>
#include <memory>
#include <string>

namespace authd {

class Outbox : public std::enable_shared_from_this<Outbox> {
public:
    explicit Outbox(std::shared_ptr<loft::Connection> conn) : conn_(std::move(conn)) {}

    // Queue a line (without LF) and start the writer if it is idle. Call on
    // the connection's strand.
    void send(std::string line) {
        line += '\n';
        lines_.push_back(std::move(line));
        if (writing_)
            return;
        writing_ = true;
        asio::co_spawn(conn_->executor(), drain(shared_from_this()), asio::detached);
    }
    bool failed() const { return failed_; }

    // Waits until everything queued so far is written (or writing failed):
    // a last line before the connection closes.
    asio::awaitable<void> settle() {
        if (!writing_)
            co_return;
        asio::steady_timer timer(conn_->executor(), asio::steady_timer::time_point::max());
        idle_ = &timer;
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        idle_ = nullptr;
    }

private:
    static asio::awaitable<void> drain(std::shared_ptr<Outbox> self) {
        while (!self->lines_.empty() && !self->failed_) {
            while (!self->lines_.empty()) {
                std::string line = std::move(self->lines_.front());
                self->lines_.pop_front();
                bool ok = co_await self->conn_->write(line);
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
        self->writing_ = false;
        if (self->idle_)
            self->idle_->cancel();
    }

    std::shared_ptr<loft::Connection> conn_;
    std::deque<std::string> lines_;
    bool writing_ = false;
    bool failed_ = false;
    asio::steady_timer* idle_ = nullptr; // settle() waits on it
};

} // namespace authd
