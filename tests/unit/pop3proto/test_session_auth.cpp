// AUTHORIZATION: USER/PASS, AUTH (RFC 5034), STLS (RFC 2595), APOP, the
// [AUTH], [SYS/TEMP] and [SYS/PERM] codes (RFC 2449 §8, RFC 3206).
#include "session_harness.hpp"

#include "auth/crypto.hpp"

#include <mailstore/auth/authenticator.hpp>

using pop3_test::HarnessOptions;
using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;
using pop3proto::SessionState;
using pop3proto::Step;

namespace {
std::string b64(std::string_view s) { return mailstore::auth::crypto::base64(s); }
} // namespace

TEST_CASE("USER/PASS") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("PASS secret") == "-ERR No username given.\r\n");
    CHECK(s.send("USER alice") == "+OK\r\n");
    CHECK(s.send("PASS secret") == "+OK Logged in.\r\n");
    CHECK(s.session().state() == SessionState::transaction);
    CHECK(s.session().username() == "alice");
    // Login commands are unknown in TRANSACTION.
    CHECK(s.send("USER bob") == "-ERR Unknown command: USER\r\n");
    CHECK(s.send("AUTH PLAIN") == "-ERR Unknown command: AUTH\r\n");
    CHECK(s.send("STLS") == "-ERR Unknown command: STLS\r\n");
}

TEST_CASE("wrong password: -ERR [AUTH]; PASS needs a new USER; the 3rd failure closes") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("USER alice") == "+OK\r\n");
    CHECK(s.send("PASS wrong") == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK(s.send("PASS secret") == "-ERR No username given.\r\n");
    CHECK(s.send("USER nosuchuser") == "+OK\r\n");
    CHECK(s.send("PASS secret") == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK_FALSE(s.closed());
    CHECK(s.send("USER alice") == "+OK\r\n");
    CHECK(s.send("PASS bad") == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK(s.closed());
}

TEST_CASE("a failure delay is a Step::sleep before the answer") {
    Pop3Env env("auth_failure_delay = 2s\n");
    Pop3Harness s(env);
    CHECK(s.send("USER alice") == "+OK\r\n");
    s.steps.clear();
    CHECK(s.send("PASS wrong") == "-ERR [AUTH] Authentication failed.\r\n");
    REQUIRE(s.steps.size() >= 2);
    CHECK(s.steps[0] == Step::Kind::sleep);
}

TEST_CASE("AUTH without arguments lists the mechanisms") {
    Pop3Env env("auth_mechanisms = plain login cram-md5\n");
    Pop3Harness s(env);
    CHECK(s.send("AUTH") == "+OK\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n");
}

TEST_CASE("AUTH PLAIN with an initial response (RFC 5034 §4)") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) == "+OK Logged in.\r\n");
    CHECK(s.session().state() == SessionState::transaction);
}

TEST_CASE("AUTH PLAIN without an initial response: empty challenge, then the response") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("auth plain") == "+ \r\n");
    CHECK(s.send(b64(std::string("\0alice\0secret", 13))) == "+OK Logged in.\r\n");
}

TEST_CASE("AUTH LOGIN's challenges") {
    Pop3Env env("auth_mechanisms = plain login\n");
    Pop3Harness s(env);
    CHECK(s.send("AUTH LOGIN") == "+ " + b64("Username:") + "\r\n");
    CHECK(s.send(b64("alice")) == "+ " + b64("Password:") + "\r\n");
    CHECK(s.send(b64("secret")) == "+OK Logged in.\r\n");
}

TEST_CASE("AUTH: '*' cancels, bad base64, unknown mechanisms, wrong password") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("AUTH PLAIN") == "+ \r\n");
    CHECK(s.send("*") == "-ERR Authentication aborted by client.\r\n");
    CHECK(s.send("AUTH PLAIN !!!") == "-ERR [AUTH] Invalid base64 data in initial response\r\n");
    CHECK(s.send("AUTH PLAIN") == "+ \r\n");
    CHECK(s.send("%%%") == "-ERR [AUTH] Invalid base64 in response\r\n");
    CHECK(s.send("AUTH KERBEROS_V4") == "-ERR [AUTH] Unsupported authentication mechanism.\r\n");
    CHECK(s.send("AUTH PLAIN " + b64(std::string("\0alice\0nope", 11))) ==
          "-ERR [AUTH] Authentication failed.\r\n");
    CHECK(s.session().state() == SessionState::authorization);
    // An empty initial response ("=") is a PLAIN message that cannot log in.
    CHECK(s.send("AUTH PLAIN =") == "-ERR [AUTH] Authentication failed.\r\n");
}

TEST_CASE("plaintext refused on an insecure connection; allowed after STLS") {
    Pop3Env env("disable_plaintext_auth = yes\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.7";
    o.stls_available = true;
    Pop3Harness s(env, o);
    CHECK(s.send("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) ==
          "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
    CHECK(s.send("USER alice") ==
          "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
    s.steps.clear();
    CHECK(s.send("STLS") == "+OK Begin TLS negotiation now.\r\n");
    CHECK(s.steps.front() == Step::Kind::starttls);
    CHECK(s.send("STLS") == "-ERR TLS is already active.\r\n");
    s.login();
}

TEST_CASE("STLS: input pipelined after it is discarded (RFC 2595 §4)") {
    Pop3Env env;
    HarnessOptions o;
    o.stls_available = true;
    Pop3Harness s(env, o);
    CHECK(s.send_raw("STLS\r\nUSER alice\r\nPASS secret\r\n") == "+OK Begin TLS negotiation now.\r\n");
    CHECK(s.session().state() == SessionState::authorization);
    CHECK(s.send("PASS secret") == "-ERR No username given.\r\n");
}

TEST_CASE("STLS: a USER sent before it is forgotten (RFC 2595 §4)") {
    Pop3Env env;
    HarnessOptions o;
    o.stls_available = true;
    Pop3Harness s(env, o);
    CHECK(s.send("USER bob") == "+OK\r\n");
    CHECK(s.send("STLS") == "+OK Begin TLS negotiation now.\r\n");
    CHECK(s.send("PASS secret") == "-ERR No username given.\r\n");
    s.login();
    CHECK(s.session().username() == "alice");
}

TEST_CASE("STLS without TLS configured") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("STLS") == "-ERR TLS support isn't enabled.\r\n");
    HarnessOptions o;
    o.tls_active = true;
    Pop3Harness t(env, o);
    CHECK(t.send("STLS") == "-ERR TLS is already active.\r\n");
}

TEST_CASE("APOP is refused when not offered") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.greeting().find('<') == std::string::npos);
    CHECK(s.send("APOP alice c4c9334bac560ecc979e58001b3e22fb") == "-ERR APOP not enabled.\r\n");
}

TEST_CASE("on_login refusals: [SYS/TEMP] and [SYS/PERM]") {
    Pop3Env env;
    HarnessOptions o;
    o.on_login = [](const std::string& user, const mailstore::auth::FieldList&) {
        if (user == "alice")
            return mailstore::Status::error(mailstore::Status::Code::temporary_failure,
                                            "Maximum number of connections from user+IP exceeded");
        return mailstore::Status::error(mailstore::Status::Code::permission_denied, "Not allowed.");
    };
    Pop3Harness s(env, o);
    CHECK(s.send("USER alice") == "+OK\r\n");
    CHECK(s.send("PASS secret") == "-ERR [SYS/TEMP] Maximum number of connections from user+IP exceeded\r\n");
    CHECK(s.send("USER bob") == "+OK\r\n");
    CHECK(s.send("PASS secret") == "-ERR [SYS/PERM] Not allowed.\r\n");
    CHECK(s.session().state() == SessionState::authorization);
}

TEST_CASE("on_login sees the userdb fields") {
    Pop3Env env;
    HarnessOptions o;
    std::string home;
    o.on_login = [&](const std::string&, const mailstore::auth::FieldList& f) {
        home = f.get_or("home", "");
        return mailstore::Status::ok();
    };
    Pop3Harness s(env, o);
    s.login();
    CHECK(home == env.dir.str() + "/home/alice");
}

namespace {
// RFC 1939 §7: MD5 of the greeting's timestamp and the password, in hex.
std::string apop_digest(const std::string& greeting, const std::string& password) {
    auto lt = greeting.find('<');
    auto gt = greeting.find('>', lt);
    REQUIRE(lt != std::string::npos);
    REQUIRE(gt != std::string::npos);
    const std::string ts = greeting.substr(lt, gt - lt + 1);
    return mailstore::auth::crypto::hex(mailstore::auth::crypto::md5(ts + password));
}
} // namespace

TEST_CASE("APOP with auth_mechanisms = apop: timestamp in the greeting, digest checked") {
    Pop3Env env("auth_mechanisms = plain apop\n");
    Pop3Harness s(env);
    CHECK(s.greeting().starts_with("+OK Loft ready. <"));
    CHECK(s.greeting().ends_with(">\r\n"));
    // APOP is never announced (Dovecot: MECH APOP private).
    CHECK(s.send("CAPA").find("SASL PLAIN\r\n") != std::string::npos);
    CHECK(s.send("AUTH") == "+OK\r\nPLAIN\r\n.\r\n");
    CHECK(s.send("AUTH APOP") == "-ERR [AUTH] Unsupported authentication mechanism.\r\n");
    CHECK(s.send("APOP alice 0123456789abcdef0123456789abcdef") == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK(s.send("APOP alice short") == "-ERR Invalid APOP parameters.\r\n");
    CHECK(s.send("APOP alice " + apop_digest(s.greeting(), "secret")) == "+OK Logged in.\r\n");
    CHECK(s.session().username() == "alice");
}

TEST_CASE("APOP: another connection's timestamp does not work") {
    Pop3Env env("auth_mechanisms = plain apop\n");
    Pop3Harness a(env);
    Pop3Harness b(env);
    CHECK(a.greeting() != b.greeting());
    CHECK(b.send("APOP alice " + apop_digest(a.greeting(), "secret")) == "-ERR [AUTH] Authentication failed.\r\n");
}

TEST_CASE("APOP needs a plaintext password: a hashed one fails") {
    Pop3Env env("auth_mechanisms = plain apop\n");
    // One user with a hash, one with {PLAIN}: APOP is offered (erin can
    // use it) but cannot check dave's password.
    const std::string users = env.dir.write("hashed", "dave:{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=::::\n"
                                                      "erin:{PLAIN}secret::::\n");
    auto loaded = mailstore::config::Config::load_string(
        "mail_location = maildir:" + env.dir.str() + "/mail/%u/Maildir\nauth_mechanisms = plain apop\n"
        "passdb {\n  driver = passwd-file\n  args = " + users + "\n}\n"
        "userdb {\n  driver = static\n  args = home=" + env.dir.str() + "/home/%u\n}\n");
    REQUIRE(loaded.is_ok());
    auto auth = mailstore::auth::Authenticator::create(*loaded);
    REQUIRE(auth.is_ok());
    HarnessOptions o;
    o.backend = mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
    Pop3Harness s(env, o);
    CHECK(s.send("APOP dave " + apop_digest(s.greeting(), "secret")) == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK(s.send("APOP erin " + apop_digest(s.greeting(), "secret")) == "+OK Logged in.\r\n");
    Pop3Harness t(env, o);
    // USER/PASS still works for the hashed user.
    CHECK(t.send("USER dave") == "+OK\r\n");
    CHECK(t.send("PASS secret") == "+OK Logged in.\r\n");
}

TEST_CASE("APOP is not offered when no passdb can return a plaintext password") {
    Pop3Env env;
    const std::string users =
        env.dir.write("hashed", "dave:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=::::\n");
    auto loaded = mailstore::config::Config::load_string(
        "mail_location = maildir:" + env.dir.str() + "/mail/%u/Maildir\nauth_mechanisms = plain apop\n"
        "passdb {\n  driver = passwd-file\n  args = scheme=SHA256 " + users + "\n}\n"
        "userdb {\n  driver = static\n  args = home=" + env.dir.str() + "/home/%u\n}\n");
    REQUIRE(loaded.is_ok());
    auto auth = mailstore::auth::Authenticator::create(*loaded);
    REQUIRE(auth.is_ok());
    HarnessOptions o;
    o.backend = mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
    Pop3Harness s(env, o);
    CHECK(s.greeting() == "+OK Loft ready.\r\n");
    CHECK(s.send("APOP dave 0123456789abcdef0123456789abcdef") == "-ERR APOP not enabled.\r\n");
    CHECK(s.send("USER dave") == "+OK\r\n");
    CHECK(s.send("PASS secret") == "+OK Logged in.\r\n");
}
