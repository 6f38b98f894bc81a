// The session's socket I/O on its blocking-pool thread (direct_io.hpp).
#include "direct_io.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

namespace imapd {

namespace {

using Clock = std::chrono::steady_clock;
using imapproto::Step;

// Command lines are short; an APPEND literal arrives in pieces of this size
// and the session buffers it (bounded by its own literal limits).
constexpr std::size_t kReadChunk = 64 * 1024;

enum class Wait { ready, quiet, other_work, failed };

// Waits for `events` on `fd` for up to `timeout`, or until `wake_fd` (if
// any) says other work needs the thread.
Wait wait_for(int fd, short events, int wake_fd, std::chrono::milliseconds timeout) {
    pollfd p[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const nfds_t count = wake_fd >= 0 ? 2 : 1;
    for (;;) {
        int r = ::poll(p, count, static_cast<int>(timeout.count()));
        if (r > 0) {
            if (p[0].revents != 0)
                return Wait::ready; // POLLHUP/POLLERR too: the next call reports it
            return Wait::other_work;
        }
        if (r == 0)
            return Wait::quiet;
        if (errno != EINTR)
            return Wait::failed;
    }
}

enum class Sent { all, would_block, failed };

// Writes what the session holds; the rest stays in the session. The result
// is explicit rather than left in errno (a send() that returns 0 sets none).
Sent send_some(imapproto::Session& session, int fd) {
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

bool may_go_on(const DirectIoOptions& options, Clock::time_point end) {
    return Clock::now() < end && (!options.may_linger || options.may_linger());
}

} // namespace

Step run_direct(imapproto::Session& session, int fd, const DirectIoOptions& options) {
    const auto end = Clock::now() + options.slice;
    char input[kReadChunk];
    for (;;) {
        Step step = session.run();
        // IDLE and NOTIFY need the daemon's watches and connection state:
        // the I/O side sends this answer (IDLE's continuation) itself, after
        // it shows the connection idling, as for any session.
        if (session.idling() || session.notify_active())
            return step;
        for (Sent sent = send_some(session, fd); sent != Sent::all; sent = send_some(session, fd)) {
            // Room in the send buffer soon (a client reading a big FETCH as
            // fast as it comes): keep going here; else the I/O thread waits.
            if (sent == Sent::failed || !may_go_on(options, end))
                return step;
            if (wait_for(fd, POLLOUT, options.wake_fd, options.linger) != Wait::ready)
                return step;
        }
        if (step.kind != Step::Kind::flush && step.kind != Step::Kind::read)
            return step;
        // Other connections' work waits for this thread: give it up between
        // pieces of a big answer too, not only when the client is quiet.
        if (!may_go_on(options, end))
            return step;
        if (step.kind == Step::Kind::flush)
            continue;
        if (wait_for(fd, POLLIN, options.wake_fd, options.linger) != Wait::ready)
            return step;
        const ssize_t n = ::recv(fd, input, sizeof input, MSG_DONTWAIT);
        if (n <= 0)
            return step; // end of input or an error: the I/O thread's read sees it too
        session.feed(std::string_view(input, static_cast<std::size_t>(n)));
    }
}

} // namespace imapd
