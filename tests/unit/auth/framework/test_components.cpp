// The framework's building blocks on their own: user names, networks, the
// penalty table, the cache and the failure log line.
#include "auth/auth_cache.hpp"
#include "auth/auth_log.hpp"
#include "auth/auth_settings.hpp"
#include "auth/penalty.hpp"
#include "auth/username.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

using namespace mailstore::auth;
using namespace std::chrono_literals;

TEST_CASE("username: master split on the first separator") {
    auto a = split_master_login("alice*admin", "*");
    CHECK(a.user == "alice");
    CHECK(a.master == "admin");
    auto b = split_master_login("alice*admin*x", "*");
    CHECK(b.user == "alice");
    CHECK(b.master == "admin*x");
    // Empty parts and no separator configured: the whole name is the user.
    CHECK(split_master_login("*admin", "*").master.empty());
    CHECK(split_master_login("*admin", "*").user == "*admin");
    CHECK(split_master_login("alice*", "*").master.empty());
    CHECK(split_master_login("alice*admin", "").user == "alice*admin");
}

TEST_CASE("username: auth_username_chars") {
    std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@";
    CHECK(username_allowed("Alice.B-c_d@example.com", chars));
    CHECK_FALSE(username_allowed("al ice", chars));
    CHECK_FALSE(username_allowed("alice*admin", chars));
    CHECK_FALSE(username_allowed(std::string("al\0ce", 5), chars));
    CHECK_FALSE(username_allowed("", chars));
    CHECK(username_allowed("anything goes!", ""));
    CHECK(username_allowed(std::string(kMaxUsernameLength, 'a'), chars));
    CHECK_FALSE(username_allowed(std::string(kMaxUsernameLength + 1, 'a'), chars));
}

TEST_CASE("username: default realm then %Lu") {
    AuthSettings s;
    AuthRequest ctx;
    s.username_format = "%Lu";
    CHECK(*format_username("Alice", s, ctx) == "alice");
    s.default_realm = "Example.COM";
    CHECK(*format_username("Alice", s, ctx) == "alice@example.com");
    CHECK(*format_username("Bob@Other.org", s, ctx) == "bob@other.org");
    s.username_format = "%u";
    CHECK(*format_username("Alice", s, ctx) == "Alice@Example.COM");
}

TEST_CASE("networks: CIDR, hosts, IPv6, local") {
    std::vector<std::string> nets = {"192.0.2.0/24", "2001:db8::/32", "203.0.113.9"};
    CHECK(ip_in_networks("192.0.2.7", nets));
    CHECK(ip_in_networks("192.0.2.255", nets));
    CHECK_FALSE(ip_in_networks("192.0.3.1", nets));
    CHECK(ip_in_networks("203.0.113.9", nets));
    CHECK_FALSE(ip_in_networks("203.0.113.10", nets));
    CHECK(ip_in_networks("2001:db8::1", nets));
    CHECK_FALSE(ip_in_networks("2001:db9::1", nets));
    // An IPv4-mapped IPv6 address is the IPv4 address.
    CHECK(ip_in_networks("::ffff:192.0.2.1", nets));
    CHECK_FALSE(ip_in_networks("not-an-ip", nets));
    CHECK_FALSE(ip_in_networks("", nets));
    CHECK(ip_in_networks("", {"local"}));
    CHECK_FALSE(ip_in_networks("127.0.0.1", {"local"}));
    CHECK(ip_in_networks("10.1.2.3", {"0.0.0.0/0"}));
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("127.255.0.1"));
    CHECK(is_loopback("::1"));
    CHECK_FALSE(is_loopback("192.0.2.1"));
    CHECK_FALSE(is_loopback(""));
    CHECK(valid_network("10.0.0.0/8"));
    CHECK_FALSE(valid_network("10.0.0.0/33"));
    CHECK_FALSE(valid_network("2001:db8::/129"));
    CHECK_FALSE(valid_network("10.0.0.0/"));
    CHECK_FALSE(valid_network("10.0.0.0/8x"));
    CHECK_FALSE(valid_network("example.com"));
}

TEST_CASE("penalty: doubling up to 15 s, per address, cleared by success, forgotten after an hour") {
    PenaltyTable t;
    auto now = PenaltyTable::Clock::now();
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 2000ms);
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 4000ms);
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 8000ms);
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 15000ms);
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 15000ms);
    CHECK(t.failures("192.0.2.7", now) == 5);
    // Another address starts from the base.
    CHECK(t.fail("192.0.2.8", 2000ms, now) == 2000ms);
    t.clear("192.0.2.7");
    CHECK(t.failures("192.0.2.7", now) == 0);
    CHECK(t.fail("192.0.2.7", 2000ms, now) == 2000ms);
    // An hour and a bit later the address starts over.
    auto later = now + std::chrono::seconds(3601);
    CHECK(t.failures("192.0.2.7", later) == 0);
    CHECK(t.fail("192.0.2.7", 2000ms, later) == 2000ms);
    // Local tools (no address) get the base delay and no entry.
    CHECK(t.fail("", 2000ms, now) == 2000ms);
    CHECK(t.fail("", 2000ms, now) == 2000ms);
    CHECK(t.size() == 2);
    // A zero base grows from one second; a base above 15 s is its own cap.
    CHECK(PenaltyTable::delay_for(0, 0ms) == 0ms);
    CHECK(PenaltyTable::delay_for(1, 0ms) == 2000ms);
    CHECK(PenaltyTable::delay_for(3, 20000ms) == 20000ms);
}

TEST_CASE("penalty: users counted beside addresses, the larger delay, clear_user") {
    PenaltyTable t;
    auto now = PenaltyTable::Clock::now();
    CHECK(t.fail("192.0.2.1", "bob", 2000ms, now) == 2000ms);
    CHECK(t.fail("192.0.2.2", "bob", 2000ms, now) == 4000ms);
    CHECK(t.fail("", "bob", 2000ms, now) == 8000ms); // a local tool: the user still counts
    CHECK(t.fail("192.0.2.1", "ann", 2000ms, now) == 4000ms); // the address had one
    CHECK(t.user_failures("bob", now) == 3);
    CHECK(t.user_count() == 2);
    t.clear_user("bob");
    CHECK(t.user_failures("bob", now) == 0);
    CHECK(t.failures("192.0.2.1", now) == 2);
    CHECK(t.fail("", "", 2000ms, now) == 2000ms);
    for (std::size_t i = 0; i < kMaxPenaltyEntries + 10; ++i)
        t.fail("", "user" + std::to_string(i), 1000ms, now);
    CHECK(t.user_count() == kMaxPenaltyEntries);
    CHECK(t.user_failures("user0", now) == 0);
    CHECK(t.user_failures("user9", now) == 0);
    CHECK(t.user_failures("user10", now) == 1);
}

TEST_CASE("penalty: the table is bounded") {
    PenaltyTable t;
    auto now = PenaltyTable::Clock::now();
    for (std::size_t i = 0; i < kMaxPenaltyEntries + 10; ++i)
        t.fail("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255),
               1000ms, now);
    CHECK(t.size() == kMaxPenaltyEntries);
    // The oldest went first.
    CHECK(t.failures("10.0.0.0", now) == 0);
    CHECK(t.failures("10.1.0.9", now) == 1);
}

TEST_CASE("cache: hit, miss, ttl, negative ttl, generation, LRU size, HMAC of the verified plaintext") {
    AuthCache c(4096, 10000ms, 1000ms);
    auto now = AuthCache::Clock::now();
    PassdbResult found;
    found.kind = PassdbResult::Kind::ok;
    found.password = "{PLAIN}secret";
    found.fields.set("nodelay");
    CHECK_FALSE(c.get_passdb("k1", 1, "", now));
    c.put_passdb("k1", 1, found, now);
    auto hit = c.get_passdb("k1", 1, "secret", now);
    REQUIRE(hit);
    CHECK(hit->result.password == "{PLAIN}secret");
    CHECK(hit->result.fields.has("nodelay"));
    CHECK_FALSE(hit->plaintext_verified);
    c.remember_verified("k1", "secret");
    CHECK(c.get_passdb("k1", 1, "secret", now)->plaintext_verified);
    CHECK_FALSE(c.get_passdb("k1", 1, "Secret", now)->plaintext_verified);
    // Another generation of the driver's data: dropped.
    CHECK_FALSE(c.get_passdb("k1", 2, "secret", now));
    CHECK_FALSE(c.get_passdb("k1", 1, "secret", now));

    PassdbResult unknown;
    unknown.kind = PassdbResult::Kind::user_unknown;
    c.put_passdb("k2", 1, unknown, now);
    CHECK(c.get_passdb("k2", 1, "", now + 999ms));
    CHECK_FALSE(c.get_passdb("k2", 1, "", now + 1000ms));
    c.put_passdb("k3", 1, found, now);
    CHECK(c.get_passdb("k3", 1, "", now + 9999ms));
    CHECK_FALSE(c.get_passdb("k3", 1, "", now + 10000ms));

    // Internal failures are never cached.
    PassdbResult failed;
    failed.kind = PassdbResult::Kind::internal_failure;
    c.put_passdb("k4", 1, failed, now);
    CHECK_FALSE(c.get_passdb("k4", 1, "", now));
    UserdbResult ufailed;
    ufailed.kind = UserdbResult::Kind::internal_failure;
    c.put_userdb("u0", 1, ufailed, now);
    CHECK_FALSE(c.get_userdb("u0", 1, now));

    // LRU: filling past 4096 bytes evicts the least recently used.
    c.flush();
    CHECK(c.stats().entries == 0);
    for (int i = 0; i < 40; ++i)
        c.put_passdb("key" + std::to_string(i), 1, found, now);
    auto s = c.stats();
    CHECK(s.bytes <= 4096);
    CHECK(s.entries < 40);
    CHECK(s.entries > 0);
    CHECK(c.get_passdb("key39", 1, "", now));
    CHECK_FALSE(c.get_passdb("key0", 1, "", now));

    UserdbResult u;
    u.kind = UserdbResult::Kind::ok;
    u.fields.set("home", "/home/alice");
    c.put_userdb("u1", 1, u, now);
    REQUIRE(c.get_userdb("u1", 1, now));
    CHECK(c.get_userdb("u1", 1, now)->fields.get_or("home", "") == "/home/alice");
    // A passdb key never answers a userdb question.
    CHECK_FALSE(c.get_passdb("u1", 1, "", now));
}

TEST_CASE("cache: size 0 is off") {
    AuthCache c(0, 1000ms, 1000ms);
    PassdbResult found;
    found.kind = PassdbResult::Kind::ok;
    c.put_passdb("k", 0, found);
    CHECK_FALSE(c.get_passdb("k", 0, ""));
    CHECK(c.stats().entries == 0);
}

TEST_CASE("failure log line: fields and escaping") {
    ClientInfo c;
    c.service = "smtp";
    c.remote_ip = "192.0.2.7";
    c.local_ip = "198.51.100.1";
    c.session_id = "ab12";
    CHECK(failure_log_line("alice", "PLAIN", c, "password mismatch") ==
          "Authentication failed: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, service=smtp, "
          "session=<ab12>, reason=password mismatch");
    // A name cannot close the field or forge another one.
    CHECK(failure_log_line("x>, rip=10.0.0.1", "LOGIN", ClientInfo{}, "unknown user") ==
          "Authentication failed: user=<x\\x3e\\x2c\\x20rip=10.0.0.1>, method=LOGIN, reason=unknown user");
    CHECK(log_safe_user(std::string(200, 'a')) == std::string(128, 'a') + "...");
}

TEST_CASE("settings: defaults and the plaintext switches") {
    using mailstore::config::Config;
    auto d = read_auth_settings(Config::defaults());
    REQUIRE(d);
    CHECK(d->mechanisms == std::vector<std::string>{"PLAIN"});
    CHECK(d->username_format == "%Lu");
    CHECK(d->failure_delay == 2000ms);
    CHECK(d->cache_size == 0);
    CHECK(d->cache_ttl == 3600000ms);
    CHECK(d->plaintext_only_secured);
    CHECK(d->anonymous_username == "anonymous");

    auto load = [](std::string_view text) {
        auto cfg = Config::load_string(text, "t.conf");
        REQUIRE_MESSAGE(cfg.is_ok(), cfg.status().message());
        return read_auth_settings(*cfg);
    };
    CHECK_FALSE(load("disable_plaintext_auth = no\n")->plaintext_only_secured);
    CHECK_FALSE(load("auth_allow_cleartext = yes\n")->plaintext_only_secured);
    // The 2.4 name wins when both are written.
    CHECK(load("disable_plaintext_auth = no\nauth_allow_cleartext = no\n")->plaintext_only_secured);
    CHECK_FALSE(load("disable_plaintext_auth = yes\nauth_allow_cleartext = yes\n")->plaintext_only_secured);
    auto s = load("auth_mechanisms = plain Login scram-sha-256\nauth_cache_size = 10M\nauth_failure_delay = 0\n"
                  "login_trusted_networks = 10.0.0.0/8, 192.0.2.1\n");
    REQUIRE(s);
    CHECK(s->mechanisms == std::vector<std::string>{"PLAIN", "LOGIN", "SCRAM-SHA-256"});
    CHECK(s->cache_size == 10u * 1024 * 1024);
    CHECK(s->failure_delay == 0ms);
    CHECK(s->trusted_networks == std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"});
    auto bad = load("\n\nlogin_trusted_networks = 10.0.0.0/99\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.status().message() == "t.conf:3: login_trusted_networks: not an IP address or network: 10.0.0.0/99");
    auto sep = load("auth_master_user_separator = **\n");
    REQUIRE_FALSE(sep);
    CHECK(sep.status().message() ==
          "t.conf:1: auth_master_user_separator: must be a single character, not \"**\"");
}
