#include "storage/maildir/uidlist.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

using namespace mailstore;
using namespace mailstore::storage::maildir;
using fmt_test::TempDir;
using namespace std::chrono_literals;

namespace {
std::string host() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}
bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}
} // namespace

TEST_CASE("dotlock: holds pid:host like Dovecot and is released on destruction") {
    TempDir dir;
    const std::string path = dir / "dovecot-uidlist";
    {
        auto lock = Dotlock::acquire(path, 1000ms);
        REQUIRE(lock);
        CHECK(lock->held());
        CHECK(fmt_test::read_file(path + ".lock") == std::to_string(::getpid()) + ":" + host());
        auto second = Dotlock::acquire(path, 50ms);
        REQUIRE(!second);
        CHECK(second.status().code() == Status::Code::temporary_failure);
        CHECK(second.status().message().find(path + ".lock: locked by pid " + std::to_string(::getpid())) == 0);
        Dotlock moved = std::move(lock.value());
        CHECK(moved.held());
        CHECK(!lock->held());
    }
    CHECK(!exists(path + ".lock"));
}

TEST_CASE("dotlock: release() is explicit and idempotent") {
    TempDir dir;
    auto lock = Dotlock::acquire(dir / "f", 100ms);
    REQUIRE(lock);
    lock->release();
    CHECK(!lock->held());
    CHECK(!exists(dir / "f.lock"));
    lock->release();
}

TEST_CASE("dotlock: a lock of a dead process on this host is broken") {
    TempDir dir;
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    fmt_test::write_file(dir / "f.lock", std::to_string(child) + ":" + host());
    auto lock = Dotlock::acquire(dir / "f", 1000ms);
    REQUIRE(lock);
    CHECK(fmt_test::read_file(dir / "f.lock") == std::to_string(::getpid()) + ":" + host());
}

TEST_CASE("dotlock: a live process's lock or one of another host is waited for, an old one broken") {
    TempDir dir;
    fmt_test::write_file(dir / "f.lock", "1:" + host()); // pid 1 lives
    CHECK(Dotlock::acquire(dir / "f", 30ms).status().code() == Status::Code::temporary_failure);
    fmt_test::write_file(dir / "f.lock", "999999:other-host.example"); // cannot check
    auto r = Dotlock::acquire(dir / "f", 30ms);
    REQUIRE(!r);
    CHECK(r.status().message().find("locked by pid 999999 on other-host.example") != std::string::npos);
    // Empty content (being written) is not a dead pid.
    fmt_test::write_file(dir / "f.lock", "");
    CHECK(!Dotlock::acquire(dir / "f", 30ms));
    // Older than stale_after: broken.
    struct utimbuf old {};
    old.actime = old.modtime = ::time(nullptr) - 600;
    REQUIRE(::utime((dir / "f.lock").c_str(), &old) == 0);
    auto lock = Dotlock::acquire(dir / "f", 1000ms, std::chrono::seconds(120));
    REQUIRE(lock);
}

TEST_CASE("dotlock: an empty lock a few seconds old was abandoned by a killed writer and is broken") {
    TempDir dir;
    fmt_test::write_file(dir / "f.lock", "");
    struct utimbuf old {};
    old.actime = old.modtime = ::time(nullptr) - 10;
    REQUIRE(::utime((dir / "f.lock").c_str(), &old) == 0);
    auto lock = Dotlock::acquire(dir / "f", 1000ms, std::chrono::seconds(120));
    REQUIRE(lock);
    CHECK(fmt_test::read_file(dir / "f.lock") == std::to_string(::getpid()) + ":" + host());
}

TEST_CASE("dotlock: the lock never exists without its pid:host, and no temporary file is left") {
    TempDir dir;
    {
        auto lock = Dotlock::acquire(dir / "f", 100ms);
        REQUIRE(lock);
        CHECK(!fmt_test::read_file(dir / "f.lock").empty());
    }
    // Only the directory's own entries remain.
    const std::string listing = [&] {
        std::string names;
        for (const auto& e : std::filesystem::directory_iterator(dir.path)) names += e.path().filename().string() + " ";
        return names;
    }();
    CHECK(listing == "");
}

TEST_CASE("dotlock: a lock taken over by someone else is not removed by the old holder") {
    TempDir dir;
    auto lock = Dotlock::acquire(dir / "f", 100ms);
    REQUIRE(lock);
    ::unlink((dir / "f.lock").c_str());
    fmt_test::write_file(dir / "f.lock", "1:elsewhere");
    lock->release();
    CHECK(fmt_test::read_file(dir / "f.lock") == "1:elsewhere");
}

TEST_CASE("dotlock: an unwritable directory fails with the path and leaves nothing") {
    TempDir dir;
    auto r = Dotlock::acquire(dir / "missing/f", 100ms);
    REQUIRE(!r);
    CHECK(r.status().message().find(dir / "missing/f.lock") == 0);
}
