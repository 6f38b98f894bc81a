// The pid file: a record of the pid and a lock held for the process's life.
#include "pidfile.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "loft-pidfile-XXXXXX").string();
        path = mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("parse_pid accepts a positive number with whitespace, nothing else") {
    CHECK(loft::parse_pid("1234\n") == 1234);
    CHECK(loft::parse_pid("  77 ") == 77);
    CHECK_FALSE(loft::parse_pid(""));
    CHECK_FALSE(loft::parse_pid("0"));
    CHECK_FALSE(loft::parse_pid("-5"));
    CHECK_FALSE(loft::parse_pid("12abc"));
    CHECK_FALSE(loft::parse_pid("99999999999999"));
}

TEST_CASE("a pid file records the pid, refuses a second owner and is removed at the end") {
    TempDir dir;
    std::string path = (dir.path / "master.pid").string();
    {
        auto first = loft::PidFile::acquire(path, "loftd");
        REQUIRE(first.is_ok());
        CHECK(slurp(path) == std::to_string(getpid()) + "\n");
        CHECK(loft::running_pid(path) == getpid());

        auto second = loft::PidFile::acquire(path, "loftd");
        REQUIRE_FALSE(second.is_ok());
        CHECK(second.status().code() == mailstore::Status::Code::already_exists);
        CHECK(second.status().message().find("loftd is already running (pid " + std::to_string(getpid()) + ")") !=
              std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(loft::running_pid(path));
}

TEST_CASE("a stale pid file (nobody holds its lock) is replaced") {
    TempDir dir;
    std::string path = (dir.path / "master.pid").string();
    std::ofstream(path) << "1\n"; // pid 1 is alive, but it does not hold the lock
    CHECK_FALSE(loft::running_pid(path));
    auto pidfile = loft::PidFile::acquire(path, "loftd");
    REQUIRE(pidfile.is_ok());
    CHECK(slurp(path) == std::to_string(getpid()) + "\n");
}

TEST_CASE("remove() leaves a pid file alone that is no longer ours") {
    TempDir dir;
    std::string path = (dir.path / "master.pid").string();
    auto pidfile = loft::PidFile::acquire(path, "loftd");
    REQUIRE(pidfile.is_ok());
    std::filesystem::remove(path);
    std::ofstream(path) << "4242\n"; // another instance's file
    pidfile->remove();
    CHECK(std::filesystem::exists(path));
}
