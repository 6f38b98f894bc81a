// From config to the services loftd runs: binaries, limits, users.
#include "service_plan.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "loft-plan-XXXXXX").string();
        path = mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

void make_executable(const std::filesystem::path& p) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << "#!/bin/sh\n";
    chmod(p.c_str(), 0755);
}

mailstore::config::Config load(const std::string& text) {
    auto config = mailstore::config::Config::load_string(text);
    REQUIRE_MESSAGE(config.is_ok(), config.status().message());
    return *config;
}

} // namespace

TEST_CASE("find_binary looks beside loftd, then in the build tree layout") {
    TempDir dir;
    loftd::PlanEnvironment env;
    env.search_dirs = {(dir.path / "daemons/loftd").string()};
    std::filesystem::create_directories(dir.path / "daemons/loftd");
    CHECK(loftd::find_binary("loft-imapd", env).empty());
    make_executable(dir.path / "daemons/imapd/loft-imapd");
    CHECK(loftd::find_binary("loft-imapd", env) == (dir.path / "daemons/imapd/loft-imapd").string());
    make_executable(dir.path / "daemons/loftd/loft-imapd");
    CHECK(loftd::find_binary("loft-imapd", env) == (dir.path / "daemons/loftd/loft-imapd").string());
    CHECK(loftd::find_binary("/bin/sh", env) == "/bin/sh");
    CHECK(loftd::find_binary("/nonexistent/x", env).empty());
}

TEST_CASE("a protocol without its daemon is reported, the others planned") {
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env; // not root: no users involved
    auto config = load("protocols = imap pop3 submission\nbase_dir = " + dir.path.string() +
                       "\nservice imap-login {\n executable = " + (dir.path / "echo").string() +
                       " --flag\n process_limit = 3\n inet_listener imap {\n  port = 10143\n }\n}\n"
                       "service pop3-login {\n inet_listener pop3 {\n  port = 10110\n }\n}\n");
    auto plan = loftd::make_plan(config, env);
    REQUIRE_MESSAGE(plan.is_ok(), plan.status().message());
    REQUIRE(plan->services.size() == 1);
    const auto& imap = plan->services[0];
    CHECK(imap.service == "imap-login");
    CHECK(imap.binary == (dir.path / "echo").string());
    CHECK(imap.args == std::vector<std::string>{"--flag"});
    CHECK(imap.process_limit == 3);
    REQUIRE(imap.listeners.size() == 1);
    CHECK(imap.listeners[0].port == 10143);
    CHECK_FALSE(imap.credentials);

    std::map<std::string, std::string> notes;
    for (const auto& p : plan->protocols)
        notes[p.protocol] = p.served ? "served" : p.note;
    CHECK(notes["imap"] == "served");
    CHECK(notes["pop3"] == "loft-pop3d is not installed; POP3 is not served");
    CHECK(notes["submission"] == "Loft has no submission service; it is not served");
    CHECK(notes.count("lmtp") == 0);
}

TEST_CASE("as root, workers get mail_uid and root is refused") {
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env;
    env.running_as_root = true;
    std::string service = "service imap-login {\n executable = " + (dir.path / "echo").string() +
                          "\n inet_listener imap {\n  port = 10143\n }\n}\n";

    auto none = loftd::make_plan(load("protocols = imap\n" + service), env);
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.status().message().find("no user to run its workers as") != std::string::npos);

    auto root = loftd::make_plan(load("protocols = imap\nmail_uid = root\n" + service), env);
    REQUIRE_FALSE(root.is_ok());
    CHECK(root.status().message().find("mail_uid = root: refusing to run workers as root") == 0);

    auto nobody = loftd::make_plan(load("protocols = imap\nmail_uid = nobody\n" + service), env);
    REQUIRE_MESSAGE(nobody.is_ok(), nobody.status().message());
    REQUIRE(nobody->services[0].credentials);
    CHECK(nobody->services[0].credentials->user_name == "nobody");
    CHECK(nobody->services[0].credentials->uid != 0u);

    auto changed = loftd::make_plan(load("protocols = imap\nmail_uid = nobody\n" + service), env);
    CHECK(changed->services[0].same_workers_as(nobody->services[0]));
}

TEST_CASE("vsz_limit: the service's own, else default_vsz_limit; 0 or unlimited means none") {
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env;
    auto vsz_of = [&](const std::string& global, const std::string& in_service) {
        auto plan = loftd::make_plan(load("protocols = imap\n" + global + "\nservice imap-login {\n executable = " +
                                          (dir.path / "echo").string() + "\n" + in_service +
                                          "\n inet_listener imap {\n  port = 10143\n }\n}\n"),
                                     env);
        REQUIRE_MESSAGE(plan.is_ok(), plan.status().message());
        REQUIRE(plan->services.size() == 1);
        return plan->services[0].vsz_limit;
    };
    constexpr std::uint64_t M = 1024 * 1024;
    CHECK(vsz_of("", "") == 256 * M); // Dovecot's default_vsz_limit
    CHECK(vsz_of("default_vsz_limit = 1G", "") == 1024 * M);
    CHECK(vsz_of("default_vsz_limit = 0", "") == 0);
    CHECK(vsz_of("default_vsz_limit = unlimited", "") == 0);
    CHECK(vsz_of("default_vsz_limit = 1G", "vsz_limit = 300M") == 300 * M);
    CHECK(vsz_of("default_vsz_limit = 1G", "vsz_limit = 0") == 1024 * M);
    CHECK(vsz_of("default_vsz_limit = 1G", "vsz_limit = unlimited") == 0);
    CHECK(vsz_of("default_vsz_limit = 512 M", "vsz_limit = $default_vsz_limit") == 512 * M);

    // A running worker cannot change its limit: a new one must start.
    auto a = loftd::make_plan(load("protocols = imap\ndefault_vsz_limit = 1G\nservice imap-login {\n executable = " +
                                   (dir.path / "echo").string() + "\n inet_listener imap {\n  port = 10143\n }\n}\n"),
                              env);
    auto b = a;
    b->services[0].vsz_limit = 2048 * M;
    CHECK_FALSE(a->services[0].same_workers_as(b->services[0]));
    b = a;
    b->services[0].config_path = "/elsewhere/loft-resolved.conf";
    CHECK_FALSE(a->services[0].same_workers_as(b->services[0]));
}
