// IDLE (RFC 2177) with changes made by other sessions and wake()/tick(),
// and COMPRESS=DEFLATE (RFC 4978) round trips: what the session sends is
// inflated here with zlib, what the test sends is deflated.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

using namespace imap_test;
using Kind = imapproto::Step::Kind;

namespace {

const std::string kMsg = "From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n";

// Raw deflate in both directions, as an IMAP client does after COMPRESS.
class ZClient {
public:
    ZClient() {
        REQUIRE(deflateInit2(&out_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        REQUIRE(inflateInit2(&in_, -15) == Z_OK);
    }
    ~ZClient() {
        deflateEnd(&out_);
        inflateEnd(&in_);
    }
    std::string deflate(std::string_view text) {
        std::string result;
        out_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        out_.avail_in = static_cast<uInt>(text.size());
        char buf[4096];
        do {
            out_.next_out = reinterpret_cast<Bytef*>(buf);
            out_.avail_out = sizeof buf;
            REQUIRE(::deflate(&out_, Z_SYNC_FLUSH) != Z_STREAM_ERROR);
            result.append(buf, sizeof buf - out_.avail_out);
        } while (out_.avail_out == 0);
        return result;
    }
    std::string inflate(std::string_view data) {
        std::string result;
        in_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        in_.avail_in = static_cast<uInt>(data.size());
        char buf[4096];
        while (in_.avail_in > 0) {
            in_.next_out = reinterpret_cast<Bytef*>(buf);
            in_.avail_out = sizeof buf;
            int rc = ::inflate(&in_, Z_SYNC_FLUSH);
            REQUIRE((rc == Z_OK || rc == Z_BUF_ERROR));
            result.append(buf, sizeof buf - in_.avail_out);
            if (rc == Z_BUF_ERROR)
                break;
        }
        return result;
    }

private:
    z_stream out_{};
    z_stream in_{};
};

} // namespace

TEST_CASE("IDLE sends changes of other sessions on wake() and ends with DONE") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.send("a2 IDLE") == "+ idling\r\n");
    CHECK(s.last_step() == Kind::idle);
    CHECK(s.session().idling());

    // Nothing changed: a wake() says nothing.
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(s.last_step() == Kind::idle);

    env.add_message("alice", "INBOX", kMsg);
    s.session().wake();
    auto r = s.send_raw("");
    // Both messages are \Recent for this session: it saw them first.
    CHECK(r == "* 2 EXISTS\r\n* 2 RECENT\r\n");
    CHECK(s.last_step() == Kind::idle);

    // Another IMAP session sets a flag and expunges.
    SessionHarness other(env);
    other.login("alice");
    other.cmd("b1 SELECT INBOX");
    other.cmd("b2 STORE 2 +FLAGS.SILENT (\\Flagged)");
    s.session().wake();
    CHECK(s.send_raw("") == "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\n");
    other.cmd("b3 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other.cmd("b4 EXPUNGE");
    s.session().wake();
    // Message 1 was \Recent here, so RECENT changes too.
    CHECK(s.send_raw("") == "* 1 EXPUNGE\r\n* 1 RECENT\r\n");

    s.session().tick();
    CHECK(s.send_raw("") == "* OK Still here\r\n");
    CHECK(s.last_step() == Kind::idle);

    CHECK(s.send("done") == "a2 OK Idle completed.\r\n");
    CHECK(!s.session().idling());
    CHECK(s.last_step() == Kind::read);
    CHECK(s.cmd("a3 NOOP") == "a3 OK NOOP completed.\r\n");
}

TEST_CASE("IDLE sends what changed before it started, and refuses anything but DONE") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    env.add_message("alice", "INBOX", kMsg);
    CHECK(s.send("a2 IDLE") == "+ idling\r\n* 1 EXISTS\r\n* 1 RECENT\r\n");
    CHECK(s.send("NOOP") == "a2 BAD Expected DONE.\r\n");
    CHECK(s.last_step() == Kind::read);
}

TEST_CASE("IDLE in the authenticated state, DONE split over feeds") {
    MailEnv env("imap_idle_notify_interval = 30s\n");
    SessionHarness s(env);
    s.login();
    CHECK(s.session().idle_notify_interval() == std::chrono::seconds(30));
    CHECK(s.send("a1 IDLE") == "+ idling\r\n");
    CHECK(s.send_raw("DO") == "");
    CHECK(s.last_step() == Kind::idle);
    CHECK(s.send_raw("NE\r\na2 NOOP\r\n") == "a1 OK Idle completed.\r\na2 OK NOOP completed.\r\n");
}

TEST_CASE("IDLE before login is refused") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.cmd("a1 IDLE") == "a1 BAD Error in IMAP command received by server.\r\n");
}

TEST_CASE("COMPRESS DEFLATE: both directions compressed after the OK") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 COMPRESS") == "a1 BAD Error in IMAP command COMPRESS: Invalid arguments.\r\n");
    CHECK(s.cmd("a2 COMPRESS LZ4") == "a2 NO Unknown compression mechanism.\r\n");
    ZClient z;
    // The client may send compressed data right behind the command.
    auto r = s.send_raw("a3 COMPRESS deflate\r\n" + z.deflate("a4 NOOP\r\n"));
    const std::string ok = "a3 OK Begin compression.\r\n";
    REQUIRE(r.substr(0, ok.size()) == ok);
    CHECK(z.inflate(r.substr(ok.size())) == "a4 OK NOOP completed.\r\n");
    CHECK(s.session().stats().bytes_out > 0);

    r = s.send_raw(z.deflate("a5 COMPRESS DEFLATE\r\na6 SELECT INBOX\r\n"));
    auto plain = z.inflate(r);
    CHECK(plain.find("a5 NO [COMPRESSIONACTIVE] COMPRESSION=DEFLATE already enabled.\r\n") == 0);
    CHECK(plain.find("* 1 EXISTS\r\n") != std::string::npos);
    CHECK(tagged_line(plain, "a6") == "a6 OK [READ-WRITE] Select completed.");

    // A literal's "+ OK" is compressed too.
    r = s.send_raw(z.deflate("a7 STATUS {5}\r\n"));
    CHECK(z.inflate(r) == "+ OK\r\n");
    r = s.send_raw(z.deflate("INBOX (MESSAGES)\r\n"));
    CHECK(z.inflate(r) == "* STATUS INBOX (MESSAGES 1)\r\na7 OK Status completed.\r\n");

    // IDLE over a compressed connection.
    r = s.send_raw(z.deflate("a8 IDLE\r\n"));
    CHECK(z.inflate(r) == "+ idling\r\n");
    env.add_message("alice", "INBOX", kMsg);
    s.session().wake();
    CHECK(z.inflate(s.send_raw("")) == "* 2 EXISTS\r\n* 2 RECENT\r\n");
    CHECK(z.inflate(s.send_raw(z.deflate("DONE\r\n"))) == "a8 OK Idle completed.\r\n");

    r = s.send_raw(z.deflate("a9 LOGOUT\r\n"));
    CHECK(z.inflate(r) == "* BYE Logging out\r\na9 OK Logout completed.\r\n");
    CHECK(s.closed());
}

TEST_CASE("COMPRESS: corrupt compressed input ends the session") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    ZClient z;
    auto r = s.send_raw("a1 COMPRESS DEFLATE\r\n");
    CHECK(r == "a1 OK Begin compression.\r\n");
    r = s.send_raw(std::string("\xff\xff\xff\xff garbage", 12));
    CHECK(z.inflate(r) == "* BYE Invalid compressed data\r\n");
    CHECK(s.closed());
}

TEST_CASE("COMPRESS: a small compressed burst that inflates to megabytes stays bounded") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    ZClient z;
    CHECK(s.send_raw("a1 COMPRESS DEFLATE\r\n") == "a1 OK Begin compression.\r\n");
    // 4 MB of NOOPs deflate to a few kilobytes; the session inflates them a
    // slice at a time and answers all of them.
    std::string many;
    for (int i = 0; i < 200000; ++i)
        many += "n NOOP\r\n";
    auto packed = z.deflate(many);
    CHECK(packed.size() < many.size() / 50);
    auto plain = z.inflate(s.send_raw(packed));
    CHECK(plain.size() == 200000 * std::string("n OK NOOP completed.\r\n").size());
}

TEST_CASE("COMPRESS: a big body is compressed a slice at a time as it is sent") {
    MailEnv env;
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 3 * 1024 * 1024; ++i)
        big += "line " + std::to_string(i * 7919 % 100003) + " of a long body\r\n";
    env.add_message("alice", "INBOX", big);
    HarnessOptions o;
    o.output_high_water = 16 * 1024;
    SessionHarness s(env, o);
    s.login();
    s.cmd("a1 SELECT INBOX");
    ZClient z;
    CHECK(s.send_raw("a2 COMPRESS DEFLATE\r\n") == "a2 OK Begin compression.\r\n");
    auto& session = s.session();
    session.feed(z.deflate("a3 FETCH 1 BODY.PEEK[]\r\n"));
    std::string plain;
    std::size_t largest = 0;
    for (int i = 0; i < 100000; ++i) {
        auto step = session.run();
        while (session.has_output()) {
            auto f = session.output_front();
            largest = std::max(largest, f.size());
            plain += z.inflate(f);
            session.output_consume(f.size());
        }
        if (step.kind == Kind::read)
            break;
    }
    // Never the whole compressed body at once.
    CHECK(largest < 256 * 1024);
    const std::string head = "* 1 FETCH (BODY[] {" + std::to_string(big.size()) + "}\r\n";
    REQUIRE(plain.rfind(head, 0) == 0);
    CHECK(plain.substr(head.size(), big.size()) == big);
    CHECK(plain.substr(head.size() + big.size()) == ")\r\na3 OK Fetch completed.\r\n");
    // And the stream goes on after it.
    CHECK(z.inflate(s.send_raw(z.deflate("a4 NOOP\r\n"))) == "a4 OK NOOP completed.\r\n");
}
