// passdb/userdb chains: result_* rules, skip, deny, mechanisms,
// username_filter, and internal failures never turning into "unknown user".
#include "framework_support.hpp"

#include <filesystem>

using namespace fw_test;
using K = AuthReply::Kind;

namespace {

struct TwoFiles {
    Env env;
    std::string first, second, users;
    TwoFiles() {
        // alice: wrong in the first file, right in the second; bob only in
        // the first; carol only in the second.
        first = env.file("first", "alice:{PLAIN}old::::::\nbob:{PLAIN}bobpw::::::first=1\n");
        second = env.file("second", "alice:{PLAIN}new::::::second=1\ncarol:{PLAIN}carolpw::::::\n");
        users = env.file("users", "alice::1000:1000::/home/alice::\nbob::1001:1001::/home/bob::\n"
                                  "carol::1002:1002::/home/carol::\n");
    }
    Authenticator make(std::string_view first_extra, std::string_view second_extra = {}) {
        return env.make(block("passdb", "passwd-file", first, first_extra) +
                        block("passdb", "passwd-file", second, second_extra) +
                        block("userdb", "passwd-file", users));
    }
};

} // namespace

TEST_CASE("chain: defaults (return-ok / continue / continue)") {
    TwoFiles t;
    auto a = t.make("");
    CHECK(a.verify_plain("alice", "new", client()).kind == K::success);
    CHECK(a.verify_plain("alice", "old", client()).kind == K::success);
    CHECK(a.verify_plain("carol", "carolpw", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "x", client()).kind == K::failure);
}

TEST_CASE("chain: result_failure = return-fail stops at the first passdb") {
    TwoFiles t;
    auto a = t.make("  result_failure = return-fail\n");
    CHECK(a.verify_plain("alice", "old", client()).kind == K::success);
    CHECK(a.verify_plain("alice", "new", client()).kind == K::failure);
    CHECK(a.verify_plain("carol", "carolpw", client()).kind == K::failure);
}

TEST_CASE("chain: result_success = continue does not mark success; the next passdb must succeed") {
    TwoFiles t;
    auto a = t.make("  result_success = continue\n");
    // bob verified in the first, unknown in the second: the state was never
    // set to success, so the login fails (Dovecot's semantics).
    CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::failure);
    // alice verified with "old" in the first; the second only looks her up
    // (password already verified) and returns ok.
    auto r = a.verify_plain("alice", "old", client());
    CHECK(r.kind == K::success);
    CHECK(r.passdb_fields.get_or("second", "") == "1");
}

TEST_CASE("chain: result_success = continue-ok, then an unknown user in the next keeps success") {
    TwoFiles t;
    auto a = t.make("  result_success = continue-ok\n");
    auto r = a.verify_plain("bob", "bobpw", client());
    CHECK(r.kind == K::success);
    CHECK(r.passdb_fields.get_or("first", "") == "1");
}

TEST_CASE("chain: continue-fail and return") {
    TwoFiles t;
    {
        // The second passdb's success is turned into a failure.
        auto a = t.make("", "  result_success = continue-fail\n");
        CHECK(a.verify_plain("carol", "carolpw", client()).kind == K::failure);
    }
    {
        // result_success = return on the first passdb: "the earlier result",
        // and there is none, so failure.
        auto a = t.make("  result_success = return\n");
        CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::failure);
    }
    {
        // continue-ok then return on the second: success stays.
        auto a = t.make("  result_success = continue-ok\n", "  result_failure = return\n");
        CHECK(a.verify_plain("bob", "bobpw", client()).kind == K::success);
    }
    {
        // result_failure = return-ok: a failure is turned into success.
        auto a = t.make("  result_failure = return-ok\n");
        CHECK(a.verify_plain("bob", "wrong", client()).kind == K::success);
    }
}

TEST_CASE("chain: skip = authenticated / unauthenticated") {
    TwoFiles t;
    {
        auto a = t.make("  result_success = continue-ok\n", "  skip = authenticated\n");
        auto r = a.verify_plain("alice", "old", client());
        CHECK(r.kind == K::success);
        CHECK_FALSE(r.passdb_fields.has("second")); // skipped
    }
    {
        auto a = t.make("  result_success = continue-ok\n", "  skip = unauthenticated\n");
        // carol fails in the first (unknown): the second is skipped.
        CHECK(a.verify_plain("carol", "carolpw", client()).kind == K::failure);
        auto r = a.verify_plain("alice", "old", client());
        CHECK(r.kind == K::success);
        CHECK(r.passdb_fields.get_or("second", "") == "1");
    }
}

TEST_CASE("chain: deny passdb") {
    Env env;
    auto denied = env.file("denied", "bob:::::::\n");
    auto pw = env.file("passwd", "alice:{PLAIN}pw:1000:1000::/home/alice::\nbob:{PLAIN}pw:1001:1001::/home/bob::\n");
    auto a = env.make(block("passdb", "passwd-file", denied, "  deny = yes\n") + block("passdb", "passwd-file", pw) +
                      block("userdb", "passwd-file", pw));
    LogCapture log(env);
    CHECK(a.verify_plain("alice", "pw", client()).kind == K::success);
    CHECK(a.verify_plain("bob", "pw", client()).kind == K::failure);
    CHECK(log.text().find("user=<bob>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, service=imap, secured, "
                          "reason=denied by passdb passwd-file\n") != std::string::npos);
}

TEST_CASE("chain: mechanisms and username_filter select passdbs") {
    Env env;
    auto pw1 = env.file("p1", "alice:{PLAIN}one::::::\n");
    auto pw2 = env.file("p2", "alice:{PLAIN}two::::::\nbob@example.com:{PLAIN}two::::::\n");
    auto users = env.file("u", "alice::1::::\nbob@example.com::1::::\n");
    auto a = env.make(block("passdb", "passwd-file", pw1, "  mechanisms = cram-md5\n") +
                      block("passdb", "passwd-file", pw2, "  username_filter = *@example.com !admin@*\n") +
                      block("userdb", "passwd-file", users));
    // PLAIN skips the first; alice does not match the filter of the second.
    CHECK(a.verify_plain("alice", "one", client()).kind == K::failure);
    CHECK(a.verify_plain("alice", "two", client()).kind == K::failure);
    CHECK(a.verify_plain("bob@example.com", "two", client()).kind == K::success);
}

TEST_CASE("chain: an internal failure is a temporary failure, never an unknown user") {
    Env env;
    // A passwd-file path that exists as a directory cannot be read.
    std::filesystem::create_directories(env.dir.path / "broken" / "example.com");
    auto broken = env.dir.str() + "/broken/%d";
    auto pw = env.file("passwd", "alice@example.com:{PLAIN}pw::::::\n");
    auto users = env.file("users", "alice@example.com::1000:1000::/home/alice::\n");
    auto a = env.make(block("passdb", "passwd-file", broken) + block("passdb", "passwd-file", pw) +
                      block("userdb", "passwd-file", users));
    // The second passdb knows the user: success despite the first failing.
    CHECK(a.verify_plain("alice@example.com", "pw", client()).kind == K::success);
    // Nobody knows bob, but the first passdb failed: it might have.
    auto r = a.verify_plain("bob@example.com", "pw", client());
    CHECK(r.kind == K::temporary_failure);
    CHECK(a.lookup_pass("bob@example.com", client()).kind == LookupResult::Kind::temporary_failure);
    // A wrong password for alice is also "try again": the broken passdb
    // might have had another password for her.
    CHECK(a.verify_plain("alice@example.com", "bad", client()).kind == K::temporary_failure);
}

TEST_CASE("chain: userdb internal failure fails the login temporarily") {
    Env env;
    std::filesystem::create_directories(env.dir.path / "udir" / "example.com");
    auto pw = env.file("passwd", "alice@example.com:{PLAIN}pw::::::\n");
    auto a = env.make(block("passdb", "passwd-file", pw) +
                      block("userdb", "passwd-file", env.dir.str() + "/udir/%d"));
    CHECK(a.verify_plain("alice@example.com", "pw", client()).kind == K::temporary_failure);
    CHECK(a.lookup_user("alice@example.com", client()).kind == LookupResult::Kind::temporary_failure);
}

TEST_CASE("chain: userdb skip and result rules") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw::::::\nbob:{PLAIN}pw::::::\n");
    auto u1 = env.file("u1", "alice::1000:1000::/home/alice::\n");
    auto u2 = env.file("u2", "alice::2000:2000::/other/alice::\nbob::1001:1001::/home/bob::\n");
    {
        // Defaults: the first userdb that finds the user returns.
        auto a = env.make(block("passdb", "passwd-file", pw) + block("userdb", "passwd-file", u1) +
                          block("userdb", "passwd-file", u2));
        CHECK(a.lookup_user("alice", client()).fields.get_or("uid", "") == "1000");
        CHECK(a.lookup_user("bob", client()).fields.get_or("uid", "") == "1001");
    }
    {
        // continue-ok merges: the later userdb's fields win.
        auto a = env.make(block("passdb", "passwd-file", pw) +
                          block("userdb", "passwd-file", u1, "  result_success = continue-ok\n") +
                          block("userdb", "passwd-file", u2));
        CHECK(a.lookup_user("alice", client()).fields.get_or("home", "") == "/other/alice");
    }
    {
        // skip = found: the second is only asked when the first did not find.
        auto a = env.make(block("passdb", "passwd-file", pw) +
                          block("userdb", "passwd-file", u1, "  result_success = continue-ok\n") +
                          block("userdb", "passwd-file", u2, "  skip = found\n"));
        CHECK(a.lookup_user("alice", client()).fields.get_or("uid", "") == "1000");
        CHECK(a.lookup_user("bob", client()).fields.get_or("uid", "") == "1001");
    }
    {
        // Checked against Dovecot 2.3.19: result_success = continue does not
        // set the chain's success, so skip = found does not skip the next
        // userdb, and a user found only by that first userdb is unknown.
        auto a = env.make(block("passdb", "passwd-file", pw) +
                          block("userdb", "passwd-file", u1, "  result_success = continue\n") +
                          block("userdb", "passwd-file", u2, "  skip = found\n"));
        CHECK(a.lookup_user("alice", client()).fields.get_or("uid", "") == "2000");
        auto only_first = env.make(block("passdb", "passwd-file", pw) +
                                   block("userdb", "passwd-file", u1, "  result_success = continue\n") +
                                   block("userdb", "passwd-file", env.file("empty", "")));
        CHECK(only_first.lookup_user("alice", client()).kind == LookupResult::Kind::not_found);
    }
    {
        // result_failure = return-fail on the first: bob is unknown.
        auto a = env.make(block("passdb", "passwd-file", pw) +
                          block("userdb", "passwd-file", u1, "  result_failure = return-fail\n") +
                          block("userdb", "passwd-file", u2));
        CHECK(a.lookup_user("bob", client()).kind == LookupResult::Kind::not_found);
    }
}

TEST_CASE("config: a static userdb without allow_all_users over only PAM passdbs is refused, naming file:line") {
    Env env;
    auto conf = block("passdb", "pam", "") + block("userdb", "static", "uid=1000 gid=1000 home=/home/%u");
    auto bad = env.try_make(conf);
    REQUIRE_FALSE(bad);
    CHECK(bad.status().code() == mailstore::Status::Code::invalid_argument);
    CHECK(bad.status().message() ==
          "test.conf:6: static userdb without allow_all_users=yes needs a passdb that can look users up without a "
          "password, and these passdbs (pam) cannot: set allow_all_users=yes");
    // allow_all_users=yes, or a passdb that can look users up, is fine.
    CHECK(env.try_make(block("passdb", "pam", "") +
                       block("userdb", "static", "uid=1000 gid=1000 home=/home/%u allow_all_users=yes")));
    auto pw = env.file("passwd", "alice:{PLAIN}pw::::::\n");
    CHECK(env.try_make(block("passdb", "pam", "") + block("passdb", "passwd-file", pw) +
                       block("userdb", "static", "uid=1000 gid=1000 home=/home/%u")));
}
