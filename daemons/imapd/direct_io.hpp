// The IMAP session run together with its socket I/O on one blocking-pool
// thread. Handing each command's run() to the pool and its answer back to
// the I/O thread costs two thread wake-ups per command, and on a busy
// machine each wake-up is a wait in the CPU's run queue: with 50 webmail
// clients on a loaded two-core box the I/O thread spent 60% of the time
// waiting to run and every command's p50 was 15-40 ms for about 0.4 ms of
// CPU (docs/imapd.md, "Threads and I/O"). Here the pool thread writes the
// answer itself and then waits a short while (`linger`) for the next
// command, so a busy session costs one wake-up per command, as a process
// per session would, while an idle one holds no thread: when the client
// goes quiet, the socket fills or anything else needs the I/O thread (IDLE,
// NOTIFY, TLS, a timer, a close), the job returns and the connection's
// coroutine carries on as before. Same scheme as loft-pop3d's direct I/O.
#pragma once

#include <imapproto/session.hpp>

#include <chrono>
#include <functional>

namespace imapd {

struct DirectIoOptions {
    // How long the thread waits for the client's next command (or for room
    // in the socket's send buffer) before handing the connection back.
    std::chrono::milliseconds linger{2};
    // The longest one job runs, so shutdown, kicks, timeouts and other
    // connections' jobs are not held up by one busy client.
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
// own backpressure and timeout). Returns as soon as the session needs the
// daemon for anything but reading and writing: a step other than read or
// flush, or IDLE or NOTIFY in force (their watches are the daemon's; the
// answer that started them is left in the session for the daemon to send).
imapproto::Step run_direct(imapproto::Session& session, int fd, const DirectIoOptions& options);

} // namespace imapd
