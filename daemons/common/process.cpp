#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/close_range.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace loft {

using mailstore::Result;
using mailstore::Status;

RestartBackoff::Duration RestartBackoff::on_exit(Duration uptime) {
    if (uptime >= stable_)
        next_ = initial_;
    Duration delay = next_;
    next_ = std::min(next_ * 2, max_);
    return delay;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char* abbrev = sigabbrev_np(sig);
        std::string text = "killed by signal " + std::to_string(sig);
        if (abbrev)
            text += std::string(" (SIG") + abbrev + ")";
        if (WCOREDUMP(status))
            text += ", core dumped";
        return text;
    }
    return "ended with wait status " + std::to_string(status);
}

unsigned long reachable_open_files(unsigned long wanted) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 0;
    if (lim.rlim_cur >= wanted || geteuid() == 0)
        return std::max<unsigned long>(lim.rlim_cur, wanted);
    return lim.rlim_max == RLIM_INFINITY ? wanted : std::min<unsigned long>(lim.rlim_max, wanted);
}

std::string self_executable() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return {};
    return std::string(buf, static_cast<size_t>(n));
}

namespace {

// The child's report of what failed, written to the error pipe. loftd is
// single-threaded, so the child may still allocate (setenv) before exec.
[[noreturn]] void child_fail(int pipe_fd, const char* step, int err) {
    const char* text = strerrordesc_np(err);
    if (!text)
        text = "unknown error";
    (void)!write(pipe_fd, step, strlen(step));
    (void)!write(pipe_fd, ": ", 2);
    (void)!write(pipe_fd, text, strlen(text));
    _exit(127);
}

} // namespace

Result<pid_t> spawn_worker(const WorkerLaunch& launch) {
    // Everything the child needs is prepared here, before fork().
    std::vector<std::string> argv_store;
    argv_store.push_back(launch.binary);
    argv_store.insert(argv_store.end(), launch.args.begin(), launch.args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_store)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    std::vector<gid_t> groups;
    if (launch.credentials)
        groups = supplementary_groups(*launch.credentials);

    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0)
        return Status::io(std::string("pipe: ") + std::strerror(errno));

    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(err_pipe[0]);
        close(err_pipe[1]);
        return Status::io(std::string("fork: ") + std::strerror(err));
    }
    if (pid == 0) {
        close(err_pipe[0]);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGQUIT})
            signal(sig, SIG_DFL);
        setpgid(0, 0);

        // The error pipe must survive the fd shuffle below: move it above
        // the range the listeners will occupy.
        const int fixed_end = 3 + static_cast<int>(launch.listeners.size() + launch.inherited_fds.size());
        int report = fcntl(err_pipe[1], F_DUPFD_CLOEXEC, fixed_end + 16);
        if (report < 0)
            report = err_pipe[1];
        // A worker never reads the terminal (in its own process group it
        // would be stopped by SIGTTIN if it tried); stdout/stderr stay for logs.
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0 && devnull != STDIN_FILENO) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        if (launch.stderr_fd >= 0 && dup2(launch.stderr_fd, STDERR_FILENO) < 0)
            child_fail(report, "dup2 of stderr", errno);
        // Park the extra descriptors above everything the listener shuffle
        // touches, then put them right after the listeners.
        std::vector<int> parked;
        for (int fd : launch.inherited_fds) {
            int high = fcntl(fd, F_DUPFD_CLOEXEC, fixed_end + 32);
            if (high < 0)
                child_fail(report, "dup of an inherited descriptor", errno);
            parked.push_back(high);
        }
        Status moved = pass_listeners_to_exec(launch.listeners);
        if (!moved)
            child_fail(report, "passing listeners", EBADF);
        for (size_t i = 0; i < parked.size(); ++i) {
            int target = 3 + static_cast<int>(launch.listeners.size() + i);
            if (dup2(parked[i], target) < 0) // the copy is not close-on-exec
                child_fail(report, "dup2 of an inherited descriptor", errno);
            close(parked[i]);
        }
        for (const auto& var : launch.environment)
            putenv(const_cast<char*>(var.c_str()));

        if (launch.open_files > 0) {
            rlimit lim{};
            if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < launch.open_files) {
                lim.rlim_cur = launch.open_files;
                if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < lim.rlim_cur) {
                    if (geteuid() == 0)
                        lim.rlim_max = lim.rlim_cur;
                    else
                        lim.rlim_cur = lim.rlim_max;
                }
                setrlimit(RLIMIT_NOFILE, &lim); // best effort; loftd warned already
            }
        }
        if (launch.address_space_limit > 0) {
            rlimit lim{};
            if (getrlimit(RLIMIT_AS, &lim) != 0)
                child_fail(report, "getrlimit(RLIMIT_AS)", errno);
            rlim_t wanted = static_cast<rlim_t>(launch.address_space_limit);
            if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max > wanted) {
                lim.rlim_cur = wanted;
                lim.rlim_max = wanted;
            } else {
                lim.rlim_cur = lim.rlim_max; // already stricter than asked
            }
            if (setrlimit(RLIMIT_AS, &lim) != 0)
                child_fail(report, "setrlimit(RLIMIT_AS)", errno);
        }
        if (launch.credentials) {
            const char* step = "";
            int err = drop_privileges_prepared(launch.credentials->uid, launch.credentials->gid,
                                               groups, &step);
            if (err != 0)
                child_fail(report, step, err);
        }
        // Nothing of loftd's leaks into the worker except stdio, the
        // listeners (3..) and the inherited descriptors after them; the
        // error pipe is close-on-exec already.
        unsigned first_free = static_cast<unsigned>(fixed_end);
        if (close_range(first_free, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            long max_fd = sysconf(_SC_OPEN_MAX);
            for (long fd = first_free; fd < (max_fd > 0 ? max_fd : 65536); ++fd)
                if (fd != report)
                    fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
        }
        execv(launch.binary.c_str(), argv.data());
        child_fail(report, "exec", errno);
    }

    // Both sides call setpgid so the group exists whichever runs first.
    setpgid(pid, pid);
    close(err_pipe[1]);
    std::string report;
    char buf[256];
    for (;;) {
        ssize_t n = read(err_pipe[0], buf, sizeof buf);
        if (n > 0) {
            report.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    close(err_pipe[0]);
    if (!report.empty()) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        std::string who = launch.credentials ? " as " + launch.credentials->describe() : std::string();
        return Status::error(Status::Code::permission_denied,
                             "cannot start " + launch.binary + who + ": " + report);
    }
    return pid;
}

} // namespace loft
