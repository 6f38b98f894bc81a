// ChangeWatcher: changes by another Mailbox object and by another process
// make fd() readable and dispatch() runs the callback; the polling fallback
// (LOFT_STORAGE_FORCE_POLL=1) is tested in a child process, because the
// environment variable is read once per process.
#include "conformance.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace loft_test;

namespace {

// Waits (generously) for fd to become readable.
bool readable(int fd, int timeout_ms = 10000) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

// Polls and dispatches until the callback ran or the (generous) bound passes.
bool dispatch_until(bool& fired) {
    auto& watcher = ChangeWatcher::instance();
    for (int i = 0; i < 20 && !fired; ++i) {
        if (readable(watcher.fd(), 1000))
            watcher.dispatch();
    }
    return fired;
}

// Dispatches until nothing is due for longer than one polling interval, so
// an earlier change cannot be mistaken for the next one.
void drain() {
    auto& watcher = ChangeWatcher::instance();
    int quiet_ms = std::getenv("LOFT_STORAGE_FORCE_POLL") ? 1300 : 300;
    while (readable(watcher.fd(), quiet_ms))
        watcher.dispatch();
}

void watcher_scenario(StorageFixture& f) {
    auto idle = f.open();
    auto other = f.open();
    auto& watcher = ChangeWatcher::instance();
    REQUIRE(watcher.fd() >= 0);
    bool fired = false;
    auto handle = watcher.watch(idle, [&] { fired = true; });
    drain();
    fired = false;

    // Another Mailbox object of this process saves a message.
    save_all(other, {message_request(test_message(1))});
    CHECK(dispatch_until(fired));
    auto s = idle.sync();
    REQUIRE(s.is_ok());
    CHECK(s->count == 1);

    // Another process drops a file into new/ (as a delivery agent would).
    drain();
    fired = false;
    std::string new_dir;
    for (const auto& p : idle.watch_paths())
        if (p.size() >= 4 && p.compare(p.size() - 4, 4, "/new") == 0)
            new_dir = p;
    REQUIRE_FALSE(new_dir.empty());
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        FILE* out = std::fopen((new_dir + "/1700000000.M1P1.external").c_str(), "w");
        if (out) {
            std::fputs("Subject: external\n\nhi\n", out);
            std::fclose(out);
        }
        _exit(out ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(dispatch_until(fired));
    s = idle.sync();
    REQUIRE(s.is_ok());
    CHECK(s->count == 2);

    // After the handle goes, no callback runs.
    handle = ChangeWatcher::Handle();
    drain();
    fired = false;
    save_all(other, {message_request(test_message(3))});
    drain();
    CHECK_FALSE(fired);
}

} // namespace

TEST_CASE("ChangeWatcher: inotify or polling (LOFT_STORAGE_FORCE_POLL) notices changes") {
    const char* forced = std::getenv("LOFT_STORAGE_FORCE_POLL");
    CAPTURE(forced);
    StorageFixture f(conformance_locations()[0]);
    watcher_scenario(f);
}

TEST_CASE("ChangeWatcher: the polling fallback in a child process") {
    if (std::getenv("LOFT_STORAGE_FORCE_POLL"))
        return; // already the polling run
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // A fresh process image so the watcher singleton starts in polling mode.
        ::setenv("LOFT_STORAGE_FORCE_POLL", "1", 1);
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            _exit(2);
        self[n] = 0;
        execl(self, self, "-tc=ChangeWatcher: inotify*", "-nv", static_cast<char*>(nullptr));
        _exit(3);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("ChangeWatcher::watch_paths: a path set (a mailbox root, another mailbox's paths)") {
    StorageFixture f(conformance_locations()[0]);
    auto inbox = f.open();
    REQUIRE(f.user->create_mailbox("Other").is_ok());
    auto other = f.open("Other");
    auto writer = f.open("Other");
    auto& watcher = ChangeWatcher::instance();
    // The root: the directory that holds INBOX's new/ (where Maildir++
    // creates the other mailboxes' directories).
    std::string root;
    for (const auto& p : inbox.watch_paths())
        if (p.size() >= 4 && p.compare(p.size() - 4, 4, "/new") == 0)
            root = p.substr(0, p.size() - 4);
    REQUIRE_FALSE(root.empty());
    std::vector<std::string> paths = other.watch_paths();
    paths.push_back(root);
    bool fired = false;
    auto handle = watcher.watch_paths(paths, [&] { fired = true; });
    drain();
    fired = false;

    // A message saved into the other mailbox.
    save_all(writer, {message_request(test_message(1))});
    CHECK(dispatch_until(fired));

    // A mailbox created under the root.
    drain();
    fired = false;
    REQUIRE(f.user->create_mailbox("Third").is_ok());
    CHECK(dispatch_until(fired));

    // Released: nothing fires any more.
    handle = ChangeWatcher::Handle();
    drain();
    fired = false;
    REQUIRE(f.user->create_mailbox("Fourth").is_ok());
    drain();
    CHECK_FALSE(fired);
}
