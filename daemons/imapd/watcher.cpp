#include "watcher.hpp"

#include <mailstore/log.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

namespace imapd {

using mailstore::storage::ChangeWatcher;

ChangePump::~ChangePump() {
    // Only reached with a descriptor left when the event loop was stopped
    // by force; its io_context may be gone, so the object is not touched.
    if (fd_)
        (void)fd_.release();
}

void ChangePump::add(asio::io_context& io) {
    std::call_once(init_, [&] { strand_.emplace(asio::make_strand(io)); });
    asio::post(*strand_, [this] {
        ++users_;
        if (running_)
            return;
        int fd = ChangeWatcher::instance().fd();
        if (fd < 0) {
            mailstore::log::Logger("imap").error("mailbox change notification unavailable (no watcher fd)");
            return;
        }
        // A duplicate: the stream_descriptor may close its own copy freely.
        int own = ::dup(fd);
        if (own < 0) {
            mailstore::log::Logger("imap").error("mailbox change notification unavailable (dup failed)");
            return;
        }
        fd_ = std::make_unique<asio::posix::stream_descriptor>(*strand_, own);
        running_ = true;
        asio::co_spawn(*strand_, loop(), asio::detached);
    });
}

void ChangePump::close() {
    if (fd_) {
        // A pending wait completes as aborted into the io_context's queue,
        // where the io_context's destruction drops it without running it.
        std::error_code ec;
        fd_->close(ec);
        fd_.reset();
    }
    running_ = false;
    users_ = 0;
    strand_.reset();
}

void ChangePump::remove() {
    if (!strand_)
        return;
    asio::post(*strand_, [this] {
        if (users_ > 0)
            --users_;
        if (users_ == 0 && fd_) {
            std::error_code ec;
            fd_->cancel(ec);
        }
    });
}

asio::awaitable<void> ChangePump::loop() {
    while (users_ > 0) {
        std::error_code ec;
        co_await fd_->async_wait(asio::posix::stream_descriptor::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
        if (ec && ec != asio::error::operation_aborted) {
            mailstore::log::Logger("imap").errorf("waiting for mailbox changes failed: {}", ec.message());
            break;
        }
        // Callbacks only post wake-ups; dispatch() never blocks.
        ChangeWatcher::instance().dispatch();
    }
    std::error_code ec;
    fd_->close(ec);
    fd_.reset();
    running_ = false;
}

} // namespace imapd
