// A logged-in plaintext session run together with its socket I/O on one
// blocking-pool thread, for loft-imapd and loft-pop3d alike.
//
// Handing each command's run() to the pool and its answer back to the I/O
// thread costs two thread wake-ups per command, and on a busy machine each
// wake-up is a wait in the CPU's run queue: with 50 webmail clients on a
// loaded two-core box the I/O thread spent 60% of the time waiting to run
// and every command's p50 was 15-40 ms for about 0.4 ms of CPU
// (docs/imapd.md, "Threads and I/O"); POP3 clients that wait for each answer
// before the next command (fetchmail, most MUAs) paid the same per RETR.
// Here the pool thread writes the answer itself and then waits a short while
// (`linger`) for the next command, so a busy session costs one wake-up per
// command, as a process per session would, while an idle one holds no
// thread: when the client goes quiet, the socket fills or anything else
// needs the I/O thread (IDLE, NOTIFY, TLS, a timer, a close), the job
// returns and the connection's coroutine carries on as before.
//
// Both protocol libraries' sessions have the same sans-I/O surface (run,
// feed, has_output, output_front, output_consume, and a Step whose kinds
// include read and flush), so the loop is one template over the session.
#pragma once

#include "blocking_pool.hpp"
#include "connection.hpp"

#include <asio/awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <sys/types.h>
#include <utility>

namespace loft {

struct DirectIoOptions {
    // How long the thread waits for the client's next command (or for room
    // in the socket's send buffer) before handing the connection back.
    std::chrono::milliseconds linger{2};
    // The longest one job runs, so shutdown, kicks, timeouts and other
    // connections' jobs are not held up by one busy client.
    std::chrono::milliseconds slice{50};
    // The most read from the socket at once (at most kMaxReadChunk). Command
    // lines are short; literals arrive in pieces of this size and the
    // session buffers them within its own limits.
    std::size_t read_chunk = 64 * 1024;
    // Asked after each answer or piece of one: false ends the job (the pool
    // has work waiting for a thread, the server is shutting down). Called on
    // the pool thread.
    std::function<bool()> may_linger;
    // Polled together with the socket while lingering: readable means other
    // work needs this thread (BlockingPool::wake_fd()), and the job returns
    // at once instead of when the linger times out. -1: none.
    int wake_fd = -1;
};

namespace direct_io_detail {

inline constexpr std::size_t kMaxReadChunk = 64 * 1024;

enum class Wait { ready, quiet, other_work, failed };

// Waits for `events` on `fd` for up to `timeout`, or until `wake_fd` (if
// any) says other work needs the thread.
Wait wait_for(int fd, short events, int wake_fd, std::chrono::milliseconds timeout);

// Whether the job may go on: its slice is not used up and may_linger agrees.
bool may_go_on(const DirectIoOptions& options, std::chrono::steady_clock::time_point end);

enum class Sent { all, would_block, failed };

// Writes what the session holds; the rest stays in the session. The result
// is explicit: errno is not read after the loop (a send() that returns 0
// sets none, and a stale EAGAIN would make the caller wait for room it
// already has, again and again).
template <class Session>
Sent send_some(Session& session, int fd) {
    while (session.has_output()) {
        const std::string_view chunk = session.output_front();
        if (chunk.empty())
            return Sent::failed; // nothing to send yet output pending: hand over to the I/O thread
        const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            session.output_consume(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return Sent::would_block;
        return Sent::failed;
    }
    return Sent::all;
}

// recv() of at most `size` bytes into the calling thread's buffer.
ssize_t receive(int fd, std::size_t size, const char*& data);

} // namespace direct_io_detail

// Runs `session` on the calling thread, reading from and writing to `fd` (a
// plaintext TCP or unix socket the caller owns, non-blocking use only:
// MSG_DONTWAIT, poll). Returns the session's last step; whatever output it
// could not write is still in the session (the caller sends it, with its own
// backpressure and timeout). Returns as soon as the session needs the daemon
// for anything but reading and writing: a step other than read or flush, or
// `hand_back(session)` true after a run (IMAP's IDLE and NOTIFY, whose
// watches are the daemon's; the answer that started them is left in the
// session for the daemon to send).
template <class Session, class HandBack>
auto run_direct(Session& session, int fd, const DirectIoOptions& options, HandBack hand_back) {
    using namespace direct_io_detail;
    using Kind = typename decltype(session.run())::Kind;
    const auto end = std::chrono::steady_clock::now() + options.slice;
    for (;;) {
        auto step = session.run();
        if (hand_back(session))
            return step;
        for (Sent sent = send_some(session, fd); sent != Sent::all; sent = send_some(session, fd)) {
            // Room in the send buffer soon (a client reading a big FETCH or
            // RETR as fast as it comes): keep going here; else the I/O
            // thread waits.
            if (sent == Sent::failed || !may_go_on(options, end))
                return step;
            if (wait_for(fd, POLLOUT, options.wake_fd, options.linger) != Wait::ready)
                return step;
        }
        if (step.kind != Kind::flush && step.kind != Kind::read)
            return step;
        // Other connections' work waits for this thread: give it up between
        // pieces of a big answer too, not only when the client is quiet.
        if (!may_go_on(options, end))
            return step;
        if (step.kind == Kind::flush)
            continue;
        if (wait_for(fd, POLLIN, options.wake_fd, options.linger) != Wait::ready)
            return step;
        const char* data = nullptr;
        const ssize_t n = receive(fd, options.read_chunk, data);
        if (n <= 0)
            return step; // end of input or an error: the I/O thread's read sees it too
        session.feed(std::string_view(data, static_cast<std::size_t>(n)));
    }
}

// The connection side: one run of `session` as a pool job. When `direct` is
// allowed and the pool has no work waiting for a thread (under load the job
// would hand the socket back after one answer anyway), the job borrows the
// socket and runs run_direct(); otherwise it runs session.run() alone and
// the caller does the I/O. The job lingers only while no other job waits for
// a busy thread, and stops the moment one does (wake_fd) or the connection
// is kicked or shut down.
template <class Session, class HandBack>
asio::awaitable<decltype(std::declval<Session&>().run())> run_on_pool(Connection& conn, Session& session, bool direct,
                                                                      DirectIoOptions options, HandBack hand_back) {
    BlockingPool& pool = conn.pool();
    const int fd = direct && pool.unserved() == 0 ? conn.lend_fd() : -1;
    if (fd < 0)
        co_return co_await pool.run([&session] { return session.run(); });
    BlockingPool* p = &pool;
    Connection* c = &conn;
    options.may_linger = [p, c] { return p->unserved() == 0 && !c->shutting_down() && !c->kicked(); };
    options.wake_fd = pool.wake_fd();
    decltype(session.run()) step;
    try {
        step = co_await pool.run([&session, fd, &options, p, &hand_back] {
            p->linger_begin();
            struct LingerEnd {
                BlockingPool* pool;
                ~LingerEnd() { pool->linger_end(); }
            } linger_end{p};
            return run_direct(session, fd, options, hand_back);
        });
    } catch (...) {
        conn.return_fd(fd); // the job failed or never ran
        throw;
    }
    conn.return_fd(fd);
    co_return step;
}

} // namespace loft
