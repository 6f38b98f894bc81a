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
