// loadgen::ImapClient against scripted servers on a loopback socket: the
// exact bytes the client sends and how it reads RFC 3501 response shapes.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <functional>

#include "core/imap_client.hpp"
#include "core/imap_parse.hpp"
#include "fake_imap_server.hpp"
#include "run_client.hpp"

using loadgen::ImapClient;
using loadgen::ImapResponse;
using loadgen::ProtocolError;
using namespace loadgen_test;

namespace {

const std::string kGreeting = "* OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] ready\r\n";

} // namespace

TEST_CASE("greeting, LOGIN, a FETCH with a literal split across reads and interleaved untagged data") {
    FakeServer server({
        send(kGreeting),
        expect("A1 LOGIN \"user1\" \"pa\\\"ss\"\r\n"),
        send("A1 OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] Logged in\r\n"),
        expect("A2 UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n"),
        send("* 3 EXISTS\r\n* 1 FETCH (UID 7 FLAGS (\\Seen $Label1) BODY[] {13}\r\nHello"),
        pause(30),
        send(" world\r\n)\r\n* 2 EXPUNGE\r\n* 2 FETCH (FLAGS () UID 9 BODY[] {0}\r\n"),
        send(")\r\nA2 OK Fetch completed.\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        CHECK(c.greeting().line == "* OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] ready");
        CHECK(c.has_capability("IDLE"));
        CHECK_FALSE(c.has_capability("LITERAL+"));
        ImapResponse login = co_await c.login("user1", "pa\"ss");
        CHECK(login.ok());
        CHECK(login.text == "[CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] Logged in");
        CHECK(c.has_capability("LITERAL+")); // from the tagged reply's code
        ImapResponse r = co_await c.command("UID FETCH 1:* (UID FLAGS BODY.PEEK[])");
        CHECK(r.status == "OK");
        CHECK(r.text == "Fetch completed.");
        REQUIRE(r.untagged.size() == 4);
        CHECK(loadgen::parse_exists(r.untagged[0]) == 3u);
        CHECK(r.untagged[1].line == "* 1 FETCH (UID 7 FLAGS (\\Seen $Label1) BODY[] {13})");
        REQUIRE(r.untagged[1].literals.size() == 1);
        CHECK(r.untagged[1].literals[0] == "Hello world\r\n");
        CHECK(loadgen::parse_expunge(r.untagged[2]) == 2u);
        auto f1 = loadgen::parse_fetch(r.untagged[1]);
        REQUIRE(f1);
        CHECK(f1->seq == 1);
        CHECK(f1->uid == 7u);
        CHECK(f1->has_flag("\\seen"));
        CHECK(f1->has_flag("$Label1"));
        CHECK(f1->bodies.at("BODY[]") == "Hello world\r\n");
        auto f2 = loadgen::parse_fetch(r.untagged[3]);
        REQUIRE(f2);
        CHECK(f2->uid == 9u);
        CHECK(f2->flags->empty());
        CHECK(f2->bodies.at("BODY[]").empty());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("a synchronising literal waits for the continuation; APPENDUID is parsed") {
    FakeServer server({
        send(kGreeting),
        expect("A1 APPEND \"INBOX\" (\\Seen) {5}\r\n"),
        expect_nothing(50), // the literal waits for the "+"
        send("* 4 EXISTS\r\n+ Ready for literal data\r\n"),
        expect("hello\r\n"),
        send("A1 OK [APPENDUID 1700000000 42] Append completed.\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        ImapResponse r = co_await c.append("INBOX", "\\Seen", "", "hello");
        CHECK(r.ok());
        REQUIRE(r.untagged.size() == 1);
        CHECK(r.untagged[0].line == "* 4 EXISTS");
        auto au = loadgen::parse_appenduid(r);
        REQUIRE(au);
        CHECK(au->uidvalidity == 1700000000u);
        CHECK(au->uid == 42u);
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("LITERAL+ (RFC 7888) sends the literal at once when announced") {
    FakeServer server({
        send("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
        expect("A1 APPEND \"INBOX\" \"01-Jan-2024 10:00:00 +0000\" {5+}\r\nhello\r\n"),
        send("A1 OK [APPENDUID 5 6] done\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        ImapResponse r = co_await c.append("INBOX", "", "01-Jan-2024 10:00:00 +0000", "hello");
        CHECK(r.ok());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("a literal the server refuses ends the command with its NO") {
    FakeServer server({
        send(kGreeting),
        expect("A1 APPEND \"INBOX\" {9}\r\n"),
        send("A1 NO [TOOBIG] Mail too large\r\n"),
        expect("A2 NOOP\r\n"),
        send("A2 BAD Error in IMAP command NOOP: unknown\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        ImapResponse r = co_await c.append("INBOX", "", "", "too large");
        CHECK(r.status == "NO");
        CHECK(r.text == "[TOOBIG] Mail too large");
        ImapResponse b = co_await c.command("NOOP");
        CHECK(b.status == "BAD");
        CHECK_FALSE(b.ok());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("a response line over the bound is a ProtocolError quoting it") {
    FakeServer server({
        send(kGreeting),
        expect("A1 NOOP\r\n"),
        send("* OK " + std::string(300, 'x') + "\r\nA1 OK done\r\n"),
    });
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        loadgen::ImapLimits limits;
        limits.max_line = 200;
        ImapClient c(io.get_executor(), limits);
        c.set_label("client 3 user7");
        co_await c.connect("127.0.0.1", server.port());
        co_await c.command("NOOP");
    });
    CHECK(err.find("client 3 user7: response line longer than 200 octets: \"* OK xxx") == 0);
    server.join();
}

TEST_CASE("a literal over the bound is a ProtocolError") {
    FakeServer server({
        send(kGreeting),
        expect("A1 FETCH 1 BODY[]\r\n"),
        send("* 1 FETCH (BODY[] {1000}\r\n"),
    });
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        loadgen::ImapLimits limits;
        limits.max_literal = 999;
        ImapClient c(io.get_executor(), limits);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.command("FETCH 1 BODY[]");
    });
    CHECK(err == "literal of 1000 octets, more than 999: \"* 1 FETCH (BODY[] {1000}\"");
    server.join();
}

TEST_CASE("the connection closed in the middle of a literal is a ProtocolError") {
    FakeServer server({
        send(kGreeting),
        expect("A1 FETCH 1 BODY[]\r\n"),
        send("* 1 FETCH (BODY[] {20}\r\nonly ten b"),
        close_conn(),
    });
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        co_await c.command("FETCH 1 BODY[]");
    });
    CHECK(err == "connection closed by the server: \"* 1 FETCH (BODY[] {20}\\r\\nonly ten b\"");
    server.join();
}

TEST_CASE("a tagged reply with another tag or an unknown status is a ProtocolError") {
    FakeServer server({
        send(kGreeting),
        expect("A1 NOOP\r\n"),
        send("A7 OK done\r\n"),
    });
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        co_await c.command("NOOP");
    });
    CHECK(err == "tagged reply for A7 while waiting for A1: \"A7 OK done\"");
    server.join();

    FakeServer server2({
        send(kGreeting),
        expect("A1 NOOP\r\n"),
        send("A1 MAYBE done\r\n"),
    });
    err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server2.port());
        co_await c.command("NOOP");
    });
    CHECK(err == "tagged reply with status MAYBE: \"A1 MAYBE done\"");
    server2.join();
}

TEST_CASE("a bad greeting is a ProtocolError") {
    FakeServer server({send("* BYE too many connections\r\n")});
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
    });
    CHECK(err == "bad greeting: \"* BYE too many connections\"");
    server.join();
}

TEST_CASE("IDLE: continuation, untagged responses while idling, a timeout, DONE") {
    FakeServer server({
        send(kGreeting),
        expect("A1 IDLE\r\n"),
        send("* 2 RECENT\r\n+ idling\r\n"),
        pause(150),
        send("* 5 EXI"),
        pause(50),
        send("STS\r\n* 1 FETCH (FLAGS (\\Deleted))\r\n"),
        expect("DONE\r\n"),
        send("A1 OK Idle completed.\r\n"),
        expect("A2 LOGOUT\r\n"),
        send("* BYE Logging out\r\nA2 OK Logout completed.\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        co_await c.idle_start();
        CHECK(c.idling());
        auto first = co_await c.next_untagged();
        CHECK(loadgen::parse_recent(first) == 2u);
        // Nothing for 150 ms: a 40 ms wait times out and loses nothing.
        auto none = co_await c.try_next_untagged(std::chrono::milliseconds(40));
        CHECK_FALSE(none);
        auto exists = co_await c.next_untagged(std::chrono::milliseconds(2000));
        CHECK(loadgen::parse_exists(exists) == 5u);
        ImapResponse done = co_await c.idle_done();
        CHECK(done.ok());
        REQUIRE(done.untagged.size() == 1);
        auto f = loadgen::parse_fetch(done.untagged[0]);
        REQUIRE(f);
        CHECK(f->has_flag("\\Deleted"));
        CHECK_FALSE(c.idling());
        ImapResponse bye = co_await c.logout();
        CHECK(bye.ok());
        CHECK_FALSE(c.is_open());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("LOGOUT without BYE is a ProtocolError") {
    FakeServer server({
        send(kGreeting),
        expect("A1 LOGOUT\r\n"),
        send("A1 OK Logout completed.\r\n"),
    });
    std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        ImapClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        co_await c.logout();
    });
    CHECK(err.find("LOGOUT without * BYE") == 0);
    server.join();
}
