// RETR and TOP through the session: the "+OK n octets" line, the streamed
// body, and output bounded by output_high_water for a 20 MB message.
#include "session_harness.hpp"

using pop3_test::HarnessOptions;
using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;
using pop3proto::Step;

TEST_CASE("RETR: size line, CRLF, dot-stuffing, terminator (Dovecot 2.3.19's bytes)") {
    Pop3Env env;
    env.add_message("alice", "From: a@b\nSubject: one\n\nline1\n.dot\nline3");
    env.add_message("alice", "Subject: nobody\n");
    Pop3Harness s(env);
    s.login();
    // Dovecot says 45 octets: Loft counts the CRLF after "line3" (docs/pop3.md).
    CHECK(s.send("RETR 1") == "+OK 47 octets\r\nFrom: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
    CHECK(s.send("RETR 2") == "+OK 17 octets\r\nSubject: nobody\r\n.\r\n");
    CHECK(s.send("retr 1").starts_with("+OK 47 octets\r\n"));
}

TEST_CASE("TOP edge cases: 0 lines, more lines than the body, no body") {
    Pop3Env env;
    env.add_message("alice", "From: a@b\nSubject: one\n\nline1\n.dot\nline3");
    env.add_message("alice", "Subject: nobody\n");
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("TOP 1 0") == "+OK\r\nFrom: a@b\r\nSubject: one\r\n\r\n.\r\n");
    CHECK(s.send("TOP 1 1") == "+OK\r\nFrom: a@b\r\nSubject: one\r\n\r\nline1\r\n.\r\n");
    CHECK(s.send("TOP 1 99") == "+OK\r\nFrom: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
    CHECK(s.send("TOP 1 18446744073709") == "+OK\r\nFrom: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
    CHECK(s.send("TOP 2 1") == "+OK\r\nSubject: nobody\r\n.\r\n");
    CHECK(s.send("TOP 1  1") == "+OK\r\nFrom: a@b\r\nSubject: one\r\n\r\nline1\r\n.\r\n");
}

TEST_CASE("pop3_client_workarounds = oe-ns-eoh outlook-no-nuls") {
    Pop3Env env("pop3_client_workarounds = oe-ns-eoh outlook-no-nuls\n");
    env.add_message("alice", "Subject: nobody\n");
    env.add_message("alice", std::string("Subject: x\n\na\0b\n", 16));
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("TOP 1 0") == "+OK\r\nSubject: nobody\r\n\r\n.\r\n");
    CHECK(s.send("RETR 2") == "+OK 19 octets\r\nSubject: x\r\n\r\na\x80" "b\r\n.\r\n");
}

TEST_CASE("a 20 MB message streams with bounded output (Step::flush backpressure)") {
    Pop3Env env;
    std::string big = "Subject: big\n\n";
    const std::string line = std::string(77, 'x') + "\n";
    std::string dotted = "." + std::string(76, 'y') + "\n";
    while (big.size() < 20u * 1024 * 1024)
        big += (big.size() / line.size()) % 100 == 0 ? dotted : line;
    const std::size_t lf = std::count(big.begin(), big.end(), '\n');
    const std::size_t stuffed = std::count(big.begin(), big.end(), '.');
    env.add_message("alice", big);
    HarnessOptions o;
    o.output_high_water = 64 * 1024;
    Pop3Harness s(env, o);
    s.login();
    s.steps.clear();
    s.max_pending = 0;
    const std::string out = s.send("RETR 1");
    const std::size_t vsize = big.size() + lf;
    REQUIRE(out.starts_with("+OK " + std::to_string(vsize) + " octets\r\n"));
    CHECK(out.size() == ("+OK " + std::to_string(vsize) + " octets\r\n").size() + vsize + stuffed + 3);
    CHECK(out.ends_with(std::string(77, 'x') + "\r\n.\r\n"));
    CHECK(s.max_pending <= 2 * o.output_high_water);
    CHECK(std::count(s.steps.begin(), s.steps.end(), Step::Kind::flush) > 100);
    CHECK(s.send("NOOP") == "+OK\r\n");
}

TEST_CASE("LIST of many messages is produced in pieces too") {
    Pop3Env env;
    for (int i = 0; i < 300; ++i)
        env.add_message("alice", "Subject: m\r\n\r\nx\r\n");
    HarnessOptions o;
    o.output_high_water = 1024;
    Pop3Harness s(env, o);
    s.login();
    s.max_pending = 0;
    const std::string out = s.send("LIST");
    CHECK(pop3_test::lines(out).size() == 302);
    CHECK(out.starts_with("+OK 300 messages:\r\n1 17\r\n"));
    CHECK(out.ends_with("300 17\r\n.\r\n"));
    CHECK(s.max_pending <= 2 * 1024);
}
