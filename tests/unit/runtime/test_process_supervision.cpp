// Restart backoff, exit descriptions and spawning workers.
#include "process.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

TEST_CASE("restart backoff doubles per quick failure up to the cap and resets after a stable run") {
    loft::RestartBackoff backoff(1s, 60s, 30s);
    std::vector<long> delays;
    for (int i = 0; i < 9; ++i)
        delays.push_back(std::chrono::duration_cast<std::chrono::seconds>(backoff.on_exit(Ms(100))).count());
    CHECK(delays == std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60});
    // Up for a while: the next crash is treated as a first one.
    CHECK(backoff.on_exit(Ms(31000)) == Ms(1000));
    CHECK(backoff.on_exit(Ms(10)) == Ms(2000));
    backoff.reset();
    CHECK(backoff.next() == Ms(1000));
}

TEST_CASE("describe_wait_status says how a process ended") {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(3);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(loft::describe_wait_status(status) == "exited with status 3");

    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    kill(pid, SIGKILL);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(loft::describe_wait_status(status) == "killed by signal 9 (SIGKILL)");
}

namespace {

int wait_exit_code(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

TEST_CASE("spawn_worker passes listeners as fds 3.. with LISTEN_FDS and arguments") {
    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    loft::WorkerLaunch launch;
    launch.binary = "/bin/sh";
    launch.args = {"-c", "test \"$LISTEN_FDS\" = 1 && test \"$LISTEN_FDNAMES\" = svc/one && "
                         "test \"$LISTEN_PID\" = $$ && test -S /proc/self/fd/3 && test \"$1\" = arg",
                   "sh", "arg"};
    loft::BoundListener l;
    l.spec.service = "svc";
    l.spec.name = "one";
    l.fd = pair[0];
    launch.listeners = {l};
    auto pid = loft::spawn_worker(launch);
    REQUIRE(pid.is_ok());
    CHECK(getpgid(*pid) == *pid); // its own process group (still true while it is an unreaped zombie)
    CHECK(wait_exit_code(*pid) == 0);
    close(pair[0]);
    close(pair[1]);
}

TEST_CASE("spawn_worker reports a failed exec as an error, not an exit code") {
    loft::WorkerLaunch launch;
    launch.binary = "/nonexistent/loft-nothing";
    auto pid = loft::spawn_worker(launch);
    REQUIRE_FALSE(pid.is_ok());
    CHECK(pid.status().message() == "cannot start /nonexistent/loft-nothing: exec: No such file or directory");
}

TEST_CASE("spawn_worker drops privileges before exec when asked") {
    if (geteuid() != 0) {
        MESSAGE("not root: privilege drop not testable");
        return;
    }
    auto creds = loft::resolve_credentials("nobody", "", "test");
    REQUIRE(creds.is_ok());
    loft::WorkerLaunch launch;
    launch.binary = "/bin/sh";
    launch.args = {"-c", "test \"$(id -u)\" = " + std::to_string(creds->uid)};
    launch.credentials = *creds;
    auto pid = loft::spawn_worker(launch);
    REQUIRE(pid.is_ok());
    CHECK(wait_exit_code(*pid) == 0);
}
