// Master users (both forms), SASL sessions, mechanisms and the plaintext
// policy.
#include "framework_support.hpp"

#include "auth/crypto.hpp"

#include <mailstore/auth/password.hpp>

using namespace fw_test;
using K = AuthReply::Kind;
using namespace std::string_literals;

namespace {

std::string master_conf(const Env& env, bool pass) {
    auto masters = env.file("masters", "admin:{PLAIN}masterpw::::::\n");
    auto pw = env.file("passwd", "alice:{PLAIN}alicepw:1000:1000::/home/alice::\n");
    auto users = env.file("users", "alice::1000:1000::/home/alice::\nghost::1009:1009::/home/ghost::\n");
    return "auth_master_user_separator = *\nauth_mechanisms = plain login cram-md5\n" +
           block("passdb", "passwd-file", masters, std::string("  master = yes\n") + (pass ? "  pass = yes\n" : "")) +
           block("passdb", "passwd-file", pw) + block("userdb", "passwd-file", users);
}

} // namespace

TEST_CASE("master: user*master with pass=yes") {
    Env env;
    auto a = env.make(master_conf(env, true));
    auto r = a.verify_plain("alice*admin", "masterpw", client());
    CHECK(r.kind == K::success);
    CHECK(r.user == "alice");
    CHECK(r.master_user == "admin");
    CHECK(r.userdb_fields.get_or("home", "") == "/home/alice");
    // Wrong master password, the target's own password, a master not known.
    CHECK(a.verify_plain("alice*admin", "alicepw", client()).kind == K::failure);
    CHECK(a.verify_plain("alice*nobody", "masterpw", client()).kind == K::failure);
    // pass=yes: the target must exist in the normal passdbs (ghost is only
    // in the userdb).
    LogCapture log(env);
    CHECK(a.verify_plain("ghost*admin", "masterpw", client()).kind == K::failure);
    CHECK(log.text().find("user=<ghost>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, service=imap, secured, "
                          "reason=master login: target user unknown\n") != std::string::npos);
    // A master passdb is not a normal passdb.
    CHECK(a.verify_plain("admin", "masterpw", client()).kind == K::failure);
    // The normal login still works.
    CHECK(a.verify_plain("alice", "alicepw", client()).kind == K::success);
}

TEST_CASE("master: without pass=yes the userdb decides") {
    Env env;
    auto a = env.make(master_conf(env, false));
    auto r = a.verify_plain("ghost*admin", "masterpw", client());
    CHECK(r.kind == K::success);
    CHECK(r.user == "ghost");
    CHECK(r.master_user == "admin");
    CHECK(a.verify_plain("nobody*admin", "masterpw", client()).kind == K::failure);
}

TEST_CASE("master: SASL PLAIN with an authorization identity") {
    Env env;
    auto a = env.make(master_conf(env, true));
    auto s = a.begin("PLAIN", client());
    REQUIRE(s);
    auto r = s->step("alice\0admin\0masterpw"s);
    CHECK(r.kind == K::success);
    CHECK(r.user == "alice");
    CHECK(r.master_user == "admin");
    // authzid equal to authcid is an ordinary login.
    auto s2 = a.begin("PLAIN", client());
    REQUIRE(s2);
    auto r2 = s2->step("alice\0alice\0alicepw"s);
    CHECK(r2.kind == K::success);
    CHECK(r2.master_user.empty());
    // A further step after the final reply fails.
    CHECK(s2->step("alice\0alice\0alicepw"s).kind == K::failure);
}

TEST_CASE("master: no master passdb means no master logins") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw:1000:1000::/home/alice::\nadmin:{PLAIN}adminpw::::::\n");
    auto a = env.make("auth_master_user_separator = *\n" + block("passdb", "passwd-file", pw) +
                      block("userdb", "passwd-file", pw));
    CHECK(a.verify_plain("alice*admin", "adminpw", client()).kind == K::failure);
    auto s = a.begin("PLAIN", client());
    REQUIRE(s);
    CHECK(s->step("alice\0admin\0adminpw"s).kind == K::failure);
}

TEST_CASE("sasl: mechanisms list and unknown mechanisms") {
    Env env;
    auto a = env.make(master_conf(env, false));
    auto m = a.mechanisms();
    REQUIRE(m.size() == 3);
    CHECK(m[0].name == "PLAIN");
    CHECK(m[0].plaintext);
    CHECK(m[1].name == "LOGIN");
    CHECK(m[2].name == "CRAM-MD5");
    CHECK(m[2].dictionary);
    auto s = a.begin("SCRAM-SHA-256", client());
    REQUIRE_FALSE(s);
    CHECK(s.status().code() == mailstore::Status::Code::not_found);
    CHECK(a.begin("plain", client()).is_ok());
}

TEST_CASE("sasl: LOGIN over challenges") {
    Env env;
    auto a = env.make(master_conf(env, false));
    auto s = a.begin("LOGIN", client());
    REQUIRE(s);
    auto c1 = s->step("", false);
    REQUIRE(c1.kind == K::challenge);
    auto c2 = s->step("alice");
    REQUIRE(c2.kind == K::challenge);
    auto r = s->step("alicepw");
    CHECK(r.kind == K::success);
    CHECK(r.user == "alice");
}

TEST_CASE("sasl: a malformed PLAIN message fails and is logged") {
    Env env;
    auto a = env.make(master_conf(env, false));
    LogCapture log(env);
    auto s = a.begin("PLAIN", client());
    REQUIRE(s);
    auto r = s->step("no-nuls-here");
    CHECK(r.kind == K::failure);
    CHECK(r.delay.count() == 2000);
    CHECK(log.text().find("Authentication failed: user=<>, method=PLAIN, rip=192.0.2.7") != std::string::npos);
}

TEST_CASE("plaintext policy: disable_plaintext_auth, auth_allow_cleartext, loopback, trusted networks") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}pw:1000:1000::/home/alice::\n");
    auto base = "auth_mechanisms = plain login cram-md5\n" + block("passdb", "passwd-file", pw) +
                block("userdb", "passwd-file", pw);
    auto a = env.make(base);
    auto insecure = client("192.0.2.7", false);
    auto refused = a.begin("PLAIN", insecure);
    REQUIRE_FALSE(refused);
    CHECK(refused.status().code() == mailstore::Status::Code::permission_denied);
    CHECK_FALSE(a.begin("LOGIN", insecure));
    // Not a plaintext mechanism: allowed.
    CHECK(a.begin("CRAM-MD5", insecure));
    CHECK(a.begin("PLAIN", client("192.0.2.7", true)));
    CHECK(a.begin("PLAIN", client("127.0.0.1", false)));
    CHECK(a.begin("PLAIN", client("::1", false)));
    // No address (an auth client that sent no rip=) is not local: only
    // secured, loopback or trusted networks allow plaintext.
    auto no_rip = a.begin("PLAIN", client("", false));
    REQUIRE_FALSE(no_rip);
    CHECK(no_rip.status().code() == mailstore::Status::Code::permission_denied);
    CHECK_FALSE(a.begin("LOGIN", client("", false)));
    // An in-process tool says secured.
    CHECK(a.begin("PLAIN", client("", true)));

    auto trusted = env.make("login_trusted_networks = 192.0.2.0/24\n" + base);
    CHECK(trusted.begin("PLAIN", insecure));
    CHECK_FALSE(trusted.begin("PLAIN", client("198.51.100.9", false)));

    CHECK(env.make("disable_plaintext_auth = no\n" + base).begin("PLAIN", insecure));
    CHECK(env.make("auth_allow_cleartext = yes\n" + base).begin("PLAIN", insecure));
    CHECK_FALSE(env.make("disable_plaintext_auth = no\nauth_allow_cleartext = no\n" + base).begin("PLAIN", insecure));
}

TEST_CASE("sasl: CRAM-MD5 through the credentials path, and a hash it cannot use") {
    Env env;
    auto crypt = mailstore::auth::hash_password("SHA512-CRYPT", "pw2");
    REQUIRE(crypt);
    auto pw = env.file("passwd", "alice:{PLAIN}alicepw:1000:1000::/home/alice::\n"
                                 "gone:{PLAIN}gonepw:1000:1000::/home/gone::nologin reason=Closed\n"
                                 "hashed:" + *crypt + ":1000:1000::/home/hashed::\n");
    auto a = env.make("auth_mechanisms = plain cram-md5\n" + block("passdb", "passwd-file", pw) +
                      block("userdb", "passwd-file", pw));
    auto run = [&](const std::string& user, const std::string& password) {
        auto s = a.begin("CRAM-MD5", client());
        REQUIRE(s);
        auto c = s->step("", false);
        REQUIRE(c.kind == K::challenge);
        auto digest = mailstore::auth::crypto::hex(
            mailstore::auth::crypto::hmac(mailstore::auth::crypto::Digest::md5, password, c.data));
        return s->step(user + " " + digest);
    };
    auto ok = run("alice", "alicepw");
    CHECK(ok.kind == K::success);
    CHECK(ok.user == "alice");
    CHECK(ok.userdb_fields.get_or("home", "") == "/home/alice");
    CHECK(run("alice", "wrong").kind == K::failure);
    auto gone = run("gone", "gonepw");
    CHECK(gone.kind == K::failure);
    CHECK(gone.reason == "Closed");
    LogCapture log(env);
    CHECK(run("hashed", "pw2").kind == K::failure);
    CHECK(log.text().find("user=<hashed>, method=CRAM-MD5, rip=192.0.2.7, lip=198.51.100.1, service=imap, secured, "
                          "reason=stored password cannot be used with CRAM-MD5\n") != std::string::npos);
    // The same user logs in with PLAIN.
    CHECK(a.verify_plain("hashed", "pw2", client()).kind == K::success);
}

TEST_CASE("failure replies carry the attempted user name, formatted; a master login its target") {
    Env env;
    auto a = env.make("auth_username_format = %Lu\n" + master_conf(env, true));
    auto mismatch = a.verify_plain("Alice", "wrong", client());
    CHECK(mismatch.kind == K::failure);
    CHECK(mismatch.user == "alice");
    auto unknown = a.verify_plain("NoBody", "x", client());
    CHECK(unknown.kind == K::failure);
    CHECK(unknown.user == "nobody");
    // Master logins: the target, as Dovecot's FAIL user= names it, for a
    // wrong master password, an unknown master and an unknown target.
    auto bad_master = a.verify_plain("Alice*admin", "wrong", client());
    CHECK(bad_master.kind == K::failure);
    CHECK(bad_master.user == "alice");
    CHECK(bad_master.master_user.empty());
    CHECK(a.verify_plain("alice*nobody", "masterpw", client()).user == "alice");
    CHECK(a.verify_plain("ghost*admin", "masterpw", client()).user == "ghost");
    // Through SASL: PLAIN with an authorization identity.
    auto s = a.begin("PLAIN", client());
    REQUIRE(s);
    auto r = s->step("Alice\0admin\0wrong"s);
    CHECK(r.kind == K::failure);
    CHECK(r.user == "alice");
    // Refused before a name was known: empty.
    auto s2 = a.begin("PLAIN", client());
    REQUIRE(s2);
    CHECK(s2->step("no-nuls-here").user.empty());
    CHECK(a.verify_plain("bad\tname", "x", client()).user.empty());
}

TEST_CASE("sasl: SCRAM downgrade refused when -PLUS is enabled and the channel can bind (RFC 5802 6)") {
    Env env;
    auto pw = env.file("passwd", "alice:{PLAIN}alicepw:1000:1000::/home/alice::\n");
    auto db = block("passdb", "passwd-file", pw) + block("userdb", "passwd-file", pw);
    auto with_plus = env.make("auth_mechanisms = scram-sha-256 scram-sha-256-plus\n" + db);
    auto without_plus = env.make("auth_mechanisms = scram-sha-256\n" + db);
    auto tls = client();
    tls.channel_binding_type = "tls-exporter";
    tls.channel_binding_data = std::string(32, '\x5a');
    auto no_cb = client();
    // mechanisms() still lists the -PLUS one.
    auto m = with_plus.mechanisms();
    REQUIRE(m.size() == 2);
    CHECK(m[1].name == "SCRAM-SHA-256-PLUS");
    auto first = [](const Authenticator& a, const ClientInfo& c, const std::string& gs2) {
        auto s = a.begin("SCRAM-SHA-256", c);
        REQUIRE(s);
        return s->step(gs2 + ",,n=alice,r=clientnonce0123456789");
    };
    LogCapture log(env);
    auto refused = first(with_plus, tls, "y");
    CHECK(refused.kind == K::failure);
    CHECK(log.text().find("method=SCRAM-SHA-256, rip=192.0.2.7") != std::string::npos);
    CHECK(log.text().find("SCRAM channel binding downgrade") != std::string::npos);
    // "n" on the same channel, "y" where nothing could bind, "y" when no
    // -PLUS is enabled: the exchange goes on.
    CHECK(first(with_plus, tls, "n").kind == K::challenge);
    CHECK(first(with_plus, no_cb, "y").kind == K::challenge);
    CHECK(first(without_plus, tls, "y").kind == K::challenge);
}
