// The session outside the mailbox: greeting, CAPA, unknown commands and
// their limits, line bounds, pipelining, shutdown.
#include "session_harness.hpp"

using pop3_test::HarnessOptions;
using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;
using pop3proto::SessionState;
using pop3proto::Step;

TEST_CASE("greeting: +OK and login_greeting, no APOP timestamp without APOP") {
    Pop3Env env("login_greeting = Dovecot ready.\n");
    Pop3Harness s(env);
    CHECK(s.greeting() == "+OK Dovecot ready.\r\n");
    CHECK(s.session().state() == SessionState::authorization);
}

TEST_CASE("CAPA before login lists USER, SASL and STLS when offered") {
    Pop3Env env("auth_mechanisms = plain login\n");
    HarnessOptions o;
    o.stls_available = true;
    Pop3Harness s(env, o);
    CHECK(s.send("CAPA") == "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
                            "USER\r\nSASL PLAIN LOGIN\r\nIMPLEMENTATION Loft\r\n.\r\n");
}

TEST_CASE("CAPA on an insecure connection without plaintext auth: no USER, no PLAIN") {
    Pop3Env env("auth_mechanisms = plain cram-md5\ndisable_plaintext_auth = yes\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.7";
    Pop3Harness s(env, o);
    CHECK(s.send("CAPA") == "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n"
                            "SASL CRAM-MD5\r\nIMPLEMENTATION Loft\r\n.\r\n");
    CHECK(s.send("USER alice") ==
          "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
}

TEST_CASE("CAPA with every mechanism refused before TLS: no bare SASL line (RFC 2449 §6.3)") {
    Pop3Env env("auth_mechanisms = plain login\ndisable_plaintext_auth = yes\n");
    HarnessOptions o;
    o.secured = false;
    o.remote_ip = "192.0.2.7";
    o.stls_available = true;
    Pop3Harness s(env, o);
    CHECK(s.send("CAPA") == "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
                            "IMPLEMENTATION Loft\r\n.\r\n");
}

TEST_CASE("CAPA after login: no USER, SASL or STLS (as Dovecot)") {
    Pop3Env env;
    HarnessOptions o;
    o.stls_available = true;
    Pop3Harness s(env, o);
    s.login();
    CHECK(s.send("capa") ==
          "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nIMPLEMENTATION Loft\r\n.\r\n");
}

TEST_CASE("before login: transaction commands are unknown; the 3rd closes") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("STAT") == "-ERR Unknown command.\r\n");
    CHECK(s.send("LIST") == "-ERR Unknown command.\r\n");
    CHECK_FALSE(s.closed());
    CHECK(s.send("RETR 1") == "-ERR Unknown command.\r\n-ERR Too many invalid bad commands.\r\n");
    CHECK(s.closed());
    CHECK(s.last().reason == "Too many bad commands");
    CHECK(s.session().state() == SessionState::closed);
}

TEST_CASE("after login: the 21st failed command closes (Dovecot 2.3)") {
    Pop3Env env;
    Pop3Harness s(env);
    s.login();
    for (int i = 0; i < 20; ++i)
        REQUIRE(s.send("FOO") == "-ERR Unknown command: FOO\r\n");
    CHECK(s.send("RETR 9") == "-ERR There's no message 9.\r\n-ERR Too many bad commands.\r\n");
    CHECK(s.closed());
    CHECK(s.last().reason == "Too many bad commands.");
}

TEST_CASE("good commands do not reset the count, and an expunged message is no bad command") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    Pop3Harness s(env);
    s.login();
    for (int i = 0; i < 20; ++i) {
        REQUIRE(s.send("BAR") == "-ERR Unknown command: BAR\r\n");
        REQUIRE(s.send("NOOP") == "+OK\r\n");
    }
    CHECK_FALSE(s.closed());
}

TEST_CASE("QUIT before login") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send("QUIT") == "+OK Logging out\r\n");
    CHECK(s.closed());
}

TEST_CASE("empty lines and leading spaces are unknown commands; lower case works; bare LF ends a line") {
    Pop3Env env;
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("") == "-ERR Unknown command.\r\n");
    CHECK(s.send(" NOOP") == "-ERR Unknown command.\r\n");
    CHECK(s.send("noop") == "+OK\r\n");
    CHECK(s.send("NOOP ignored") == "+OK\r\n");
    CHECK(s.send_raw("NOOP\n") == "+OK\r\n");
    CHECK(s.send_raw("STAT\r\nNOOP\n") == "+OK 0 0\r\n+OK\r\n");
}

TEST_CASE("pipelined commands are answered in order (RFC 2449 §6.6)") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\none\r\n");
    env.add_message("alice", "Subject: b\r\n\r\ntwo\r\n");
    Pop3Harness s(env);
    CHECK(s.send_raw("USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nSTAT\r\nQUIT\r\n") ==
          "+OK\r\n+OK Logged in.\r\n+OK 2 38\r\n+OK 2 messages:\r\n1 19\r\n2 19\r\n.\r\n"
          "+OK 19 octets\r\nSubject: b\r\n\r\ntwo\r\n.\r\n+OK Marked to be deleted.\r\n+OK 1 19\r\n"
          "+OK Logging out, messages deleted.\r\n");
    CHECK(s.closed());
}

TEST_CASE("a command split over several reads") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send_raw("US") == "");
    CHECK(s.last().kind == Step::Kind::read);
    CHECK(s.send_raw("ER ali") == "");
    CHECK(s.send_raw("ce\r") == "");
    CHECK(s.send_raw("\n") == "+OK\r\n");
}

TEST_CASE("a line over max_line_length: -ERR and close, before and after login") {
    Pop3Env env;
    HarnessOptions o;
    o.max_line_length = 300;
    {
        Pop3Harness s(env, o);
        CHECK(s.send("USER " + std::string(290, 'a')) == "+OK\r\n"); // longer than RFC 2449's 255: accepted
        CHECK(s.send_raw(std::string(301, 'x')) == "-ERR Input buffer full, aborting\r\n");
        CHECK(s.closed());
    }
    {
        Pop3Harness s(env, o);
        s.login();
        CHECK(s.send("STAT " + std::string(400, 'a')) == "-ERR Input line too long.\r\n");
        CHECK(s.closed());
        CHECK(s.last().reason == "Input line too long");
    }
}

TEST_CASE("input after a close request is ignored") {
    Pop3Env env;
    Pop3Harness s(env);
    CHECK(s.send_raw("QUIT\r\nUSER alice\r\n") == "+OK Logging out\r\n");
    CHECK(s.closed());
    CHECK(s.send_raw("NOOP\r\n") == "");
    CHECK(s.closed());
}

TEST_CASE("shutdown: -ERR with the text, nothing deleted") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
    s.session().shutdown("Server shutting down.");
    CHECK(s.send_raw("") == "-ERR Server shutting down.\r\n");
    CHECK(s.closed());
    Pop3Harness again(env);
    again.login();
    CHECK(again.send("STAT") == "+OK 1 17\r\n");
}

TEST_CASE("preauth_user: logged in at start, no greeting") {
    Pop3Env env;
    env.add_message("bob", "Subject: a\r\n\r\nx\r\n");
    HarnessOptions o;
    o.preauth_user = "bob";
    Pop3Harness s(env, o);
    CHECK(s.greeting() == "");
    CHECK(s.session().state() == SessionState::transaction);
    CHECK(s.session().username() == "bob");
    CHECK(s.send("STAT") == "+OK 1 17\r\n");
}
