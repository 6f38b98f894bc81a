// DATA and BDAT: dot-unstuffing, chunks split anywhere, size limits,
// pipelined transactions, one reply per recipient in RCPT order (RFC 2033
// §4.2), and what ends up on disk.
#include "lmtp_harness.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <stdexcept>

using namespace lmtp_test;

namespace {

// The stored form of `wire` (Maildir files are LF-only by default, as
// Dovecot writes them: mail_save_crlf = no).
std::string lf(std::string_view wire) {
    std::string out;
    for (std::size_t i = 0; i < wire.size(); ++i)
        if (!(wire[i] == '\r' && i + 1 < wire.size() && wire[i + 1] == '\n'))
            out.push_back(wire[i]);
    return out;
}

// The trace headers Loft puts before a message for one recipient (Dovecot's
// layout), up to the date; the date and the line end follow.
std::string trace_prefix(std::string_view from, std::string_view rcpt, std::string_view id,
                         std::string_view helo = "client.example", std::string_view ip = "127.0.0.1") {
    return "Return-Path: <" + std::string(from) + ">\n" + "Delivered-To: " + std::string(rcpt) + "\n" +
           "Received: from " + std::string(helo) + " ([" + std::string(ip) + "])\n" +
           "\tby mx.example.org with LMTP\n" + "\tid " + std::string(id) + "\n" + "\t(envelope-from <" +
           std::string(from) + ">)\n" + "\tfor <" + std::string(rcpt) + ">; ";
}

// The message part of a stored file: what follows the Received header.
std::string body_of(const std::string& file) {
    const std::size_t received = file.find("Received: ");
    REQUIRE(received != std::string::npos);
    const std::size_t date_end = file.find('\n', file.find("; ", received));
    REQUIRE(date_end != std::string::npos);
    return file.substr(date_end + 1);
}

} // namespace

TEST_CASE("DATA: one message, on disk byte-exact with its trace headers") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<sender@example.org>\r\nRCPT TO:<alice>\r\nDATA\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n");
    const std::string message = "Subject: hi\r\nFrom: sender@example.org\r\n\r\nbody\r\n";
    CHECK(c.send(message + ".\r\n") == "250 2.0.0 <alice> SESSID Saved\r\n");
    const auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(files[0].rfind(trace_prefix("sender@example.org", "alice", "SESSID"), 0) == 0);
    CHECK(body_of(files[0]) == lf(message));
    // The session goes on: a second transaction has its own id.
    CHECK(c.send("MAIL FROM:<>\r\nRCPT TO:<alice>\r\nDATA\r\nX: 2\r\n\r\nb\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n250 2.0.0 <alice> SESSID:T2 Saved\r\n");
    const auto again = env.delivered("alice");
    REQUIRE(again.size() == 2);
    bool found = false;
    for (const auto& f : again)
        if (f.rfind(trace_prefix("", "alice", "SESSID:T2"), 0) == 0)
            found = body_of(f) == "X: 2\n\nb\n";
    CHECK(found);
}

TEST_CASE("DATA: dot-unstuffing and its edge cases") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n");
    // "..x" is ".x", ".." alone is ".", ". x" keeps its space, a line that
    // only ends in a dot is content, and the last line's CRLF belongs to the
    // message.
    CHECK(c.send("S: dots\r\n\r\n..x\r\n..\r\n. x\r\nend.\r\nlast line\r\n.\r\n") ==
          "250 2.0.0 <alice> SESSID Saved\r\n");
    auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(body_of(files[0]) == "S: dots\n\n.x\n.\n x\nend.\nlast line\n");
}

TEST_CASE("DATA fed one byte at a time, with the next transaction pipelined behind it") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    const std::string wire = "MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n"
                             "S: one\r\n\r\n..dot\r\n.\r\n"
                             "MAIL FROM:<c@d>\r\nRCPT TO:<carol>\r\nDATA\r\nS: two\r\n\r\nx\r\n.\r\nQUIT\r\n";
    CHECK(c.send_bytewise(wire) == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n"
                                   "250 2.0.0 <alice> SESSID Saved\r\n250 2.0.0 <bob> SESSID:R2 Saved\r\n"
                                   "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n"
                                   "250 2.0.0 <carol> SESSID:T2 Saved\r\n221 2.0.0 Bye\r\n");
    REQUIRE(env.delivered("alice").size() == 1);
    REQUIRE(env.delivered("bob").size() == 1);
    REQUIRE(env.delivered("carol").size() == 1);
    CHECK(body_of(env.delivered("alice")[0]) == "S: one\n\n.dot\n");
    CHECK(body_of(env.delivered("bob")[0]) == "S: one\n\n.dot\n");
    CHECK(body_of(env.delivered("carol")[0]) == "S: two\n\nx\n");
    // Each copy names its own recipient only (its own file).
    CHECK(env.delivered("alice")[0].find("bob") == std::string::npos);
    CHECK(env.delivered("bob")[0].find("alice") == std::string::npos);
}

TEST_CASE("one reply per accepted recipient in RCPT order; a failing home fails only its recipient") {
    LmtpEnv env;
    // dave's mail directory cannot be made: a file stands where it goes.
    std::filesystem::create_directories(env.dir.path / "mail");
    env.dir.write("mail/dave", "not a directory");
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nRCPT TO:<zed>\r\nRCPT TO:<dave>\r\nRCPT TO:<alice>\r\n"
                 "DATA\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 <zed> User doesn't exist: zed\r\n250 2.1.5 OK\r\n"
          "250 2.1.5 OK\r\n354 OK\r\n");
    const std::vector<std::string> got = lines(c.send("S: x\r\n\r\nbody\r\n.\r\n"));
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "250 2.0.0 <bob> SESSID Saved");
    CHECK(got[1].rfind("451 4.", 0) == 0);
    CHECK(got[1].find("<dave>") != std::string::npos);
    // The pipeline numbers the recipients of a transaction after the
    // first (Dovecot's "<session>:R<n>").
    CHECK(got[2] == "250 2.0.0 <alice> SESSID:R3 Saved");
    CHECK(env.delivered("bob").size() == 1);
    CHECK(env.delivered("alice").size() == 1);
}

TEST_CASE("the same recipient twice is saved once and answered twice") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<alice>\r\nDATA\r\nS: x\r\n\r\nb\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n"
          "250 2.0.0 <alice> SESSID Saved\r\n250 2.0.0 <alice> SESSID Saved\r\n");
    CHECK(env.delivered("alice").size() == 1);
}

TEST_CASE("bare LF, NUL and 8-bit bytes in DATA of a 7-bit session are accepted and kept") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n");
    const std::string data("A: b\nbare lf\r\nnul\0here\r\n\xE9t\xE9\r\nno crlf\n\r\n.\r\n", 42);
    CHECK(c.send(data) == "250 2.0.0 <alice> SESSID Saved\r\n");
    auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(body_of(files[0]) == std::string("A: b\nbare lf\nnul\0here\n\xE9t\xE9\nno crlf\n\n", 35));
}

TEST_CASE("a data line longer than the command bound is stored whole") {
    LmtpEnv env;
    ClientOptions o;
    o.max_line_length = 100;
    LmtpClient c(env, o);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n");
    const std::string longline(300000, 'x');
    CHECK(c.send("S: long\r\n\r\n" + longline + "\r\n.\r\n") == "250 2.0.0 <alice> SESSID Saved\r\n");
    auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(body_of(files[0]) == "S: long\n\n" + longline + "\n");
}

TEST_CASE("a message over the size limit: 552 for every recipient after the data") {
    LmtpEnv env;
    ClientOptions o;
    o.max_message_size = 100;
    LmtpClient c(env, o);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n");
    CHECK(c.send("S: big\r\n\r\n" + std::string(5000, 'y') + "\r\n.\r\nNOOP\r\n") ==
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
          "250 2.0.0 OK\r\n");
    CHECK(env.delivered("alice").empty());
    CHECK(env.delivered("bob").empty());
}

TEST_CASE("BDAT: chunks of any size, a lone dot is data, split anywhere") {
    const std::string part1 = "S: chunked\r\n\r\n.\r\n";
    const std::string part2("..two dots\r\n\0bin\r\n", 18);
    const std::string wire = "MAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<alice>\r\n"
                             "BDAT " + std::to_string(part1.size()) + "\r\n" + part1 +
                             "BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2 + "NOOP\r\n";
    const std::string expected = "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 Added 17 octets\r\n"
                                 "250 2.0.0 <alice> SESSID Saved\r\n250 2.0.0 OK\r\n";
    SUBCASE("in one piece") {
        LmtpEnv env;
        LmtpClient c(env);
        c.lhlo();
        CHECK(c.send(wire) == expected);
        auto files = env.delivered("alice");
        REQUIRE(files.size() == 1);
        CHECK(body_of(files[0]) == lf(part1 + part2));
    }
    SUBCASE("byte by byte") {
        LmtpEnv env;
        LmtpClient c(env);
        c.lhlo();
        CHECK(c.send_bytewise(wire) == expected);
        auto files = env.delivered("alice");
        REQUIRE(files.size() == 1);
        CHECK(body_of(files[0]) == lf(part1 + part2));
    }
    SUBCASE("split at every position") {
        for (std::size_t cut = 1; cut < wire.size(); cut += 7) {
            LmtpEnv env;
            LmtpClient c(env);
            c.lhlo();
            std::string got = c.send(wire.substr(0, cut));
            got += c.send(wire.substr(cut));
            CHECK(got == expected);
            REQUIRE(env.delivered("alice").size() == 1);
        }
    }
}

TEST_CASE("BDAT: sequence errors, with the chunk read either way") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    // Without MAIL: refused after the chunk's bytes were read, so they are
    // not taken for commands.
    CHECK(c.send("BDAT 6\r\nQUIT\r\nNOOP\r\n") == "503 5.5.0 MAIL needed first\r\n250 2.0.0 OK\r\n");
    CHECK(!c.closed());
    CHECK(c.send("MAIL FROM:<a@b>\r\nBDAT 4 LAST\r\nabcd") == "250 2.1.0 OK\r\n503 5.5.0 No valid recipients\r\n");
    CHECK(c.send("RCPT TO:<alice>\r\nBDAT 3\r\nabc") == "250 2.1.5 OK\r\n250 2.0.0 Added 3 octets\r\n");
    // RFC 3030 §2: no DATA and no RCPT after BDAT in one transaction.
    CHECK(c.send("DATA\r\n") == "503 5.5.0 Bad sequence of commands\r\n");
    CHECK(c.send("RCPT TO:<bob>\r\n") == "503 5.5.0 Bad sequence of commands\r\n");
    CHECK(c.send("BDAT 2 MORE\r\nxy") == "501 5.5.4 Invalid end marker parameter\r\n");
    CHECK(c.send("BDAT 0 LAST\r\n") == "250 2.0.0 <alice> SESSID Saved\r\n");
    auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(body_of(files[0]) == "abc");
    // Sizes that are not numbers cannot be skipped: refused at once.
    CHECK(c.send("BDAT\r\n") == "501 5.5.4 Invalid chunk size parameter\r\n");
    CHECK(c.send("BDAT x\r\n") == "501 5.5.4 Invalid chunk size parameter\r\n");
    CHECK(c.send("BDAT 999999999999999999999\r\n") == "501 5.5.4 Invalid chunk size parameter\r\n");
    // BINARYMIME needs BDAT (RFC 3030 §3).
    CHECK(c.send("MAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<alice>\r\nDATA\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n503 5.5.0 BODY=BINARYMIME requires BDAT\r\n");
    // RSET leaves the chunked transaction.
    CHECK(c.send("BDAT 1\r\nzRSET\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n.\r\n") ==
          "250 2.0.0 Added 1 octets\r\n250 2.0.0 OK\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n"
          "250 2.0.0 <alice> SESSID:T3 Saved\r\n");
}

TEST_CASE("BDAT over the size limit: 552 to the chunk, the transaction is over") {
    LmtpEnv env;
    ClientOptions o;
    o.max_message_size = 10;
    LmtpClient c(env, o);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nBDAT 20\r\n" + std::string(20, 'z') + "BDAT 1 LAST\r\nz") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n"
          "503 5.5.0 MAIL needed first\r\n");
    // Over the limit in the LAST chunk: 552 per recipient.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nBDAT 11 LAST\r\n" + std::string(11, 'z')) ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(env.delivered("alice").empty());
}

TEST_CASE("a huge BDAT is read through with bounded memory") {
    LmtpEnv env;
    ClientOptions o;
    o.max_message_size = 1000;
    LmtpClient c(env, o);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n");
    CHECK(c.send("BDAT 4000000 LAST\r\n") == "");
    const std::string block(1 << 20, 'q');
    for (int i = 0; i < 3; ++i)
        CHECK(c.send(block) == "");
    CHECK(c.send(std::string(4000000 - 3 * block.size(), 'q')) ==
          "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(c.send("NOOP\r\n") == "250 2.0.0 OK\r\n");
}

TEST_CASE("lmtp_user_concurrency_limit: acquire_user refusing a user answers 451 for it") {
    LmtpEnv env;
    std::vector<std::string> events;
    lmtpd::SessionOptions so;
    so.config = env.config;
    so.client.remote_ip = "127.0.0.1";
    so.client.session_id = "SESSID";
    so.userdb = env.userdb;
    so.deliverer = env.deliverer;
    so.acquire_user = [&](const std::string& user) {
        events.push_back("acquire " + user);
        if (user == "bob")
            return mailstore::Status::error(mailstore::Status::Code::temporary_failure, "limit");
        return mailstore::Status::ok();
    };
    so.release_user = [&](const std::string& user) { events.push_back("release " + user); };
    LmtpClient c(env, so);
    c.lhlo();
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\nS: x\r\n\r\nb\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n"
          "250 2.0.0 <alice> SESSID Saved\r\n"
          "451 4.3.0 <bob> Too many concurrent deliveries for user\r\n");
    CHECK(events == std::vector<std::string>{"acquire alice", "acquire bob", "release alice"});
    CHECK(env.delivered("alice").size() == 1);
    CHECK(env.delivered("bob").empty());
}

TEST_CASE("lmtp_user_concurrency_limit: the slots taken are given back when an exception leaves the delivery") {
    LmtpEnv env;
    std::vector<std::string> events;
    lmtpd::SessionOptions so;
    so.config = env.config;
    so.client.remote_ip = "127.0.0.1";
    so.client.session_id = "SESSID";
    so.userdb = env.userdb;
    so.deliverer = env.deliverer;
    so.acquire_user = [&](const std::string& user) {
        if (user == "bob")
            throw std::runtime_error("acquire failed");
        events.push_back("acquire " + user);
        return mailstore::Status::ok();
    };
    so.release_user = [&](const std::string& user) { events.push_back("release " + user); };
    LmtpClient c(env, so);
    c.lhlo();
    bool thrown = false;
    try {
        c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\nS: x\r\n\r\nb\r\n.\r\n");
    } catch (const std::runtime_error&) {
        thrown = true;
    }
    CHECK(thrown);
    CHECK(events == std::vector<std::string>{"acquire alice", "release alice"});
}

TEST_CASE("lmtp_max_mail_size = 0: the spool is bounded by the storage's largest message") {
    LmtpEnv env;
    lmtpd::SessionOptions so;
    so.config = env.config;
    so.client.remote_ip = "127.0.0.1";
    so.client.session_id = "SESSID";
    so.userdb = env.userdb;
    so.deliverer = env.deliverer;
    so.storage_max_message_size = 1000; // stands for the storage's 2 GiB
    LmtpClient c(env, so);
    // No fixed maximum is announced (as Dovecot with lmtp_max_mail_size = 0).
    c.lhlo();
    const std::string caps = c.send("LHLO again.example\r\n");
    CHECK(caps.find("SIZE\r\n") != std::string::npos);
    CHECK(caps.find("SIZE ") == std::string::npos);
    // A declared size past the storage's bound is refused at MAIL.
    CHECK(c.send("MAIL FROM:<a@b> SIZE=1001\r\n") == "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    CHECK(c.send("MAIL FROM:<a@b> SIZE=1000\r\nRSET\r\n") == "250 2.1.0 OK\r\n250 2.0.0 OK\r\n");
    // Undeclared: drained, 552 after the data, nothing stored.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\nS: big\r\n\r\n" + std::string(5000, 'y') +
                 "\r\n.\r\nNOOP\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n"
          "250 2.0.0 OK\r\n");
    CHECK(env.delivered("alice").empty());
    // Below the bound: stored.
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\nS: small\r\n\r\nb\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n250 2.0.0 <alice> SESSID:T3 Saved\r\n");
    CHECK(env.delivered("alice").size() == 1);
}

TEST_CASE("XCLIENT changes the Received header") {
    LmtpEnv env;
    ClientOptions o;
    o.xclient_allowed = true;
    LmtpClient c(env, o);
    c.lhlo();
    CHECK(c.send("XCLIENT ADDR=10.1.2.3 HELO=real.example\r\n") == "220 mx.example.org Loft ready.\r\n");
    CHECK(c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\nS: x\r\n\r\nb\r\n.\r\n") ==
          "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 OK\r\n250 2.0.0 <alice> SESSID Saved\r\n");
    auto files = env.delivered("alice");
    REQUIRE(files.size() == 1);
    CHECK(files[0].rfind(trace_prefix("a@b", "alice", "SESSID", "real.example", "10.1.2.3"), 0) == 0);
    // LHLO after XCLIENT names the client again (as with Dovecot).
    CHECK(c.send("LHLO postfix.local\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nS: x\r\n\r\nb\r\n.\r\n")
              .find("250 2.0.0 <bob> SESSID:T2 Saved\r\n") != std::string::npos);
    auto bobs = env.delivered("bob");
    REQUIRE(bobs.size() == 1);
    CHECK(bobs[0].rfind(trace_prefix("a@b", "bob", "SESSID:T2", "postfix.local", "10.1.2.3"), 0) == 0);
}

TEST_CASE("output is handed out in bounded batches when the client does not read") {
    LmtpEnv env;
    ClientOptions o;
    o.output_high_water = 100;
    LmtpClient c(env, o);
    std::string cmds;
    for (int i = 0; i < 200; ++i)
        cmds += "NOOP\r\n";
    lmtpd::Session& s = c.session();
    s.feed(cmds);
    lmtpd::Step step = s.run();
    CHECK(step.kind == lmtpd::Step::Kind::flush);
    CHECK(s.output_pending() <= 100 + 16);
    std::string all = c.drain();
    while ((step = s.run()).kind == lmtpd::Step::Kind::flush)
        all += c.drain();
    all += c.drain();
    CHECK(step.kind == lmtpd::Step::Kind::read);
    CHECK(lines(all).size() == 200);
}

TEST_CASE("shutdown: 421 4.3.2 and close, nothing acknowledged") {
    LmtpEnv env;
    LmtpClient c(env);
    c.lhlo();
    c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\nS: x\r\n");
    c.session().shutdown("Server shutting down.");
    CHECK(c.send("") == "421 4.3.2 Server shutting down.\r\n");
    CHECK(c.closed());
    CHECK(env.delivered("alice").empty());
}
