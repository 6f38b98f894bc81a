// The LMTP commands in every state with their exact replies (RFC 2033,
// RFC 5321; texts as Dovecot 2.3.19's LMTP sends them, docs/lmtp.md).
#include "lmtp_harness.hpp"

#include <doctest/doctest.h>

using namespace lmtp_test;

TEST_CASE("greeting and LHLO") {
    LmtpEnv env;
    LmtpClient c(env);
    CHECK(c.greeting() == "220 mx.example.org Loft ready.\r\n");
    CHECK(c.send("LHLO client.example\r\n") == default_lhlo_reply());
    // lhlo is case-insensitive, and may be repeated.
    CHECK(c.send("lhlo other\r\n") == default_lhlo_reply());
    CHECK(c.send("LHLO\r\n") == "501 5.5.4 Missing hostname\r\n");
    CHECK(c.send("LHLO \r\n") == "501 5.5.4 Missing hostname\r\n");
    // RFC 2033 §4.1: HELO and EHLO are not LMTP.
    CHECK(c.send("HELO client\r\n") == "500 5.5.1 Unknown command\r\n");
    CHECK(c.send("EHLO client\r\n") == "500 5.5.1 Unknown command\r\n");
}

TEST_CASE("login_greeting and SIZE/STARTTLS/XCLIENT in LHLO") {
    LmtpEnv env("login_greeting = Mail here.\n");
    ClientOptions o;
    o.max_message_size = 10485760;
    o.starttls_available = true;
    o.xclient_allowed = true;
    LmtpClient c(env, o);
    CHECK(c.greeting() == "220 mx.example.org Mail here.\r\n");
    CHECK(c.send("LHLO x\r\n") == "250-mx.example.org\r\n"
                                 "250-8BITMIME\r\n"
                                 "250-BINARYMIME\r\n"
                                 "250-CHUNKING\r\n"
                                 "250-ENHANCEDSTATUSCODES\r\n"
                                 "250-PIPELINING\r\n"
                                 "250-SIZE 10485760\r\n"
                                 "250-SMTPUTF8\r\n"
                                 "250-STARTTLS\r\n"
                                 "250 XCLIENT ADDR PORT PROTO HELO LOGIN NAME\r\n");
    // Under TLS, STARTTLS is no longer offered.
    ClientOptions t = o;
    t.tls_active = true;
    LmtpClient c2(env, t);
    CHECK(c2.send("LHLO x\r\n").find("STARTTLS") == std::string::npos);
}

TEST_CASE("NOOP, RSET, VRFY, HELP, QUIT") {
    LmtpEnv env;
    LmtpClient c(env);
    CHECK(c.send("NOOP\r\n") == "250 2.0.0 OK\r\n");
    CHECK(c.send("NOOP anything at all\r\n") == "250 2.0.0 OK\r\n");
    CHECK(c.send("RSET\r\n") == "250 2.0.0 OK\r\n");
    CHECK(c.send("RSET x\r\n") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(c.send("VRFY alice\r\n") == "252 2.3.3 Try RCPT instead\r\n");
    CHECK(c.send("VRFY \"alice smith\"\r\n") == "252 2.3.3 Try RCPT instead\r\n");
    CHECK(c.send("VRFY\r\n") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(c.send("VRFY <alice>\r\n") == "501 5.5.4 Invalid string parameter\r\n");
    CHECK(c.send("HELP\r\n") == "214 2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY\r\n");
    CHECK(c.send("EXPN staff\r\n") == "500 5.5.1 Unknown command\r\n");
    CHECK(c.send("QUIT now\r\n") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(!c.closed());
    CHECK(c.send("QUIT\r\n") == "221 2.0.0 Bye\r\n");
    CHECK(c.closed());
    // After QUIT nothing more is read or answered.
    CHECK(c.send("NOOP\r\n") == "");
    CHECK(c.closed());
}

TEST_CASE("command syntax errors") {
    LmtpEnv env;
    LmtpClient c(env);
    CHECK(c.send("\r\n") == "500 5.5.2 Invalid command syntax\r\n");
    CHECK(c.send(".\r\n") == "500 5.5.2 Invalid command syntax\r\n");
    CHECK(c.send("MAIL  FROM:<a@b>\r\n") == "500 5.5.2 Invalid command syntax\r\n");
    CHECK(c.send(std::string("NOOP a\0b\r\n", 10)) == "500 5.5.2 Invalid command syntax\r\n");
    CHECK(c.send("NO-OP\r\n") == "500 5.5.2 Invalid command syntax\r\n");
    // Bare LF ends a command line as well.
    CHECK(c.send("NOOP\n") == "250 2.0.0 OK\r\n");
    // "NOOP " reads as NOOP.
    CHECK(c.send("NOOP \r\n") == "250 2.0.0 OK\r\n");
}

TEST_CASE("MAIL FROM: parameters and states") {
    LmtpEnv env;
    ClientOptions o;
    o.max_message_size = 1000;
    LmtpClient c(env, o);
    c.send("LHLO x\r\n");
    CHECK(c.send("MAIL FROM:<a@example.org>\r\n") == "250 2.1.0 OK\r\n");
    // RFC 5321 §4.1.4: no nested MAIL.
    CHECK(c.send("MAIL FROM:<a@example.org>\r\n") == "503 5.5.0 MAIL already given\r\n");
    CHECK(c.send("MAIL FROM:garbage\r\n") == "503 5.5.0 MAIL already given\r\n");
    CHECK(c.send("RSET\r\n") == "250 2.0.0 OK\r\n");
    CHECK(c.send("MAIL FROM:<>\r\n") == "250 2.1.0 OK\r\n");
    c.send("RSET\r\n");
    auto mail = [&](std::string_view args) {
        std::string r = c.send("MAIL " + std::string(args) + "\r\n");
        if (r == "250 2.1.0 OK\r\n")
            c.send("RSET\r\n");
        return r;
    };
    CHECK(mail("FROM:<a@b> SIZE=1000") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> SIZE=1001") == "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    // RFC 1870: a 2 GB (or 20-digit) SIZE is a number over the limit.
    CHECK(mail("FROM:<a@b> SIZE=2147483648") == "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(mail("FROM:<a@b> SIZE=99999999999999999999") ==
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(mail("FROM:<a@b> SIZE=999999999999999999999") == "501 5.5.4 Invalid SIZE parameter\r\n");
    CHECK(mail("FROM:<a@b> SIZE=abc") == "501 5.5.4 Invalid SIZE parameter\r\n");
    CHECK(mail("FROM:<a@b> SIZE") == "501 5.5.4 Invalid SIZE parameter\r\n");
    CHECK(mail("FROM:<a@b> SIZE=1 SIZE=1") == "501 5.5.4 Duplicate SIZE= parameter\r\n");
    CHECK(mail("FROM:<a@b> BODY=7BIT") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> body=8bitmime") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> BODY=BINARYMIME") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> BODY=FOO") == "555 5.5.4 Unsupported mail BODY type\r\n");
    CHECK(mail("FROM:<a@b> BODY") == "501 5.5.4 Invalid BODY parameter\r\n");
    CHECK(mail("FROM:<a@b> BODY=7BIT BODY=7BIT") == "501 5.5.4 Duplicate BODY= parameter\r\n");
    CHECK(mail("FROM:<a@b> SMTPUTF8") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> SMTPUTF8=yes") == "501 5.5.4 Invalid SMTPUTF8 parameter\r\n");
    CHECK(mail("FROM:<a@b> RET=HDRS ENVID=QQ+2B1") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> RET=FULL") == "250 2.1.0 OK\r\n");
    CHECK(mail("FROM:<a@b> RET=NONE") == "501 5.5.4 Invalid RET parameter\r\n");
    CHECK(mail("FROM:<a@b> ENVID=a+zz") == "501 5.5.4 Invalid ENVID parameter\r\n");
    CHECK(mail("FROM:<a@b> ENVID=" + std::string(101, 'x')) == "501 5.5.4 Invalid ENVID parameter\r\n");
    CHECK(mail("FROM:<a@b> FOO=bar") == "555 5.5.4 Unsupported parameters\r\n");
}

TEST_CASE("MAIL FROM: path refusals") {
    LmtpEnv env;
    LmtpClient c(env);
    c.send("LHLO x\r\n");
    auto mail = [&](std::string_view args) {
        std::string r = c.send("MAIL " + std::string(args) + "\r\n");
        if (r == "250 2.1.0 OK\r\n")
            c.send("RSET\r\n");
        return r;
    };
    CHECK(mail("FROM:<a@b> AUTH=<>") == "555 5.5.4 Unsupported parameters\r\n");
    CHECK(mail("FROM:a@b") == "501 5.5.4 Invalid FROM: Missing '<' at beginning of path\r\n");
    CHECK(mail("TO:<a@b>") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(mail("") == "501 5.5.4 Invalid parameters\r\n");
    // RFC 6531: UTF-8 in the path needs SMTPUTF8.
    CHECK(mail("FROM:<j\xC3\xB6rg@example.org>") ==
          "553 5.6.7 Non-ASCII addresses not permitted for that sender\r\n");
    CHECK(mail("FROM:<j\xC3\xB6rg@example.org> SMTPUTF8") == "250 2.1.0 OK\r\n");
    // Dovecot takes MAIL without a preceding LHLO.
    LmtpClient fresh(env);
    CHECK(fresh.send("MAIL FROM:<a@b>\r\n") == "250 2.1.0 OK\r\n");
}

TEST_CASE("RCPT TO: users, refusals and states") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("RCPT TO:<alice>\r\n") == "503 5.5.0 MAIL needed first\r\n");
    CHECK(c.send("DATA\r\n") == "503 5.5.0 MAIL needed first\r\n");
    c.send("MAIL FROM:<a@b>\r\n");
    CHECK(c.send("DATA\r\n") == "503 5.5.0 No valid recipients\r\n");
    CHECK(c.send("RCPT TO:<alice>\r\n") == "250 2.1.5 OK\r\n");
    CHECK(c.send("RCPT TO:<nobody@example.org>\r\n") ==
          "550 5.1.1 <nobody@example.org> User doesn't exist: nobody@example.org\r\n");
    CHECK(c.send("RCPT TO:<>\r\n") == "501 5.5.4 Invalid TO: Null path not allowed\r\n");
    CHECK(c.send("RCPT TO:alice\r\n") == "501 5.5.4 Invalid TO: Missing '<' at beginning of path\r\n");
    CHECK(c.send("RCPT TO: <alice>\r\n") == "501 5.5.4 Invalid TO: Unexpected whitespace before path\r\n");
    CHECK(c.send("RCPT FROM:<alice>\r\n") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(c.send("RCPT TO:<bob> NOTIFY=NEVER\r\n") == "555 5.5.4 Unsupported parameters\r\n");
    CHECK(c.send("RCPT TO:<bob> ORCPT=rfc822;bob+2Bx@example.org\r\n") == "250 2.1.5 OK\r\n");
    CHECK(c.send("RCPT TO:<bob> ORCPT=rfc822\r\n") == "501 5.5.4 Invalid ORCPT parameter\r\n");
    CHECK(c.send("RCPT TO:<bob> ORCPT=;x\r\n") == "501 5.5.4 Invalid ORCPT parameter\r\n");
    CHECK(c.send("RCPT TO:<bob> ORCPT=rfc822;a+zz\r\n") == "501 5.5.4 Invalid ORCPT parameter\r\n");
    CHECK(c.send("RCPT TO:<j\xC3\xB6rg@example.org>\r\n") ==
          "553 5.6.7 Non-ASCII addresses not permitted for that recipient\r\n");
    // The detail is split off before the lookup (recipient_delimiter "+").
    CHECK(c.send("RCPT TO:<carol+lists>\r\n") == "250 2.1.5 OK\r\n");
    CHECK(env.userdb->looked_up.back() == "carol");
    CHECK(env.userdb->clients.back().service == "lmtp");
    // Unknown users are looked up with the whole address minus the detail.
    CHECK(c.send("RCPT TO:<nobody+x@example.org>\r\n") ==
          "550 5.1.1 <nobody+x@example.org> User doesn't exist: nobody+x@example.org\r\n");
    CHECK(env.userdb->looked_up.back() == "nobody@example.org");
}

TEST_CASE("RCPT TO: a userdb that cannot answer gives 451 4.3.0") {
    LmtpEnv env;
    env.userdb->temporary.insert("bob");
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nRCPT TO:<alice>\r\n") ==
          "250 2.1.0 OK\r\n"
          "451 4.3.0 <bob> Temporary user lookup failure\r\n"
          "250 2.1.5 OK\r\n");
}

TEST_CASE("Postfix address verification: MAIL, RCPT, RSET, QUIT") {
    LmtpEnv env;
    LmtpClient c(env);
    CHECK(c.send("LHLO postfix.example\r\n") == default_lhlo_reply());
    CHECK(c.send("MAIL FROM:<double-bounce@postfix.example>\r\nRCPT TO:<alice>\r\nRSET\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n");
    CHECK(c.send("MAIL FROM:<double-bounce@postfix.example>\r\nRCPT TO:<zed>\r\nRSET\r\nQUIT\r\n") ==
          "250 2.1.0 OK\r\n550 5.1.1 <zed> User doesn't exist: zed\r\n250 2.0.0 OK\r\n221 2.0.0 Bye\r\n");
    CHECK(c.closed());
    CHECK(env.delivered("alice").empty());
}

TEST_CASE("too many recipients: 452 4.5.3 beyond the limit, 1,000 RCPTs in one go") {
    LmtpEnv env;
    ClientOptions o;
    o.max_recipients = 3;
    LmtpClient c(env, o);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nRCPT TO:<carol>\r\nRCPT TO:<dave>\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n452 4.5.3 Too many recipients\r\n");

    // The default bound: 1,000 recipients are answered one by one; the
    // 1,001st gets 452; the reply to DATA has one line per accepted one.
    LmtpClient big(env);
    big.lhlo();
    std::string cmds = "MAIL FROM:<a@b>\r\n";
    for (int i = 0; i < 1001; ++i)
        cmds += "RCPT TO:<alice>\r\n";
    const std::vector<std::string> got = lines(big.send(cmds));
    REQUIRE(got.size() == 1002);
    CHECK(got[0] == "250 2.1.0 OK");
    for (int i = 1; i <= 1000; ++i)
        CHECK(got[std::size_t(i)] == "250 2.1.5 OK");
    CHECK(got[1001] == "452 4.5.3 Too many recipients");
}

TEST_CASE("too many bad commands: 421 and close") {
    LmtpEnv env;
    LmtpClient c(env);
    std::string expected;
    for (int i = 0; i < 10; ++i)
        expected += "500 5.5.1 Unknown command\r\n";
    expected += "421 4.7.0 mx.example.org Too many invalid commands.\r\n";
    CHECK(c.send("FOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nFOO\r\nNOOP\r\n") == expected);
    CHECK(c.closed());
}

TEST_CASE("a command line longer than the bound: 500 5.5.2, the rest of it skipped") {
    LmtpEnv env;
    ClientOptions o;
    o.max_line_length = 100;
    LmtpClient c(env, o);
    // Complete but too long.
    CHECK(c.send("NOOP " + std::string(200, 'x') + "\r\nNOOP\r\n") == "500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n");
    // Arriving in pieces without a line end: refused once, and the bytes
    // up to the line end are dropped without being held.
    CHECK(c.send("MAIL FROM:<" + std::string(150, 'a')) == "500 5.5.2 Line too long\r\n");
    CHECK(c.send(std::string(100000, 'a')) == "");
    CHECK(c.send("@b>\r\nNOOP\r\n") == "250 2.0.0 OK\r\n");
}

TEST_CASE("STARTTLS") {
    LmtpEnv env;
    {
        LmtpClient c(env);
        CHECK(c.send("STARTTLS\r\n") == "502 5.5.1 TLS support is not enabled.\r\n");
    }
    ClientOptions o;
    o.starttls_available = true;
    LmtpClient c(env, o);
    c.send("LHLO x\r\n");
    CHECK(c.send("STARTTLS x\r\n") == "501 5.5.4 Invalid parameters\r\n");
    // The commands pipelined behind STARTTLS are discarded (RFC 3207 §4.2).
    CHECK(c.send("STARTTLS\r\nMAIL FROM:<a@b>\r\n") == "220 2.0.0 Begin TLS negotiation now.\r\n");
    CHECK(c.last_step() == lmtpd::Step::Kind::starttls);
    c.session().tls_started();
    CHECK(c.send("") == "");
    CHECK(c.send("RCPT TO:<alice>\r\n") == "503 5.5.0 MAIL needed first\r\n");
    CHECK(c.send("STARTTLS\r\n") == "502 5.5.1 TLS is already active.\r\n");
    CHECK(c.send("LHLO x\r\n").find("STARTTLS") == std::string::npos);
}

TEST_CASE("XCLIENT: untrusted clients are refused") {
    LmtpEnv env;
    LmtpClient c(env);
    CHECK(c.send("LHLO x\r\n").find("XCLIENT") == std::string::npos);
    CHECK(c.send("XCLIENT ADDR=10.1.2.3\r\n") == "550 5.7.14 You are not from trusted IP\r\n");
}

TEST_CASE("XCLIENT: a trusted client sets who the real client is") {
    LmtpEnv env;
    ClientOptions o;
    o.xclient_allowed = true;
    LmtpClient c(env, o);
    c.send("LHLO x\r\n");
    CHECK(c.send("XCLIENT ADDR=10.1.2.3 PORT=4567 HELO=mx.remote.example PROTO=ESMTP LOGIN=joe NAME=r.example\r\n") ==
          "220 mx.example.org Loft ready.\r\n");
    CHECK(c.send("XCLIENT ADDR=bogus\r\n") == "501 5.5.4 Invalid ADDR parameter\r\n");
    CHECK(c.send("XCLIENT PORT=65536\r\n") == "501 5.5.4 Invalid PORT parameter\r\n");
    CHECK(c.send("XCLIENT PROTO=FOO\r\n") == "501 5.5.4 Invalid PROTO parameter\r\n");
    CHECK(c.send("XCLIENT ADDR\r\n") == "501 5.5.4 Invalid parameters\r\n");
    CHECK(c.send("XCLIENT HELO=a+zz\r\n") == "501 5.5.4 Invalid HELO parameter\r\n");
    // Attributes Loft does not use are ignored, as Dovecot does.
    CHECK(c.send("XCLIENT DESTADDR=1.2.3.4 TTL=5\r\n") == "220 mx.example.org Loft ready.\r\n");
    // The userdb sees the real client.
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n");
    CHECK(env.userdb->clients.back().remote_ip == "10.1.2.3");
    CHECK(env.userdb->clients.back().remote_port == 4567);
    CHECK(c.send("XCLIENT ADDR=10.9.9.9\r\n") == "503 5.5.0 XCLIENT not permitted during a mail transaction\r\n");
    c.send("RSET\r\n");
    CHECK(c.send("XCLIENT ADDR=IPV6:2001:DB8::1\r\n") == "220 mx.example.org Loft ready.\r\n");
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n");
    CHECK(env.userdb->clients.back().remote_ip == "2001:db8::1");
    c.send("RSET\r\n");
    CHECK(c.send("XCLIENT ADDR=[UNAVAILABLE]\r\n") == "220 mx.example.org Loft ready.\r\n");
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n");
    CHECK(env.userdb->clients.back().remote_ip == "");
}

TEST_CASE("lmtp_max_mail_size and lmtp_max_recipients from the config") {
    LmtpEnv env("lmtp_max_mail_size = 50\nlmtp_max_recipients = 2\n");
    LmtpClient c(env);
    CHECK(c.send("LHLO x\r\n").find("250-SIZE 50\r\n") != std::string::npos);
    CHECK(c.send("MAIL FROM:<a@b> SIZE=51\r\n") == "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(c.send("MAIL FROM:<a@b> SIZE=50\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nRCPT TO:<carol>\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n452 4.5.3 Too many recipients\r\n");
    // Options given by the daemon take precedence.
    ClientOptions o;
    o.max_message_size = 70;
    LmtpClient d(env, o);
    CHECK(d.send("LHLO x\r\n").find("250-SIZE 70\r\n") != std::string::npos);
}

TEST_CASE("commands inside a transaction") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nNOOP\r\nVRFY bob\r\nHELP\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n252 2.3.3 Try RCPT instead\r\n"
          "214 2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY\r\n");
    // NOOP, VRFY and HELP leave the transaction alone; LHLO ends it
    // (RFC 5321 §4.1.4).
    CHECK(c.send("RCPT TO:<bob>\r\n") == "250 2.1.5 OK\r\n");
    CHECK(c.send("LHLO again\r\n").rfind("250-mx.example.org\r\n", 0) == 0);
    CHECK(c.send("RCPT TO:<bob>\r\n") == "503 5.5.0 MAIL needed first\r\n");
    // Inside a chunked transaction NOOP is still a command.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nBDAT 2\r\nabNOOP\r\nBDAT 1 LAST\r\nc") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 Added 2 octets\r\n250 2.0.0 OK\r\n"
          "250 2.0.0 <alice> SESSID:T2 Saved\r\n");
    // Inside DATA, command words are message text.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nRSET\r\nQUIT\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n250 2.0.0 <bob> SESSID:T3 Saved\r\n");
    const auto bobs = env.delivered("bob");
    REQUIRE(bobs.size() == 1);
    CHECK(bobs[0].size() >= 11);
    CHECK(bobs[0].substr(bobs[0].size() - 10) == "RSET\nQUIT\n");
    // QUIT in the middle of a transaction delivers nothing.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<carol>\r\nQUIT\r\n") == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n221 2.0.0 Bye\r\n");
    CHECK(env.delivered("carol").empty());
}
