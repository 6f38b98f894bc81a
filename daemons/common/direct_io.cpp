// The socket side of a pool thread's direct I/O (direct_io.hpp).
#include "direct_io.hpp"

#include <poll.h>

namespace loft::direct_io_detail {

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

bool may_go_on(const DirectIoOptions& options, std::chrono::steady_clock::time_point end) {
    return std::chrono::steady_clock::now() < end && (!options.may_linger || options.may_linger());
}

ssize_t receive(int fd, std::size_t size, const char*& data) {
    // One buffer per pool thread: the data is fed to the session before the
    // thread reads again.
    thread_local char buffer[kMaxReadChunk];
    data = buffer;
    return ::recv(fd, buffer, size < sizeof buffer ? size : sizeof buffer, MSG_DONTWAIT);
}

} // namespace loft::direct_io_detail
