// Mailbox change notification for IMAP IDLE on the event loop: the
// process-wide mailstore::storage::ChangeWatcher (one inotify instance, with
// a polling fallback) has one fd; while at least one session idles, that fd
// is on the io_context as a posix::stream_descriptor and every readiness
// runs ChangeWatcher::dispatch(), whose callbacks wake the idling
// connections. With nobody idling the fd is off the loop, so a server with
// no connections has no pending work and io_context::run() can return.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/strand.hpp>

#include <memory>
#include <mutex>
#include <optional>

namespace imapd {

class ChangePump {
public:
    ChangePump() = default;
    ~ChangePump();
    ChangePump(const ChangePump&) = delete;
    ChangePump& operator=(const ChangePump&) = delete;

    // A session starts watching a mailbox: keep the fd on `io`'s loop.
    // Thread-safe.
    void add(asio::io_context& io);
    // ... and stops. Thread-safe.
    void remove();
    // Drops the descriptor and the strand, which belong to the io_context:
    // call once its loop has returned and before it is destroyed (the pump
    // lives in ImapService, which outlives the Server and its io_context).
    void close();

private:
    asio::awaitable<void> loop();

    std::once_flag init_;
    std::optional<asio::strand<asio::io_context::executor_type>> strand_;
    // On strand_ only:
    std::unique_ptr<asio::posix::stream_descriptor> fd_;
    long users_ = 0;
    bool running_ = false;
};

} // namespace imapd
