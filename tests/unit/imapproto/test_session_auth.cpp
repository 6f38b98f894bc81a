// Every way in: LOGIN, AUTHENTICATE PLAIN and LOGIN with and without SASL-IR,
// aborts, bad base64, wrong passwords and their delay, the plaintext policy
// (LOGINDISABLED / PRIVACYREQUIRED), temporary failures and on_login.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;
using Kind = imapproto::Step::Kind;

namespace {

std::string b64(std::string_view in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool logged_in_ok(const std::string& out, const std::string& tag) {
    auto t = tagged_line(out, tag);
    return t.rfind(tag + " OK [CAPABILITY IMAP4rev1 ", 0) == 0 && t.size() > 10 &&
           t.substr(t.size() - 11) == "] Logged in";
}

const std::string kPlainCreds = std::string("\0alice\0secret", 13);

// A backend whose every answer is a temporary failure.
class BrokenBackend final : public imapproto::LoginBackend {
public:
    std::vector<mailstore::auth::MechanismInfo> mechanisms() const override {
        mailstore::auth::MechanismInfo m;
        m.name = "PLAIN";
        m.plaintext = true;
        return {m};
    }
    mailstore::Result<std::unique_ptr<imapproto::SaslExchange>> begin(std::string_view,
                                                                      const mailstore::auth::ClientInfo&) override {
        return mailstore::Status::error(mailstore::Status::Code::temporary_failure, "backend down");
    }
    mailstore::auth::AuthReply verify_plain(std::string_view, std::string_view,
                                            const mailstore::auth::ClientInfo&) override {
        mailstore::auth::AuthReply r;
        r.kind = mailstore::auth::AuthReply::Kind::temporary_failure;
        return r;
    }
    mailstore::auth::LookupResult lookup_user(std::string_view, const mailstore::auth::ClientInfo&) override {
        return {};
    }
};

} // namespace

TEST_CASE("LOGIN succeeds with the post-login capabilities") {
    MailEnv env;
    SessionHarness s(env);
    auto r = s.cmd("a1 LOGIN alice secret");
    CHECK(logged_in_ok(r, "a1"));
    CHECK(r.find("NAMESPACE") != std::string::npos);
    CHECK(s.session().state() == imapproto::SessionState::authenticated);
    CHECK(s.session().username() == "alice");
    CHECK(s.session().login_mechanism() == "PLAIN");
    // Quoted strings work as astrings.
    SessionHarness s2(env);
    CHECK(logged_in_ok(s2.cmd("a1 LOGIN \"bob\" \"secret\""), "a1"));
}

TEST_CASE("LOGIN with a wrong password: delay, then NO") {
    MailEnv env("auth_failure_delay = 1s\n");
    SessionHarness s(env);
    auto& session = s.session();
    session.feed("a1 LOGIN alice wrong\r\n");
    auto step = session.run();
    CHECK(step.kind == Kind::sleep);
    CHECK(step.delay >= std::chrono::milliseconds(1000));
    CHECK(!session.has_output()); // nothing is said before the delay
    step = session.run();
    CHECK(step.kind == Kind::read);
    std::string out(session.output_front());
    CHECK(out == "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(session.state() == imapproto::SessionState::not_authenticated);
}

TEST_CASE("LOGIN syntax errors get Dovecot's generic pre-login BAD") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.cmd("a1 LOGIN alice") == "a1 BAD Error in IMAP command received by server.\r\n");
    CHECK(s.cmd("a2 LOGIN (alice) secret") == "a2 BAD Error in IMAP command received by server.\r\n");
}

TEST_CASE("three failed logins end the connection") {
    MailEnv env("auth_failure_delay = 0\n");
    SessionHarness s(env);
    CHECK(s.cmd("a1 LOGIN alice x") == "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(s.cmd("a2 LOGIN nobody x") == "a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    auto r = s.send("a3 LOGIN alice y");
    CHECK(r == "a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n* BYE Too many authentication failures.\r\n");
    CHECK(s.closed());
}

TEST_CASE("AUTHENTICATE PLAIN with an initial response (SASL-IR)") {
    MailEnv env;
    SessionHarness s(env);
    auto r = s.cmd("a1 AUTHENTICATE PLAIN " + b64(kPlainCreds));
    CHECK(logged_in_ok(r, "a1"));
    CHECK(lines(r).size() == 1);
    CHECK(s.session().login_mechanism() == "PLAIN");
}

TEST_CASE("AUTHENTICATE PLAIN without an initial response") {
    MailEnv env;
    SessionHarness s(env);
    auto r = s.send("a1 authenticate plain");
    CHECK(r == "+ \r\n");
    CHECK(s.last_step() == Kind::read);
    r = s.send(b64(kPlainCreds));
    CHECK(logged_in_ok(r, "a1"));
}

TEST_CASE("AUTHENTICATE LOGIN asks for user name and password") {
    MailEnv env("auth_mechanisms = plain login\n");
    SessionHarness s(env);
    CHECK(s.send("a1 AUTHENTICATE LOGIN") == "+ VXNlcm5hbWU6\r\n");
    CHECK(s.send(b64("alice")) == "+ UGFzc3dvcmQ6\r\n");
    auto r = s.send(b64("secret"));
    CHECK(logged_in_ok(r, "a1"));
    CHECK(s.session().login_mechanism() == "LOGIN");
}

TEST_CASE("AUTHENTICATE aborted, bad base64, empty initial response, unknown mechanism") {
    MailEnv env("auth_failure_delay = 0\n");
    SessionHarness s(env);
    CHECK(s.send("a1 AUTHENTICATE PLAIN") == "+ \r\n");
    CHECK(s.send("*") == "a1 BAD Authentication aborted by client.\r\n");
    CHECK(s.cmd("a2 AUTHENTICATE PLAIN !!!") == "a2 BAD Invalid base64 data in initial response\r\n");
    SessionHarness s2(env);
    CHECK(s2.send("b1 AUTHENTICATE PLAIN") == "+ \r\n");
    CHECK(s2.send("!!!") == "b1 NO [ALERT] Invalid base64 in response\r\n");
    CHECK(s2.cmd("b2 AUTHENTICATE PLAIN =") == "b2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(s2.cmd("b3 AUTHENTICATE FOO") == "b3 NO [ALERT] Unsupported authentication mechanism.\r\n");
    CHECK(s2.session().state() == imapproto::SessionState::not_authenticated);
    // The wrong password through SASL.
    SessionHarness s3(env);
    CHECK(s3.cmd("c1 AUTHENTICATE PLAIN " + b64(std::string("\0alice\0nope", 11))) ==
          "c1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(s3.cmd("c2 AUTHENTICATE") == "c2 BAD Error in IMAP command received by server.\r\n");
}

TEST_CASE("pipelined commands after AUTHENTICATE wait for the exchange") {
    MailEnv env;
    SessionHarness s(env);
    auto r = s.send_raw("a1 AUTHENTICATE PLAIN\r\n" + b64(kPlainCreds) + "\r\na2 NOOP\r\n");
    CHECK(r.rfind("+ \r\na1 OK [CAPABILITY ", 0) == 0);
    CHECK(r.find("a2 OK NOOP completed.\r\n") != std::string::npos);
}

TEST_CASE("disable_plaintext_auth on an insecure connection") {
    MailEnv env("auth_mechanisms = plain login\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.10";
    SessionHarness s(env, o);
    CHECK(s.greeting() == "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ LOGINDISABLED] Loft ready.\r\n");
    auto r = s.cmd("a1 LOGIN alice secret");
    CHECK(r == "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. "
               "If anyone was listening, the password was exposed.\r\n"
               "a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
    r = s.cmd("a2 AUTHENTICATE PLAIN");
    CHECK(r == "a2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
    CHECK(s.session().state() == imapproto::SessionState::not_authenticated);

    // The same client over TLS may.
    o.tls_active = true;
    SessionHarness t(env, o);
    CHECK(t.greeting().find("AUTH=PLAIN AUTH=LOGIN]") != std::string::npos);
    CHECK(logged_in_ok(t.cmd("a1 LOGIN alice secret"), "a1"));

    // And so may anyone with disable_plaintext_auth = no.
    MailEnv open_env("disable_plaintext_auth = no\n");
    o.tls_active = false;
    SessionHarness u(open_env, o);
    CHECK(u.greeting().find("LOGINDISABLED") == std::string::npos);
    CHECK(logged_in_ok(u.cmd("a1 LOGIN alice secret"), "a1"));
}

TEST_CASE("login_trusted_networks count as secured") {
    MailEnv env("login_trusted_networks = 192.0.2.0/24\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.10";
    SessionHarness s(env, o);
    CHECK(s.greeting().find("LOGINDISABLED") == std::string::npos);
    CHECK(logged_in_ok(s.cmd("a1 LOGIN alice secret"), "a1"));
}

TEST_CASE("STARTTLS then LOGIN on a connection that needed TLS") {
    MailEnv env;
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.10";
    o.starttls_available = true;
    SessionHarness s(env, o);
    // Pipelined input after STARTTLS is dropped (RFC 3501 §6.2.1).
    auto r = s.send_raw("a1 STARTTLS\r\na2 LOGIN alice secret\r\n");
    CHECK(r == "a1 OK Begin TLS negotiation now.\r\n");
    CHECK(s.cmd("a3 CAPABILITY").find("STARTTLS") == std::string::npos);
    CHECK(s.cmd("a4 STARTTLS") == "a4 BAD TLS is already active.\r\n");
    CHECK(logged_in_ok(s.cmd("a5 LOGIN alice secret"), "a5"));

    SessionHarness n(env);
    CHECK(n.cmd("b1 STARTTLS") == "b1 BAD TLS support isn't enabled.\r\n");
}

TEST_CASE("STARTTLS hands Step::starttls to the daemon") {
    MailEnv env;
    HarnessOptions o;
    o.starttls_available = true;
    SessionHarness s(env, o);
    s.session().feed("a1 STARTTLS\r\nignored\r\n");
    auto step = s.session().run();
    CHECK(step.kind == Kind::starttls);
    CHECK(std::string(s.session().output_front()) == "a1 OK Begin TLS negotiation now.\r\n");
    s.session().output_consume(s.session().output_pending());
    s.session().tls_started();
    step = s.session().run();
    CHECK(step.kind == Kind::read);
    CHECK(!s.session().has_output());
}

TEST_CASE("ssl = required: no authentication at all before TLS") {
    MailEnv env("disable_plaintext_auth = no\nauth_mechanisms = plain\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.10";
    o.ssl_required = true;
    SessionHarness s(env, o);
    CHECK(s.greeting() == "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ LOGINDISABLED] Loft ready.\r\n");
    CHECK(tagged_line(s.cmd("a1 LOGIN alice secret"), "a1") ==
          "a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
}

TEST_CASE("temporary authentication failures say UNAVAILABLE") {
    MailEnv env;
    env.backend = std::make_shared<BrokenBackend>();
    SessionHarness s(env);
    CHECK(s.cmd("a1 LOGIN alice secret") == "a1 NO [UNAVAILABLE] Temporary authentication failure.\r\n");
    CHECK(s.cmd("a2 AUTHENTICATE PLAIN") == "a2 NO [UNAVAILABLE] Temporary authentication failure.\r\n");
    CHECK(!s.closed());
}

TEST_CASE("on_login may refuse the login") {
    MailEnv env;
    HarnessOptions o;
    std::string seen;
    o.on_login = [&seen](const std::string& user, const mailstore::auth::FieldList& fields) {
        seen = user + " " + fields.get_or("home", "?");
        return mailstore::Status::error(mailstore::Status::Code::permission_denied,
                                        "Maximum number of connections from user+IP exceeded");
    };
    SessionHarness s(env, o);
    CHECK(s.cmd("a1 LOGIN alice secret") ==
          "a1 NO [UNAVAILABLE] Maximum number of connections from user+IP exceeded\r\n");
    CHECK(seen == "alice " + env.dir.str() + "/home/alice");
    CHECK(s.session().state() == imapproto::SessionState::not_authenticated);
}

TEST_CASE("on_login refusing for a limit answers NO [LIMIT]") {
    // RFC 5530 §3 LIMIT: mail_max_userip_connections (Dovecot's code).
    MailEnv env;
    HarnessOptions o;
    int calls = 0;
    o.on_login = [&calls](const std::string&, const mailstore::auth::FieldList&) {
        return ++calls == 1 ? mailstore::Status::error(mailstore::Status::Code::temporary_failure,
                                                       "Maximum number of connections from user+IP exceeded "
                                                       "(mail_max_userip_connections=2)")
                            : mailstore::Status::ok();
    };
    SessionHarness s(env, o);
    CHECK(s.cmd("a1 LOGIN alice secret") ==
          "a1 NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=2)\r\n");
    CHECK(s.session().state() == imapproto::SessionState::not_authenticated);
    // Once a slot is free the same session logs in.
    CHECK(tagged_line(s.cmd("a2 LOGIN alice secret"), "a2").rfind("a2 OK [CAPABILITY ", 0) == 0);
    CHECK(calls == 2);
}

TEST_CASE("passdb nologin with a reason: CONTACTADMIN and the reason") {
    loft_test::TempDir extra("loft-nologin");
    std::string users = extra.write("users", "dave:{PLAIN}secret::::::nologin reason=Disabled\n");
    MailEnv env("auth_failure_delay = 0\npassdb {\n  driver = passwd-file\n  args = " + users + "\n}\n");
    SessionHarness s(env);
    auto r = s.cmd("a1 LOGIN dave secret");
    INFO(r);
    CHECK(tagged_line(r, "a1") == "a1 NO [CONTACTADMIN] Disabled");
    CHECK(s.session().state() == imapproto::SessionState::not_authenticated);
}
