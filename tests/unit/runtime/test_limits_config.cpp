// Connection limits read from the config (limits_from_config).
#include "server.hpp"

#include <doctest/doctest.h>

using mailstore::config::Config;
using namespace std::chrono_literals;

namespace {
Config load(std::string_view text) {
    auto cfg = Config::load_string(text);
    REQUIRE(cfg.is_ok());
    return std::move(*cfg);
}
} // namespace

TEST_CASE("defaults: 64k lines, login_inactivity_timeout before login, the protocol's after") {
    auto cfg = Config::defaults();
    auto imap = loft::limits_from_config(cfg, "imap");
    CHECK(imap.max_line_length == 64 * 1024);
    CHECK(imap.idle_timeout == 3min);
    CHECK(imap.logged_in_idle_timeout == 30min);
    auto pop3 = loft::limits_from_config(cfg, "pop3");
    CHECK(pop3.idle_timeout == 3min);
    CHECK(pop3.logged_in_idle_timeout == 10min);
    auto lmtp = loft::limits_from_config(cfg, "lmtp");
    CHECK(lmtp.idle_timeout == 5min);
    CHECK(lmtp.logged_in_idle_timeout == 0ms);
    auto sieve = loft::limits_from_config(cfg, "sieve");
    CHECK(sieve.max_line_length == 64 * 1024);
    CHECK(sieve.logged_in_idle_timeout == 30min);
}

TEST_CASE("settings and protocol blocks decide the limits") {
    auto cfg = load("imap_max_line_length = 2k\n"
                    "managesieve_max_line_length = 300\n"
                    "login_inactivity_timeout = 20s\n"
                    "imap_inactivity_timeout = 1h\n"
                    "lmtp_inactivity_timeout = 42s\n"
                    "protocol pop3 {\n  login_inactivity_timeout = 7s\n}\n");
    auto imap = loft::limits_from_config(cfg, "imap");
    CHECK(imap.max_line_length == 2048);
    CHECK(imap.idle_timeout == 20s);
    CHECK(imap.logged_in_idle_timeout == 1h);
    CHECK(loft::limits_from_config(cfg, "pop3").idle_timeout == 7s);
    CHECK(loft::limits_from_config(cfg, "lmtp").idle_timeout == 42s);
    CHECK(loft::limits_from_config(cfg, "sieve").max_line_length == 300);
    // A protocol without settings of its own.
    auto echo = loft::limits_from_config(cfg, "echo");
    CHECK(echo.max_line_length == 64 * 1024);
    CHECK(echo.idle_timeout == 20s);
}
