// Starting and supervising worker processes: fork + exec with inherited
// listeners and dropped privileges, describing how a process ended, and the
// restart backoff for workers that keep dying.
#pragma once

#include "listeners.hpp"
#include "privileges.hpp"

#include <mailstore/status.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace loft {

// How long to wait before restarting a worker that exited unexpectedly:
// initial, then doubling per quick failure up to `max`; a worker that stayed
// up for `stable` or longer starts again at `initial`. One crash restarts
// quickly, a crash loop settles at one attempt per `max` instead of spinning.
class RestartBackoff {
public:
    using Duration = std::chrono::milliseconds;

    explicit RestartBackoff(Duration initial = std::chrono::seconds(1),
                            Duration max = std::chrono::seconds(60),
                            Duration stable = std::chrono::seconds(30))
        : initial_(initial), max_(max), stable_(stable), next_(initial) {}

    // The worker exited after running `uptime`: the delay before the restart.
    Duration on_exit(Duration uptime);
    // The delay the next quick failure would get.
    Duration next() const { return next_; }
    void reset() { next_ = initial_; }

private:
    Duration initial_, max_, stable_, next_;
};

// "exited with status 1", "killed by signal 9 (SIGKILL)", "killed by signal
// 11 (SIGSEGV), core dumped" — for a waitpid() status.
std::string describe_wait_status(int status);

// What to run in a worker process.
struct WorkerLaunch {
    std::string binary;             // absolute path
    std::vector<std::string> args;  // argv[1..]
    std::vector<BoundListener> listeners; // become fds 3.. with LISTEN_FDS
    // Become this user before exec; nullopt keeps the current identity (loftd
    // not running as root).
    std::optional<Credentials> credentials;
    // More descriptors for the worker, placed right after the listeners
    // (fd 3 + listeners.size(), then on) in this order, so the program can
    // be told their numbers (`-c /proc/self/fd/N`). They may be close-on-exec
    // here; the child's copies are not.
    std::vector<int> inherited_fds;
    // Becomes the worker's fd 2 (stderr) when >= 0, e.g. the write end of a
    // pipe loftd reads the worker's log lines from.
    int stderr_fd = -1;
    // Extra environment, "NAME=value".
    std::vector<std::string> environment;
    // Raise RLIMIT_NOFILE to at least this (0 = inherit loftd's). Done
    // before the privilege drop, so root can raise the hard limit too; a
    // non-root parent gets as far as its hard limit.
    unsigned long open_files = 0;
    // Address-space limit (RLIMIT_AS, soft and hard) in bytes, 0 = none:
    // Dovecot's vsz_limit. Set before the privilege drop, so the worker
    // cannot raise it again. A lower limit loftd already has is kept.
    unsigned long long address_space_limit = 0;
};

// Whether this build uses AddressSanitizer. Its shadow memory reserves
// terabytes of address space, so a worker built with it cannot start under
// an address-space limit: callers leave address_space_limit at 0 then.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kBuiltWithAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kBuiltWithAddressSanitizer = true;
#else
inline constexpr bool kBuiltWithAddressSanitizer = false;
#endif
#else
inline constexpr bool kBuiltWithAddressSanitizer = false;
#endif

// The open-files limit a worker would end up with when asking for `wanted`
// (the hard limit caps it unless running as root).
unsigned long reachable_open_files(unsigned long wanted);

// fork() and exec() `launch`. The child gets an empty signal mask and default
// signal dispositions, its own process group (so a signal to the group
// reaches the worker and anything it starts, and a terminal's Ctrl-C reaches
// only loftd), the listeners at fds 3.., no other inherited descriptors, and
// the credentials. Errors in the child before exec (setuid, exec itself) are
// reported back through a close-on-exec pipe, so they come back here as a
// Status naming the step instead of as a mysterious exit code.
mailstore::Result<pid_t> spawn_worker(const WorkerLaunch& launch);

// Absolute path of the running executable (/proc/self/exe), or "".
std::string self_executable();

} // namespace loft
