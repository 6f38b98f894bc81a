// From config to the services loftd runs: binaries, limits, users.
#include "service_plan.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <thread>
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
    CHECK(imap.workers == std::min(3u, std::max(1u, std::thread::hardware_concurrency())));
    // Dovecot's built-in imaps (993) needs a certificate; there is none.
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
}

TEST_CASE("Debian's stock listener blocks without ports get Dovecot's built-in ports") {
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env;
    std::string exe = (dir.path / "echo").string();
    auto config = load("protocols = imap pop3 lmtp sieve\nssl_cert = cert.pem\nbase_dir = " + dir.path.string() +
                       "\nservice imap-login {\n executable = " + exe +
                       "\n inet_listener imap {\n  #port = 143\n }\n inet_listener imaps {\n  #port = 993\n"
                       "  #ssl = yes\n }\n}\nservice pop3-login {\n executable = " + exe +
                       "\n}\nservice lmtp {\n executable = " + exe + "\n}\nservice managesieve-login {\n executable = " +
                       exe + "\n inet_listener sieve {\n  port = 0\n }\n}\n");
    auto plan = loftd::make_plan(config, env);
    REQUIRE_MESSAGE(plan.is_ok(), plan.status().message());
    std::map<std::string, std::vector<std::string>> seen;
    for (const auto& sp : plan->services)
        for (const auto& l : sp.listeners)
            seen[sp.service].push_back(l.name + ":" +
                                       (l.kind == loft::ListenerSpec::Kind::inet
                                            ? std::to_string(l.port) + (l.ssl ? "+ssl" : "")
                                            : l.path));
    CHECK(seen["imap-login"] == std::vector<std::string>{"imap:143", "imaps:993+ssl"});
    CHECK(seen["pop3-login"] == std::vector<std::string>{"pop3:110", "pop3s:995+ssl"});
    CHECK(seen["lmtp"] == std::vector<std::string>{"lmtp:lmtp"});
    CHECK(seen.count("managesieve-login") == 0); // port = 0 disables
    std::map<std::string, std::string> notes;
    for (const auto& p : plan->protocols)
        notes[p.protocol] = p.served ? "served" : p.note;
    CHECK(notes["sieve"] == "no listeners configured; ManageSieve is not served");
}

TEST_CASE("workers: process_min_avail, else one per core up to process_limit; 0 means the default") {
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    auto plan_of = [&](const std::string& global, const std::string& service) {
        return loftd::make_plan(
            mailstore::config::Config::load_string("protocols = imap\nbase_dir = " + dir.path.string() + "\n" +
                                                       global + "\nservice imap-login {\n executable = " +
                                                       (dir.path / "echo").string() + "\n " + service +
                                                       "\n inet_listener imaps {\n  port = 0\n }\n"
                                                       " inet_listener imap {\n  port = 10143\n }\n}\n",
                                                   "loft.conf")
                .value(),
            env);
    };
    auto workers = [&](const std::string& global, const std::string& service) {
        auto plan = plan_of(global, service);
        REQUIRE_MESSAGE(plan.is_ok(), plan.status().message());
        return plan->services.at(0).workers;
    };
    CHECK(workers("", "") == std::min(100u, cores));
    CHECK(workers("", "process_limit = 1024") == cores); // a migrated Dovecot limit is a maximum
    CHECK(workers("", "process_limit = 1") == 1);
    CHECK(workers("default_process_limit = 1", "") == 1);
    CHECK(workers("default_process_limit = 1", "process_limit = 0") == 1);
    CHECK(workers("", "process_min_avail = 3\n process_limit = 10") == 3);

    auto both_zero = plan_of("default_process_limit = 0", "process_limit = 0");
    REQUIRE_FALSE(both_zero.is_ok());
    CHECK(both_zero.status().message().rfind("loft.conf:6: service imap-login: process_limit = 0 means "
                                             "default_process_limit, which is 0 too",
                                             0) == 0);
    auto default_zero = plan_of("default_process_limit = 0", "");
    REQUIRE_FALSE(default_zero.is_ok());
    CHECK(default_zero.status().message().rfind("loft.conf:3: default_process_limit = 0 leaves service imap-login "
                                                "without workers",
                                                0) == 0);
    auto too_many = plan_of("", "process_min_avail = 5\n process_limit = 2");
    REQUIRE_FALSE(too_many.is_ok());
    CHECK(too_many.status().message().find("process_min_avail = 5 is more than its process_limit (2)") !=
          std::string::npos);
}

TEST_CASE("as root without mail_uid, a static userdb's uid= and gid= run the workers") {
    if (geteuid() != 0)
        return; // users only apply as root
    TempDir dir;
    make_executable(dir.path / "echo");
    loftd::PlanEnvironment env;
    env.running_as_root = true;
    auto nobody = loft::lookup_user("nobody");
    REQUIRE(nobody.is_ok());
    auto nogroup = loft::lookup_group("nogroup");
    REQUIRE(nogroup.is_ok());
    std::string service = "\nservice imap-login {\n executable = " + (dir.path / "echo").string() +
                          "\n inet_listener imaps {\n  port = 0\n }\n inet_listener imap {\n  port = 10143\n }\n}\n";
    auto plan = loftd::make_plan(load("protocols = imap\nfirst_valid_uid = 100\nbase_dir = " + dir.path.string() +
                                      "\nuserdb {\n driver = static\n args = uid=nobody gid=nogroup "
                                      "home=/var/vmail/%u\n}\n" + service),
                                 env);
    REQUIRE_MESSAGE(plan.is_ok(), plan.status().message());
    REQUIRE(plan->services[0].credentials);
    CHECK(plan->services[0].credentials->uid == nobody->uid);
    CHECK(plan->services[0].credentials->gid == *nogroup);

    // Numbers work too.
    auto numeric = loftd::make_plan(load("protocols = imap\nfirst_valid_uid = 100\nbase_dir = " + dir.path.string() +
                                         "\nuserdb {\n driver = static\n args = uid=" + std::to_string(nobody->uid) +
                                         " gid=" + std::to_string(*nogroup) + "\n}\n" + service),
                                    env);
    REQUIRE_MESSAGE(numeric.is_ok(), numeric.status().message());
    CHECK(numeric->services[0].credentials->uid == nobody->uid);
    CHECK(numeric->services[0].credentials->gid == *nogroup);

    // A userdb that is not static gives no user.
    auto none = loftd::make_plan(load("protocols = imap\nbase_dir = " + dir.path.string() +
                                      "\nuserdb {\n driver = passwd-file\n args = /etc/loft/users\n}\n" + service),
                                 env);
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.status().message().find("no user to run its workers as") != std::string::npos);
}
