// verify_plain and the lookups over real passwd-files: names, extra fields,
// userdb, failures and their log line.
#include "auth/crypto.hpp"
#include "framework_support.hpp"

using namespace fw_test;
using namespace std::chrono_literals;
using K = AuthReply::Kind;

namespace {

std::string passwd_conf(const std::string& passwd, std::string_view settings = {}) {
    return std::string(settings) + block("passdb", "passwd-file", passwd) + block("userdb", "passwd-file", passwd);
}

} // namespace

TEST_CASE("login: right password, wrong password, unknown user") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secret:1000:1000::/home/alice::\n");
    auto a = env.make(passwd_conf(pw));
    auto ok = a.verify_plain("alice", "secret", client());
    CHECK(ok.kind == K::success);
    CHECK(ok.user == "alice");
    CHECK(ok.master_user.empty());
    CHECK(ok.userdb_fields.get_or("uid", "") == "1000");
    CHECK(ok.userdb_fields.get_or("home", "") == "/home/alice");
    CHECK(ok.delay == 0ms);
    auto bad = a.verify_plain("alice", "Secret", client());
    CHECK(bad.kind == K::failure);
    CHECK(bad.delay == 2000ms);
    CHECK(bad.reason.empty());
    auto unknown = a.verify_plain("bob", "secret", client("192.0.2.8"));
    CHECK(unknown.kind == K::failure);
    CHECK(unknown.delay == 2000ms);
    CHECK(unknown.user == "bob"); // FAIL user=bob, as Dovecot sends it
}

TEST_CASE("login: the failure line for fail2ban, and verbose driver lines") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secret:1000:1000::/home/alice::\n");
    auto a = env.make(passwd_conf(pw, "auth_verbose = yes\n"));
    LogCapture log(env);
    auto c = client();
    c.service = "smtp";
    c.session_id = "s1";
    CHECK(a.verify_plain("alice", "wrong", c).kind == K::failure);
    CHECK(a.verify_plain("nobody", "wrong", c).kind == K::failure);
    auto text = log.text();
    CHECK(text.find("auth: Info: passwd-file(alice,192.0.2.7,<s1>): Password mismatch\n") != std::string::npos);
    CHECK(text.find("auth: Info: passwd-file(nobody,192.0.2.7,<s1>): unknown user\n") != std::string::npos);
    CHECK(text.find("auth: Info: Authentication failed: user=<alice>, method=PLAIN, rip=192.0.2.7, "
                    "lip=198.51.100.1, service=smtp, secured, session=<s1>, reason=password mismatch\n") !=
          std::string::npos);
    CHECK(text.find("auth: Info: Authentication failed: user=<nobody>, method=PLAIN, rip=192.0.2.7, "
                    "lip=198.51.100.1, service=smtp, secured, session=<s1>, reason=unknown user\n") !=
          std::string::npos);
    // The password never appears.
    CHECK(text.find("wrong") == std::string::npos);
}

TEST_CASE("login: without auth_verbose only the failure line; auth_verbose_passwords=plain shows it") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secret:1000:1000::/home/alice::\n");
    {
        auto a = env.make(passwd_conf(pw));
        LogCapture log(env);
        CHECK(a.verify_plain("alice", "wrong1", client()).kind == K::failure);
        auto text = log.text();
        CHECK(text.find("Password mismatch") == std::string::npos);
        CHECK(text.find("Authentication failed: user=<alice>") != std::string::npos);
    }
    {
        auto a = env.make(passwd_conf(pw, "auth_verbose = yes\nauth_verbose_passwords = plain\n"));
        LogCapture log(env);
        CHECK(a.verify_plain("alice", "wrong2", client()).kind == K::failure);
        CHECK(log.text().find("Password mismatch (given password: wrong2)") != std::string::npos);
    }
}

TEST_CASE("login: auth_username_format, auth_username_chars, auth_default_realm") {
    Env env;
    auto pw = env.file("passwd", "alice@example.com:{PLAIN}secret:1000:1000::/home/alice::\n");
    auto a = env.make(passwd_conf(pw, "auth_default_realm = example.com\n"));
    auto ok = a.verify_plain("Alice", "secret", client());
    CHECK(ok.kind == K::success);
    CHECK(ok.user == "alice@example.com");
    CHECK(a.verify_plain("ALICE@EXAMPLE.COM", "secret", client()).kind == K::success);
    LogCapture log(env);
    auto bad = a.verify_plain("al ice", "secret", client());
    CHECK(bad.kind == K::failure);
    CHECK(log.text().find("user=<al\\x20ice>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, service=imap, "
                          "secured, reason=invalid user name\n") != std::string::npos);
    // Checked before any lookup: a lookup of a bad name is simply not found.
    CHECK(a.lookup_user("al ice", client()).kind == LookupResult::Kind::not_found);
}

TEST_CASE("login: extra fields nologin+reason, nodelay, nopassword, user= rename, allow_nets") {
    Env env;
    auto pw = env.file("passwd",
                       "gone:{PLAIN}pw:1000:1000::/home/gone::nologin reason=Moved_to_new_server\n"
                       "fast:{PLAIN}pw:1000:1000::/home/fast::nodelay\n"
                       "open::1000:1000::/home/open::nopassword\n"
                       "alias:{PLAIN}pw:1000:1000::/home/alias::user=real\n"
                       "real:{PLAIN}other:1001:1001::/home/real::\n"
                       "office:{PLAIN}pw:1000:1000::/home/office::allow_nets=192.0.2.0/24,::1\n"
                       "tool:{PLAIN}pw:1000:1000::/home/tool::allow_nets=local\n"
                       "proxied:{PLAIN}pw:1000:1000::/home/p::proxy host=10.0.0.5 nologin\n");
    auto a = env.make(passwd_conf(pw));

    auto gone = a.verify_plain("gone", "pw", client());
    CHECK(gone.kind == K::failure);
    CHECK(gone.reason == "Moved_to_new_server");
    CHECK(gone.passdb_fields.has("nologin"));
    // A wrong password never reveals the nologin reason.
    CHECK(a.verify_plain("gone", "bad", client()).reason.empty());

    auto fast = a.verify_plain("fast", "bad", client("192.0.2.50"));
    CHECK(fast.kind == K::failure);
    CHECK(fast.delay == 0ms);

    CHECK(a.verify_plain("open", "anything", client()).kind == K::success);
    CHECK(a.verify_plain("open", "", client()).kind == K::success);

    auto alias = a.verify_plain("alias", "pw", client());
    CHECK(alias.kind == K::success);
    CHECK(alias.user == "real");
    CHECK(alias.userdb_fields.get_or("home", "") == "/home/real");

    CHECK(a.verify_plain("office", "pw", client("192.0.2.99")).kind == K::success);
    CHECK(a.verify_plain("office", "pw", client("::1")).kind == K::success);
    CHECK(a.verify_plain("office", "pw", client("198.51.100.7")).kind == K::failure);
    CHECK(a.verify_plain("office", "pw", client("")).kind == K::failure);
    CHECK(a.verify_plain("tool", "pw", client("")).kind == K::success);
    CHECK(a.verify_plain("tool", "pw", client("127.0.0.1")).kind == K::failure);

    // nologin with proxy: the caller proxies, so the login is a success
    // carrying the proxy fields.
    auto proxied = a.verify_plain("proxied", "pw", client());
    CHECK(proxied.kind == K::success);
    CHECK(proxied.passdb_fields.has("proxy"));
    CHECK(proxied.passdb_fields.get_or("host", "") == "10.0.0.5");
}

TEST_CASE("login: prefetch userdb_* fields, default_fields and override_fields") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw::::::userdb_uid=2000 userdb_gid=2000 userdb_home=/srv/alice "
                                 "userdb_quota_rule=*:storage=1G\n"
                                 "bob:{PLAIN}pw::::::\n");
    auto conf = block("passdb", "passwd-file", pw,
                      "  default_fields = userdb_home=/var/mail/%u\n  override_fields = userdb_gid=3000\n") +
                block("userdb", "prefetch", "");
    auto a = env.make(conf);
    auto r = a.verify_plain("alice", "pw", client());
    REQUIRE(r.kind == K::success);
    CHECK(r.userdb_fields.get_or("uid", "") == "2000");
    CHECK(r.userdb_fields.get_or("gid", "") == "3000");
    CHECK(r.userdb_fields.get_or("home", "") == "/srv/alice");
    CHECK(r.userdb_fields.get_or("quota_rule", "") == "*:storage=1G");
    CHECK_FALSE(r.userdb_fields.has("userdb_uid"));
    auto b = a.verify_plain("bob", "pw", client());
    REQUIRE(b.kind == K::success);
    CHECK(b.userdb_fields.get_or("home", "") == "/var/mail/bob");
    CHECK(b.userdb_fields.get_or("gid", "") == "3000");
}

TEST_CASE("login: userdb results decide; unknown in userdb fails the login") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw::::::\nbob:{PLAIN}pw::::::\n");
    auto users = env.file("users", "alice::1000:1000::/home/alice::\n");
    auto a = env.make(block("passdb", "passwd-file", pw) + block("userdb", "passwd-file", users,
                                                                  "  default_fields = mail=maildir:~/Maildir\n"
                                                                  "  override_fields = uid=1234\n"));
    LogCapture log(env);
    auto ok = a.verify_plain("alice", "pw", client());
    CHECK(ok.kind == K::success);
    CHECK(ok.userdb_fields.get_or("uid", "") == "1234");
    CHECK(ok.userdb_fields.get_or("mail", "") == "maildir:~/Maildir");
    auto bob = a.verify_plain("bob", "pw", client());
    CHECK(bob.kind == K::failure);
    CHECK(log.text().find("user=<bob>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, service=imap, secured, "
                          "reason=user not found from userdb\n") != std::string::npos);
}

TEST_CASE("lookups: lookup_user, lookup_pass without the password, iterate_users") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secret:1000:1000::/home/alice::nodelay\n"
                                 "bob:{PLAIN}secret2:1001:1001::/home/bob::\n");
    auto a = env.make(passwd_conf(pw));
    auto u = a.lookup_user("Alice", client());
    CHECK(u.kind == LookupResult::Kind::found);
    CHECK(u.user == "alice");
    CHECK(u.fields.get_or("home", "") == "/home/alice");
    CHECK(u.fields.get_or("uid", "") == "1000");
    CHECK(a.lookup_user("carol", client()).kind == LookupResult::Kind::not_found);
    auto p = a.lookup_pass("alice", client());
    CHECK(p.kind == LookupResult::Kind::found);
    CHECK(p.fields.has("nodelay"));
    for (const auto& [k, v] : p.fields) {
        CHECK(k != "password");
        CHECK(v.find("secret") == std::string::npos);
    }
    CHECK(a.lookup_pass("carol", client()).kind == LookupResult::Kind::not_found);
    std::vector<std::string> all;
    CHECK(a.iterate_users([&](std::string_view n) {
        all.emplace_back(n);
        return true;
    }));
    CHECK(all == std::vector<std::string>{"alice", "bob"});
    all.clear();
    CHECK(a.iterate_users([&](std::string_view n) {
        all.emplace_back(n);
        return false;
    }));
    CHECK(all.size() == 1);
}

TEST_CASE("create: errors name file:line") {
    Env env;
    auto r = env.try_make("passdb {\n  args = /x\n}\n");
    REQUIRE_FALSE(r);
    CHECK(r.status().message() == "test.conf:1: passdb block without a driver");
    auto m = env.try_make("\nauth_mechanisms = plain bogus\n");
    REQUIRE_FALSE(m);
    CHECK(m.status().message() == "test.conf:2: auth_mechanisms: unknown mechanism BOGUS");
    auto d = env.try_make("passdb {\n  driver = no-such-driver\n}\n");
    REQUIRE_FALSE(d);
    CHECK(d.status().message().rfind("test.conf:", 0) == 0);
}

TEST_CASE("login: the allow_nets line is Dovecot's") {
    Env env;
    auto pw = env.file("passwd", "office:{PLAIN}pw:1000:1000::/home/office::allow_nets=192.0.2.0/24\n");
    auto a = env.make(passwd_conf(pw, "auth_verbose = yes\n"));
    LogCapture log(env);
    CHECK(a.verify_plain("office", "pw", client("198.51.100.7")).kind == K::failure);
    auto text = log.text();
    CHECK(text.find("auth: Info: passwd-file(office,198.51.100.7): allow_nets check failed: IP 198.51.100.7 not in "
                    "allowed networks\n") != std::string::npos);
    CHECK(text.find("user=<office>, method=PLAIN, rip=198.51.100.7, lip=198.51.100.1, service=imap, secured, "
                    "reason=allow_nets check failed\n") != std::string::npos);
}

TEST_CASE("static userdb without allow_all_users asks the passdbs whether the user exists") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw::::::\n");
    auto a = env.make(block("passdb", "passwd-file", pw) +
                      block("userdb", "static", "uid=1000 gid=1000 home=/srv/mail/%u"));
    auto u = a.lookup_user("alice", client());
    CHECK(u.kind == LookupResult::Kind::found);
    CHECK(u.fields.get_or("home", "") == "/srv/mail/alice");
    CHECK(a.lookup_user("nobody", client()).kind == LookupResult::Kind::not_found);
    auto r = a.verify_plain("alice", "pw", client());
    CHECK(r.kind == K::success);
    CHECK(r.userdb_fields.get_or("uid", "") == "1000");
}

TEST_CASE("auth_debug: lookup lines without the password") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secretpw:1000:1000::/home/alice::\n");
    auto a = env.make(passwd_conf(pw, "auth_debug = yes\nauth_cache_size = 1M\n"));
    mailstore::log::LogSettings s;
    std::string path = env.dir.str() + "/debug.log";
    s.set_log_path(path).set_log_timestamp("").set_auth_debug(true);
    REQUIRE(mailstore::log::configure(s).is_ok());
    // The first login fills the cache, the second remembers the password's
    // HMAC, the third is answered by it.
    for (int i = 0; i < 3; ++i)
        CHECK(a.verify_plain("alice", "secretpw", client()).kind == K::success);
    mailstore::log::flush();
    auto text = loft_test::slurp(path);
    (void)mailstore::log::configure(mailstore::log::LogSettings());
    CHECK(text.find("auth: Debug: passwd-file(alice,192.0.2.7): Performing passdb lookup\n") != std::string::npos);
    CHECK(text.find("auth: Debug: passwd-file(alice,192.0.2.7): Performing userdb lookup\n") != std::string::npos);
    CHECK(text.find("auth: Debug: passwd-file(alice,192.0.2.7): cache hit (same password as last time)\n") !=
          std::string::npos);
    CHECK(text.find("secretpw") == std::string::npos);
}

TEST_CASE("login: an empty stored password without nopassword never matches, not even an empty password") {
    Env env;
    auto pw = env.file("passwd", "e::1000:1000::/home/e::\n"
                                 "n::1000:1000::/home/n::nopassword\n");
    for (std::string settings : {"", "auth_cache_size = 64k\n"}) {
        CAPTURE(settings);
        auto a = env.make(passwd_conf(pw, "auth_mechanisms = plain cram-md5\n" + settings));
        for (int round = 0; round < 2; ++round) {
            CHECK(a.verify_plain("e", "", client()).kind == K::failure);
            CHECK(a.verify_plain("e", "x", client()).kind == K::failure);
            auto s = a.begin("PLAIN", client());
            REQUIRE(s);
            CHECK(s->step(std::string("\0e\0", 3)).kind == K::failure);
            // nopassword: any password, also an empty one.
            CHECK(a.verify_plain("n", "", client()).kind == K::success);
            CHECK(a.verify_plain("n", "x", client()).kind == K::success);
        }
    }
    auto st = env.make(block("passdb", "static", "password=") + block("userdb", "static", "uid=1 gid=1 home=/h allow_all_users=yes"));
    CHECK(st.verify_plain("anyone", "", client()).kind == K::failure);
    CHECK(st.verify_plain("anyone", "x", client()).kind == K::failure);
}

TEST_CASE("APOP is usable by the pop3 service only (a sniffed APOP login cannot be replayed elsewhere)") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}secret:1000:1000::/home/alice::\n");
    auto a = env.make(passwd_conf(pw, "auth_mechanisms = plain apop\n"));
    // RFC 1939 §7's timestamp with alice's password, in the form POP3 writes
    // it: the session id of the connection that sent the greeting last.
    const std::string stamp = "<1896.697170952.sess1@dbc.mtview.ca.us>";
    const std::string data = stamp + std::string(1, '\0') + "alice" + std::string(1, '\0') +
                             mailstore::auth::crypto::hex(mailstore::auth::crypto::md5(stamp + "secret"));
    for (std::string service : {"imap", "smtp", "lmtp", "sieve", "doveadm", ""}) {
        CAPTURE(service);
        auto c = client();
        c.service = service;
        auto s = a.begin("APOP", c);
        REQUIRE_FALSE(s);
        CHECK(s.status().code() == mailstore::Status::Code::not_found);
    }
    auto c = client();
    c.service = "pop3";
    c.session_id = "sess1";
    auto s = a.begin("apop", c);
    REQUIRE(s);
    CHECK(s->step(data).kind == K::success);
    // The same line from another connection: a replay.
    c.session_id = "sess2";
    auto replay = a.begin("apop", c);
    REQUIRE(replay);
    CHECK(replay->step(data).kind == K::failure);
}
