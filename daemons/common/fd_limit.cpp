#include "server.hpp"

#include <sys/resource.h>

namespace loft {

void raise_fd_limit(std::size_t needed, const mailstore::log::Logger& log) {
    rlimit current{};
    if (::getrlimit(RLIMIT_NOFILE, &current) != 0)
        return;
    if (current.rlim_cur != RLIM_INFINITY && current.rlim_cur >= needed)
        return;
    if (current.rlim_cur == RLIM_INFINITY)
        return;
    rlimit want = current;
    if (current.rlim_max == RLIM_INFINITY || current.rlim_max >= needed) {
        want.rlim_cur = needed;
    } else {
        // Only a privileged process may raise the hard limit; try, then fall
        // back to as far as the hard limit goes.
        want.rlim_cur = want.rlim_max = needed;
        if (::setrlimit(RLIMIT_NOFILE, &want) == 0)
            return;
        want = current;
        want.rlim_cur = current.rlim_max;
    }
    ::setrlimit(RLIMIT_NOFILE, &want);
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    if (now.rlim_cur != RLIM_INFINITY && now.rlim_cur < needed)
        log.warningf("fd limit (RLIMIT_NOFILE) is {}, lower than the {} the connection limits need; "
                     "raise it (ulimit -n, systemd LimitNOFILE=) or lower client_limit",
                     static_cast<unsigned long long>(now.rlim_cur), needed);
}

} // namespace loft
