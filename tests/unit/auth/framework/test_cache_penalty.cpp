// The auth cache and the failure penalty seen through logins.
#include "framework_support.hpp"

#include "auth/authenticator_impl.hpp"
#include "auth/db/passwd_file.hpp"

#include <mailstore/auth/password.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace fw_test;
using K = AuthReply::Kind;
using namespace std::chrono_literals;

namespace {

std::string conf(const std::string& pw, std::string_view settings) {
    return std::string(settings) + block("passdb", "passwd-file", pw) + block("userdb", "passwd-file", pw);
}

// Rewrite a passwd-file so that its driver sees a new generation (a new
// size and a later modification time).
void rewrite(const std::string& path, std::string_view text) {
    auto before = std::filesystem::last_write_time(path);
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }
    std::filesystem::last_write_time(path, before + 5s);
}

} // namespace

TEST_CASE("cache: repeated logins hit the cache; flush empties it") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 1M\n"));
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    auto s1 = a.cache_stats();
    CHECK(s1.misses >= 2); // passdb and userdb
    CHECK(s1.entries == 2);
    CHECK(s1.hits == 0);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    auto s2 = a.cache_stats();
    CHECK(s2.hits == 2);
    CHECK(s2.entries == 2);
    // A wrong password on a cached entry is still checked for real.
    CHECK(a.verify_plain("bob", "wrong", client()).kind == K::failure);
    a.flush_cache();
    CHECK(a.cache_stats().entries == 0);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
}

TEST_CASE("cache: unknown users are cached with the negative ttl") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 1M\nauth_cache_negative_ttl = 1s\n"));
    CHECK(a.verify_plain("carol", "x", client()).kind == K::failure);
    auto s1 = a.cache_stats();
    CHECK(s1.entries == 1);
    CHECK(a.verify_plain("carol", "x", client()).kind == K::failure);
    CHECK(a.cache_stats().hits == s1.hits + 1);
}

TEST_CASE("cache: ttl 0 entries are never used") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 1M\nauth_cache_ttl = 0\nauth_cache_negative_ttl = 0\n"));
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(a.cache_stats().hits == 0);
}

TEST_CASE("cache: a changed passwd-file is seen at once") {
    mailstore::auth::passwd_file::set_check_interval(0ms);
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}old:1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 1M\n"));
    CHECK(a.verify_plain("bob", "old", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "old", client()).kind == K::success);
    rewrite(pw, "bob:{PLAIN}newpassword:1001:1001::/home/bobnew::\n");
    // The cached password does not match: the passdb is asked again, reads
    // the new file, and the entries of the old generation are gone.
    auto r = a.verify_plain("bob", "newpassword", client());
    CHECK(r.kind == K::success);
    CHECK(r.userdb_fields.get_or("home", "") == "/home/bobnew");
    CHECK(a.verify_plain("bob", "old", client()).kind == K::failure);
    // bob removed: once anything reaches the driver (carol, not cached), the
    // new generation drops bob's entries and he is unknown.
    rewrite(pw, "carol:{PLAIN}c:1002:1002::/home/carol::\n");
    CHECK(a.verify_plain("carol", "c", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "newpassword", client()).kind == K::failure);
    mailstore::auth::passwd_file::set_check_interval(1000ms);
}

TEST_CASE("cache: disabled by default") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, ""));
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    auto s = a.cache_stats();
    CHECK(s.hits == 0);
    CHECK(s.entries == 0);
}

TEST_CASE("penalty: per address and per user, the larger wins; success clears only the user; nopenalty") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\nann:{PLAIN}annpw:1002:1002::/home/ann::\n");
    auto a = env.make(conf(pw, ""));
    // Many accounts from one address: the address's penalty grows.
    auto c = client("203.0.113.5");
    CHECK(a.verify_plain("u1", "x", c).delay == 2000ms);
    CHECK(a.verify_plain("u2", "x", c).delay == 4000ms);
    CHECK(a.verify_plain("u3", "x", c).delay == 8000ms);
    // A valid account logging in from there does not reset it.
    CHECK(a.verify_plain("ann", "annpw", c).kind == K::success);
    CHECK(a.verify_plain("u4", "x", c).delay == 15000ms);
    CHECK(a.impl()->penalty.failures("203.0.113.5") == 4);

    // One account from many addresses: the user's penalty grows.
    CHECK(a.verify_plain("bob", "x", client("198.51.100.1")).delay == 2000ms);
    CHECK(a.verify_plain("Bob", "x", client("198.51.100.2")).delay == 4000ms); // formatted: bob
    CHECK(a.verify_plain("bob", "x", client("198.51.100.3")).delay == 8000ms);
    CHECK(a.verify_plain("bob", "x", client("198.51.100.4")).delay == 15000ms);
    CHECK(a.impl()->penalty.user_failures("bob") == 4);
    // Another user from a fresh address is not punished.
    CHECK(a.verify_plain("ann", "x", client("198.51.100.9")).delay == 2000ms);
    // The caller keeps its own penalty: base delay, nothing recorded.
    auto np = client("198.51.100.5");
    np.no_penalty = true;
    CHECK(a.verify_plain("bob", "x", np).delay == 2000ms);
    CHECK(a.impl()->penalty.user_failures("bob") == 4);
    // bob's success clears bob, not the address it came from.
    auto home = client("198.51.100.1");
    CHECK(a.verify_plain("bob", "bobpw", home).kind == K::success);
    CHECK(a.impl()->penalty.user_failures("bob") == 0);
    CHECK(a.impl()->penalty.failures("198.51.100.1") == 1);
    CHECK(a.verify_plain("bob", "x", client("198.51.100.6")).delay == 2000ms);
    CHECK(a.verify_plain("bob", "x", home).delay == 4000ms); // address: one earlier failure

    auto zero = env.make(conf(pw, "auth_failure_delay = 0\n"));
    CHECK(zero.verify_plain("bob", "x", c).delay == 0ms);
    CHECK(zero.verify_plain("bob", "x", c).delay == 2000ms);
}

TEST_CASE("concurrency: logins from several threads at once") {
    Env env;
    auto pw = env.file("passwd", "bob:{PLAIN}bobpw:1001:1001::/home/bob::\nann:{PLAIN}annpw:1002:1002::/home/ann::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 64k\n"));
    std::atomic<int> ok{0}, bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                bool right = (i + t) % 3 != 0;
                auto r = a.verify_plain(i % 2 ? "bob" : "ann", right ? (i % 2 ? "bobpw" : "annpw") : "no",
                                        client("198.51.100." + std::to_string(t + 1)));
                (r.kind == K::success) == right ? ++ok : ++bad;
            }
        });
    for (auto& th : threads)
        th.join();
    CHECK(ok == 200);
    CHECK(bad == 0);
}

TEST_CASE("cache: a wrong password costs one hash check, not two; a changed stored password is re-checked") {
    Env env;
    auto hash = mailstore::auth::hash_password("SSHA256", "bobpw");
    REQUIRE(hash);
    auto pw = env.file("passwd", "bob:" + *hash + ":1001:1001::/home/bob::\n");
    auto a = env.make(conf(pw, "auth_cache_size = 64k\n"));
    auto& checks = a.impl()->password_verifications;
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(checks == 1);
    // The second login hashes against the cached entry and remembers the
    // HMAC (a cold first login does not pay for one); from the third on, the
    // HMAC answers with no hash check.
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(checks == 2);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(checks == 2);
    // A wrong password against the cached entry: one check; the database is
    // asked again, but its stored hash is the same, so no second check.
    CHECK(a.verify_plain("bob", "wrong", client()).kind == K::failure);
    CHECK(checks == 3);
    CHECK(a.verify_plain("bob", "wrong2", client()).kind == K::failure);
    CHECK(checks == 4);
    // Without the cache: one check per attempt too.
    auto nocache = env.make(conf(pw, ""));
    CHECK(nocache.verify_plain("bob", "wrong", client()).kind == K::failure);
    CHECK(nocache.impl()->password_verifications == 1);
}
