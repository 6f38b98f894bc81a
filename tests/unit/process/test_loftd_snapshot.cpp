// The resolved configuration loftd writes for its workers: which file each
// service reads, owner and mode, atomic replacement, and that it loads back.
#include "config_snapshot.hpp"
#include "process.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

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

struct stat stat_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st;
}

} // namespace

TEST_CASE("each worker group gets its own snapshot file; the first one loft-resolved.conf") {
    loftd::Plan plan;
    plan.base_dir = "/run/loft";
    plan.services = {service("imap-login", 5000), service("auth", std::nullopt), service("lmtp", 5000),
                     service("managesieve-login", 6000)};
    auto files = loftd::assign_snapshot_files(plan);
    REQUIRE(files.size() == 2);
    CHECK(files[0].path == "/run/loft/loft-resolved.conf");
    CHECK(files[0].group == gid_t(5000));
    CHECK(files[1].path == "/run/loft/loft-resolved-6000.conf");
    CHECK(files[1].group == gid_t(6000));
    CHECK(plan.services[0].config_path == files[0].path);
    CHECK(plan.services[1].config_path == files[0].path); // keeps root: reads anything
    CHECK(plan.services[2].config_path == files[0].path);
    CHECK(plan.services[3].config_path == files[1].path);

    loftd::Plan unprivileged; // loftd not root: nobody's group to give it to
    unprivileged.base_dir = "/tmp/x";
    unprivileged.services = {service("imap-login", std::nullopt)};
    auto own = loftd::assign_snapshot_files(unprivileged);
    REQUIRE(own.size() == 1);
    CHECK(own[0].path == "/tmp/x/loft-resolved.conf");
    CHECK_FALSE(own[0].group);
}

TEST_CASE("snapshots are written whole, private, and load back to the same configuration") {
    TempDir dir;
    std::ofstream(dir.path / "key.pem") << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    std::ofstream(dir.path / "loft.conf") << "login_greeting = Hello $instance_name\nssl_key = <key.pem\n"
                                             "protocol imap {\n  login_greeting = IMAP\n}\n";
    auto config = mailstore::config::Config::load_file((dir.path / "loft.conf").string());
    REQUIRE_MESSAGE(config.is_ok(), config.status().message());
    auto text = loftd::snapshot_text(*config, (dir.path / "loft.conf").string());
    REQUIRE(text.is_ok());
    CHECK(text->rfind("# The configuration loftd's workers read: " + (dir.path / "loft.conf").string(), 0) == 0);

    bool root = geteuid() == 0;
    std::vector<loftd::SnapshotFile> files{{(dir.path / "loft-resolved.conf").string(),
                                            root ? std::optional<gid_t>(4343) : std::nullopt}};
    // A stale file of a group no longer used, and one still in use.
    std::ofstream(dir.path / "loft-resolved-77.conf") << "old";
    std::ofstream(dir.path / "loft-resolved.conf") << "old";
    REQUIRE(loftd::write_snapshots(files, *text));
    loftd::remove_stale_snapshots(dir.path.string(), files);
    CHECK_FALSE(std::filesystem::exists(dir.path / "loft-resolved-77.conf"));
    CHECK_FALSE(std::filesystem::exists(dir.path / "loft-resolved.conf.tmp"));
    CHECK(slurp(dir.path / "loft-resolved.conf") == *text);
    auto st = stat_of(dir.path / "loft-resolved.conf");
    if (root) {
        CHECK(st.st_uid == 0u);
        CHECK(st.st_gid == 4343u);
        CHECK((st.st_mode & 0777) == 0640);
    } else {
        CHECK(st.st_uid == geteuid());
        CHECK((st.st_mode & 0777) == 0600);
    }

    auto back = mailstore::config::Config::load_file((dir.path / "loft-resolved.conf").string());
    REQUIRE_MESSAGE(back.is_ok(), back.status().message());
    CHECK(back->get("login_greeting") == "Hello loft");
    CHECK(back->get("login_greeting", {"imap", "", "", ""}) == "IMAP");
    CHECK(back->get("ssl_key") == config->get("ssl_key"));
}

TEST_CASE("a snapshot that would not load leaves the current file alone") {
    TempDir dir;
    std::vector<loftd::SnapshotFile> files{{(dir.path / "loft-resolved.conf").string(), std::nullopt}};
    REQUIRE(loftd::write_snapshots(files, "login_greeting = first\n"));
    auto st = loftd::write_snapshots(files, "login_greeting = \"unterminated\n");
    REQUIRE_FALSE(st);
    CHECK(st.message().find("the resolved configuration for the workers does not load: ") == 0);
    CHECK(slurp(dir.path / "loft-resolved.conf") == "login_greeting = first\n");
    CHECK_FALSE(std::filesystem::exists(dir.path / "loft-resolved.conf.tmp"));
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
