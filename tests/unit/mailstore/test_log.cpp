#include <mailstore/log.hpp>

#include "../test_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mailstore::log;

namespace {
using loft_test::slurp;

// A temporary directory for log files; logging goes back to stderr afterwards.
struct TempDir : loft_test::TempDir {
    TempDir() : loft_test::TempDir("loft-log-test") {}
    ~TempDir() { configure(LogSettings{}); }
};
} // namespace

TEST_CASE("log lines carry the session prefix and level label") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "all.log").string());
    s.set_log_timestamp("");
    REQUIRE(configure(s).is_ok());
    Logger::session("imap", "alice", "ab12cd", 4711).info("Disconnected: Logged out");
    Logger("imap-login").infof("Login: user=<{}>, method={}", "alice", "PLAIN");
    std::string text = slurp(dir.path / "all.log");
    CHECK(text.find("imap(alice)<4711><ab12cd>: Info: Disconnected: Logged out\n") != std::string::npos);
    CHECK(text.find("imap-login: Info: Login: user=<alice>, method=PLAIN\n") != std::string::npos);
}

TEST_CASE("newlines in messages cannot forge log lines") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "all.log").string());
    s.set_log_timestamp("");
    REQUIRE(configure(s).is_ok());
    Logger("x").error("a\nInfo: forged");
    CHECK(slurp(dir.path / "all.log") == "x: Error: a\\nInfo: forged\n");
}

TEST_CASE("levels are routed to log_path, info_log_path and debug_log_path") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "error.log").string());
    s.set_info_log_path((dir.path / "info.log").string());
    s.set_debug_log_path((dir.path / "debug.log").string());
    s.set_mail_debug(true);
    REQUIRE(configure(s).is_ok());
    Logger l("svc");
    l.error("boom");
    l.info("hello");
    l.debug("details", Category::mail);
    l.debug("auth details", Category::auth); // auth_debug is off
    CHECK(slurp(dir.path / "error.log").find("svc: Error: boom") != std::string::npos);
    CHECK(slurp(dir.path / "info.log").find("svc: Info: hello") != std::string::npos);
    CHECK(slurp(dir.path / "info.log").find("boom") == std::string::npos);
    std::string debug = slurp(dir.path / "debug.log");
    CHECK(debug.find("svc: Debug: details") != std::string::npos);
    CHECK(debug.find("auth details") == std::string::npos);
}

TEST_CASE("auth info lines need auth_verbose") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "all.log").string());
    REQUIRE(configure(s).is_ok());
    CHECK_FALSE(enabled(Level::info, Category::auth));
    CHECK(enabled(Level::info, Category::general));
    CHECK_FALSE(enabled(Level::debug, Category::general));
    s.set_auth_verbose(true);
    REQUIRE(configure(s).is_ok());
    CHECK(enabled(Level::info, Category::auth));
}

TEST_CASE("the timestamp uses the strftime format") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "all.log").string());
    s.set_log_timestamp("[TS] ");
    REQUIRE(configure(s).is_ok());
    Logger("p").warning("w");
    CHECK(slurp(dir.path / "all.log") == "[TS] p: Warning: w\n");
}

TEST_CASE("reopen follows a renamed log file") {
    TempDir dir;
    LogSettings s;
    s.set_log_path((dir.path / "mail.log").string());
    REQUIRE(configure(s).is_ok());
    Logger("p").info("before");
    fs::rename(dir.path / "mail.log", dir.path / "mail.log.1");
    Logger("p").info("still old");
    reopen();
    Logger("p").info("after");
    CHECK(slurp(dir.path / "mail.log.1").find("still old") != std::string::npos);
    CHECK(slurp(dir.path / "mail.log").find("after") != std::string::npos);
    CHECK(slurp(dir.path / "mail.log").find("before") == std::string::npos);
}

TEST_CASE("an unopenable log file is an error that names it") {
    LogSettings s;
    s.set_log_path("/nonexistent-dir/x.log");
    auto st = configure(s);
    CHECK_FALSE(st.is_ok());
    CHECK(st.message().find("/nonexistent-dir/x.log") != std::string::npos);
    s.set_log_path("syslog");
    s.set_syslog_facility("nope");
    CHECK_FALSE(configure(s).is_ok());
}
