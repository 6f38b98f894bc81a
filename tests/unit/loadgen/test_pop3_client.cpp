// loadgen::Pop3Client against scripted servers on a loopback socket: the
// exact bytes it sends, multi-line answers split across reads, byte-stuffing,
// and every failure as a ProtocolError quoting the server's bytes.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <functional>

#include "core/pop3_client.hpp"
#include "fake_imap_server.hpp"
#include "run_client.hpp"

using loadgen::Pop3Client;
using loadgen::ProtocolError;
using namespace loadgen_test;

TEST_CASE("a session: login, STAT, LIST, UIDL, RETR with stuffed dots split across reads, QUIT") {
    FakeServer server({
        send("+OK Dovecot ready.\r\n"),
        expect("USER alice\r\n"),
        send("+OK\r\n"),
        expect("PASS s3cret\r\n"),
        send("+OK Logged in.\r\n"),
        expect("STAT\r\n"),
        send("+OK 2 1234\r\n"),
        expect("LIST\r\n"),
        send("+OK 2 messages:\r\n1 34\r\n2 1200\r\n.\r\n"),
        expect("UIDL\r\n"),
        send("+OK\r\n1 00000001520fe7a1\r\n2 "),
        send("00000002520fe7a1\r\n.\r\n"),
        expect("RETR 2\r\n"),
        // "..dots" is ".dots" stuffed; ".." alone is "."; the stuffed dot of
        // the third line and the terminator arrive in separate reads.
        send("+OK 1200 octets\r\nSubject: x\r\n\r\n..dots\r\n..\r\n."),
        pause(30),
        send(".third\r\nlast line\r"),
        pause(30),
        send("\n.\r"),
        send("\n"),
        expect("QUIT\r\n"),
        send("+OK Logging out.\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        Pop3Client c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        CHECK(c.greeting() == "+OK Dovecot ready.");
        co_await c.login("alice", "s3cret");
        auto st = co_await c.stat();
        CHECK(st.count == 2);
        CHECK(st.octets == 1234);
        auto list = co_await c.list();
        REQUIRE(list.size() == 2);
        CHECK(list[0].number == 1);
        CHECK(list[0].octets == 34);
        CHECK(list[1].number == 2);
        CHECK(list[1].octets == 1200);
        auto uidl = co_await c.uidl();
        REQUIRE(uidl.size() == 2);
        CHECK(uidl[0].uid == "00000001520fe7a1");
        CHECK(uidl[1].number == 2);
        CHECK(uidl[1].uid == "00000002520fe7a1");
        std::string msg = co_await c.retr(2);
        CHECK(msg == "Subject: x\r\n\r\n.dots\r\n.\r\n.third\r\nlast line\r\n");
        co_await c.quit();
        CHECK_FALSE(c.is_open());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("-ERR is a ProtocolError naming the command (never the password) and quoting the answer") {
    FakeServer server({
        send("+OK ready\r\n"),
        expect("USER bob\r\n"),
        send("+OK\r\n"),
        expect("PASS wrong\r\n"),
        send("-ERR [AUTH] Authentication failed.\r\n"),
    });
    const std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
        Pop3Client c(io.get_executor());
        c.set_label("pop3 bob");
        co_await c.connect("127.0.0.1", server.port());
        co_await c.login("bob", "wrong");
    });
    CHECK(err == "pop3 bob: PASS ***: unexpected answer: \"-ERR [AUTH] Authentication failed.\"");
    server.join();
}

TEST_CASE("malformed answers: a greeting without +OK, a LIST line, STAT") {
    {
        FakeServer server({send("* OK IMAP here\r\n")});
        CHECK(protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
                  Pop3Client c(io.get_executor());
                  co_await c.connect("127.0.0.1", server.port());
              }) == "bad greeting: \"* OK IMAP here\"");
    }
    {
        FakeServer server({send("+OK\r\n"), expect("LIST\r\n"), send("+OK\r\n1 34\r\ntwo 5\r\n.\r\n")});
        CHECK(protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
                  Pop3Client c(io.get_executor());
                  co_await c.connect("127.0.0.1", server.port());
                  co_await c.list();
              }) == "LIST: malformed line: \"two 5\"");
    }
    {
        FakeServer server({send("+OK\r\n"), expect("STAT\r\n"), send("+OK 3\r\n")});
        CHECK(protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
                  Pop3Client c(io.get_executor());
                  co_await c.connect("127.0.0.1", server.port());
                  co_await c.stat();
              }) == "STAT: malformed answer: \"3\"");
    }
}

TEST_CASE("the connection closed in the middle of RETR, a message over the bound, a silent server") {
    {
        FakeServer server({send("+OK\r\n"), expect("RETR 1\r\n"), send("+OK\r\nFrom: a\r\n\r\nbody"), close_conn()});
        const std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
            Pop3Client c(io.get_executor());
            co_await c.connect("127.0.0.1", server.port());
            co_await c.retr(1);
        });
        CHECK(err == "connection closed by the server: \"body\"");
    }
    {
        loadgen::Pop3Limits limits;
        limits.max_message = 20;
        FakeServer server({send("+OK\r\n"), expect("RETR 1\r\n"),
                           send("+OK\r\n0123456789\r\n0123456789\r\n.\r\n")});
        const std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
            Pop3Client c(io.get_executor(), limits);
            co_await c.connect("127.0.0.1", server.port());
            co_await c.retr(1);
        });
        CHECK(err == "multi-line answer longer than 20 octets");
    }
    {
        loadgen::Pop3Limits limits;
        limits.timeout = std::chrono::milliseconds(200);
        FakeServer server({send("+OK\r\n"), expect("NOOP\r\n"), send("+O"), pause(600)});
        const std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
            Pop3Client c(io.get_executor(), limits);
            co_await c.connect("127.0.0.1", server.port());
            co_await c.noop();
        });
        CHECK(err == "no answer within 200 ms after: \"+O\"");
    }
    {
        loadgen::Pop3Limits limits;
        limits.max_line = 16;
        FakeServer server({send("+OK this greeting is far too long\r\n")});
        const std::string err = protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
            Pop3Client c(io.get_executor(), limits);
            co_await c.connect("127.0.0.1", server.port());
        });
        CHECK(err.starts_with("line longer than 16 octets: "));
    }
}
