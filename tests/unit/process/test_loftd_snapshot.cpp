// The resolved configuration loftd hands its workers: a memfd, its owner and
// mode, how a worker reads it, rewriting in place.
#include "config_snapshot.hpp"
#include "process.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "loft-snapshot-XXXXXX").string();
        path = mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

loftd::ServicePlan service(const std::string& name, std::optional<gid_t> gid) {
    loftd::ServicePlan sp;
    sp.service = name;
    if (gid)
        sp.credentials = loft::Credentials{"worker", 4242, *gid, false};
    return sp;
}


} // namespace

TEST_CASE("the workers' configuration lives in a memfd the worker reads through /proc/self/fd") {
    TempDir dir;
    {
        std::ofstream(dir.path / "key.pem") << "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";
        std::ofstream(dir.path / "loft.conf") << "login_greeting = hello\nssl_key = <key.pem\n";
    }
    auto config = mailstore::config::Config::load_file((dir.path / "loft.conf").string());
    REQUIRE_MESSAGE(config.is_ok(), config.status().message());
    auto text = loftd::snapshot_text(*config, (dir.path / "loft.conf").string());
    REQUIRE_MESSAGE(text.is_ok(), text.status().message());
    CHECK(text->find("BEGIN PRIVATE KEY") != std::string::npos);

    auto memfd = loftd::ConfigMemfd::create(std::nullopt, *text);
    REQUIRE_MESSAGE(memfd.is_ok(), memfd.status().message());
    struct stat st {};
    REQUIRE(fstat((*memfd)->fd(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0400);
    CHECK(st.st_uid == geteuid());
    CHECK((fcntl((*memfd)->fd(), F_GETFD) & FD_CLOEXEC) != 0);

    // A worker gets it right after its (no) listeners, at fd 3, and reads
    // it by path; a rewrite in place is what the next open sees.
    std::string out = (dir.path / "seen").string();
    auto run_worker = [&] {
        loft::WorkerLaunch launch;
        launch.binary = "/bin/sh";
        launch.args = {"-c", "cat /proc/self/fd/3 > " + out};
        launch.inherited_fds = {(*memfd)->fd()};
        auto pid = loft::spawn_worker(launch);
        REQUIRE_MESSAGE(pid.is_ok(), pid.status().message());
        int status = 0;
        REQUIRE(waitpid(*pid, &status, 0) == *pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        return slurp(out);
    };
    CHECK(run_worker() == *text);
    REQUIRE((*memfd)->rewrite("login_greeting = second\n"));
    CHECK(run_worker() == "login_greeting = second\n");

    // Nothing of it is on disk.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path))
        if (entry.path().filename() != "key.pem")
            CHECK(slurp(entry.path()).find("secret") == std::string::npos);
}

TEST_CASE("a memfd for a group is root's and readable by that group only") {
    if (geteuid() != 0)
        return; // fchown needs root
    auto memfd = loftd::ConfigMemfd::create(gid_t(4242), "login_greeting = x\n");
    REQUIRE_MESSAGE(memfd.is_ok(), memfd.status().message());
    struct stat st {};
    REQUIRE(fstat((*memfd)->fd(), &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 4242);
    CHECK((st.st_mode & 0777) == 0440);
    CHECK(loftd::snapshot_group(service("imap-login", gid_t(4242))) == gid_t(4242));
    CHECK_FALSE(loftd::snapshot_group(service("auth", std::nullopt)));
}

TEST_CASE("resolved-config files earlier versions left in base_dir are removed") {
    TempDir dir;
    std::ofstream(dir.path / "loft-resolved.conf") << "ssl_key = secret\n";
    std::ofstream(dir.path / "loft-resolved-100.conf.tmp") << "ssl_key = secret\n";
    std::ofstream(dir.path / "master.pid") << "1\n";
    loftd::remove_snapshot_files(dir.path.string());
    CHECK_FALSE(std::filesystem::exists(dir.path / "loft-resolved.conf"));
    CHECK_FALSE(std::filesystem::exists(dir.path / "loft-resolved-100.conf.tmp"));
    CHECK(std::filesystem::exists(dir.path / "master.pid"));
}

TEST_CASE("a worker starts with the address-space limit it is given") {
    TempDir dir;
    std::string out = (dir.path / "limits").string();
    loft::WorkerLaunch launch;
    launch.binary = "/bin/sh";
    launch.args = {"-c", "grep 'Max address space' /proc/self/limits > " + out};
    launch.address_space_limit = 3ull * 1024 * 1024 * 1024;
    auto pid = loft::spawn_worker(launch);
    REQUIRE_MESSAGE(pid.is_ok(), pid.status().message());
    int status = 0;
    REQUIRE(waitpid(*pid, &status, 0) == *pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::istringstream line(slurp(out));
    std::string max, address, space, soft, hard;
    line >> max >> address >> space >> soft >> hard;
    CHECK(soft == "3221225472");
    CHECK(hard == "3221225472");
}
