#include "ip_limiter.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace loft;

TEST_CASE("per-IP counts within a process") {
    IpLimiter limiter("", false);
    CHECK(limiter.acquire("192.0.2.1", 2));
    CHECK(limiter.acquire("192.0.2.1", 2));
    CHECK_FALSE(limiter.acquire("192.0.2.1", 2));
    CHECK(limiter.acquire("192.0.2.2", 2));
    CHECK(limiter.acquire("::ffff:192.0.2.2", 2)); // same address as 192.0.2.2
    CHECK_FALSE(limiter.acquire("192.0.2.2", 2));
    limiter.release("192.0.2.1");
    CHECK(limiter.count("192.0.2.1") == 1);
    CHECK(limiter.acquire("192.0.2.1", 2));
    CHECK(limiter.acquire("", 1)); // no IP (unix socket): not counted
    CHECK(limiter.acquire("192.0.2.9", 0)); // 0 = no limit
}

TEST_CASE("per-IP counts are shared between processes and freed when one dies") {
    char tmpl[] = "/tmp/loft-iplimit-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/table";
    IpLimiter parent(path, true);
    REQUIRE(parent.shared());
    int to_parent[2], to_child[2];
    REQUIRE(pipe(to_parent) == 0);
    REQUIRE(pipe(to_child) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The child holds two connections from 203.0.113.5, then waits and
        // exits without releasing them (a crashed worker).
        IpLimiter child(path, false);
        bool ok = child.acquire("203.0.113.5", 10) && child.acquire("203.0.113.5", 10);
        char c = ok ? 'y' : 'n';
        (void)!write(to_parent[1], &c, 1);
        (void)!read(to_child[0], &c, 1);
        _exit(0); // skips destructors: the slots stay behind
    }
    char c = 0;
    REQUIRE(read(to_parent[0], &c, 1) == 1);
    CHECK(c == 'y');
    CHECK(parent.count("203.0.113.5") == 2);
    CHECK(parent.acquire("203.0.113.5", 3));
    CHECK_FALSE(parent.acquire("203.0.113.5", 3));
    (void)!write(to_child[1], &c, 1);
    int status = 0;
    waitpid(pid, &status, 0);
    // The dead child's connections no longer count.
    CHECK(parent.count("203.0.113.5") == 1);
    CHECK(parent.acquire("203.0.113.5", 3));
    unlink(path.c_str());
    rmdir(dir.c_str());
}

// Forks `children` workers that all try to admit 200 clients from one IP at
// the same moment; returns how many they admitted together.
static unsigned race_for_one_ip(const std::string& path, unsigned limit, IpLimiter& parent) {
    constexpr int kChildren = 4;
    int go[2], done[2], release[2];
    REQUIRE(pipe(go) == 0);
    REQUIRE(pipe(done) == 0);
    REQUIRE(pipe(release) == 0);
    pid_t pids[kChildren];
    for (int i = 0; i < kChildren; ++i) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0) {
            IpLimiter child(path, false);
            char c;
            (void)!read(go[0], &c, 1); // all children start together
            unsigned admitted = 0;
            for (int k = 0; k < 200; ++k)
                admitted += child.acquire("198.51.100.7", limit) ? 1 : 0;
            c = static_cast<char>(admitted);
            (void)!write(done[1], &c, 1);
            (void)!read(release[0], &c, 1); // hold the connections until told
            _exit(0);
        }
    }
    char start[kChildren] = {};
    REQUIRE(write(go[1], start, kChildren) == kChildren);
    unsigned total = 0;
    for (int i = 0; i < kChildren; ++i) {
        char c = 0;
        REQUIRE(read(done[0], &c, 1) == 1);
        total += static_cast<unsigned char>(c);
    }
    CHECK(parent.count("198.51.100.7") == total);
    REQUIRE(write(release[1], start, kChildren) == kChildren);
    for (pid_t pid : pids)
        waitpid(pid, nullptr, 0);
    for (int fd : {go[0], go[1], done[0], done[1], release[0], release[1]})
        close(fd);
    return total;
}

TEST_CASE("processes racing for the same IP never admit more than the limit together") {
    char tmpl[] = "/tmp/loft-iplimit-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/table";
    IpLimiter parent(path, true);
    REQUIRE(parent.shared());
    // The race is short; repeat it so a check-then-increment table would be caught.
    for (int round = 0; round < 10; ++round) {
        CAPTURE(round);
        CHECK(race_for_one_ip(path, 5, parent) <= 5);
        CHECK(parent.count("198.51.100.7") == 0); // the children exited cleanly
    }
    unlink(path.c_str());
    rmdir(dir.c_str());
}
