// The POP3 session run together with its socket I/O on one blocking-pool
// thread. Each command of a logged-in plaintext session used to cost two
// thread hops (the I/O thread hands run() to the pool, the pool hands the
// answer back for writing), and a client that waits for each answer before
// the next command (RFC 1939 clients without PIPELINING, fetchmail, most
// MUAs) paid them for every RETR. Here the pool thread writes the answer
// itself and then waits a short while (`linger`) for the next command, so a
// busy session costs one wake-up per command, as a process per session
// would, while an idle one holds no thread: when the client goes quiet, the
// socket fills or anything else needs the I/O thread (TLS, a timer, a close),
// the job returns and the connection's coroutine carries on as before.
#pragma once

#include <pop3proto/session.hpp>

#include <chrono>
#include <functional>

namespace pop3d {

struct DirectIoOptions {
    // How long the thread waits for the client's next command (or for room
    // in the socket's send buffer) before handing the connection back.
    std::chrono::milliseconds linger{2};
    // The longest one job runs, so shutdown, kicks and other connections'
    // jobs are not held up by one busy client.
    std::chrono::milliseconds slice{50};
    // Asked after each answer or piece of one: false ends the job (the pool
    // has queued work, the server is shutting down). Called on the pool
    // thread.
    std::function<bool()> may_linger;
    // Polled together with the socket while lingering: readable means other
    // work needs this thread (BlockingPool::wake_fd()), and the job returns
    // at once instead of when the linger times out. -1: none.
    int wake_fd = -1;
};

// Runs `session` on the calling thread, reading from and writing to `fd`
// (a plaintext TCP or unix socket the caller owns, non-blocking use only:
// MSG_DONTWAIT, poll). Returns the session's last step; whatever output it
// could not write is still in the session (the caller sends it, with its
// own backpressure and timeout). Never buffers more output than the
// session's output_high_water: a slow reader leaves the job at once.
pop3proto::Step run_direct(pop3proto::Session& session, int fd, const DirectIoOptions& options);

} // namespace pop3d
