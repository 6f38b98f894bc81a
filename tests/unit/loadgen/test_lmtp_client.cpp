// loadgen::LmtpClient against scripted servers: the exact bytes of a
// transaction (CRLF and dot-stuffing of the data), multi-line replies, one
// reply per accepted recipient after the data (RFC 2033 §4.2), and failures.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <functional>

#include "core/lmtp_client.hpp"
#include "fake_imap_server.hpp"
#include "run_client.hpp"

using loadgen::LmtpClient;
using loadgen::LmtpReply;
using loadgen::ProtocolError;
using namespace loadgen_test;

namespace {

const std::string kGreeting = "220 mx.example Dovecot ready.\r\n";
const std::string kLhlo = "250-mx.example\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE\r\n";

} // namespace

TEST_CASE("dot_stuff: CRLF line ends, leading dots doubled, the final dot line") {
    std::string out;
    loadgen::dot_stuff("a\n.b\r\n..c\n\nlast", out);
    CHECK(out == "a\r\n..b\r\n...c\r\n\r\nlast\r\n.\r\n");
    loadgen::dot_stuff("x\r\n", out);
    CHECK(out == "x\r\n.\r\n");
    loadgen::dot_stuff("", out);
    CHECK(out == ".\r\n");
}

TEST_CASE("a transaction: one recipient refused at RCPT, one reply per accepted recipient after the data") {
    FakeServer server({
        send("220-mx.example\r\n220 Dovecot ready.\r\n"),
        expect("LHLO client.example\r\n"),
        send(kLhlo),
        expect("MAIL FROM:<sender@example.org>\r\n"),
        send("250 2.1.0 OK\r\n"),
        expect("RCPT TO:<a@example.org>\r\n"),
        send("250 2.1.5 OK\r\n"),
        expect("RCPT TO:<nobody@example.org>\r\n"),
        send("550 5.1.1 <nobody@example.org> User doesn't exist: nobody@example.org\r\n"),
        expect("RCPT TO:<b@example.org>\r\n"),
        send("250 2.1.5 OK\r\n"),
        expect("DATA\r\n"),
        send("354 OK\r\n"),
        expect("Subject: hi\r\n\r\n..leading dot\r\nend\r\n.\r\n"),
        send("250 2.0.0 <a@example.org> Saved\r\n"),
        pause(30),
        send("452 4.2.2 <b@example.org> Quota exceeded\r\n"),
        expect("QUIT\r\n"),
        send("221 2.0.0 OK\r\n"),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        LmtpClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        CHECK(c.greeting().code == 220);
        CHECK(c.greeting().lines == std::vector<std::string>{"mx.example", "Dovecot ready."});
        LmtpReply l = co_await c.lhlo("client.example");
        CHECK(l.lines.size() == 4);
        CHECK(l.lines[2] == "PIPELINING");
        // (A named vector: GCC 12 miscompiles an initializer list of
        // literals in a co_await expression.)
        const std::vector<std::string> rcpts{"a@example.org", "nobody@example.org", "b@example.org"};
        auto replies = co_await c.deliver("sender@example.org", rcpts, "Subject: hi\n\n.leading dot\nend\n");
        REQUIRE(replies.size() == 3);
        CHECK(replies[0].code == 250);
        CHECK(replies[0].text() == "2.0.0 <a@example.org> Saved");
        CHECK(replies[1].code == 550);
        CHECK_FALSE(replies[1].positive());
        CHECK(replies[2].code == 452);
        CHECK(replies[2].text() == "4.2.2 <b@example.org> Quota exceeded");
        co_await c.quit();
        CHECK_FALSE(c.is_open());
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("every recipient refused: RSET instead of DATA") {
    FakeServer server({
        send(kGreeting),
        expect("MAIL FROM:<>\r\n"),
        send("250 OK\r\n"),
        expect("RCPT TO:<x@example.org>\r\n"),
        send("451 4.3.0 Temporary internal error\r\n"),
        expect("RSET\r\n"),
        send("250 OK\r\n"),
        expect_nothing(50),
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        LmtpClient c(io.get_executor());
        co_await c.connect("127.0.0.1", server.port());
        const std::vector<std::string> rcpts{"x@example.org"};
        auto replies = co_await c.deliver("", rcpts, "x\n");
        REQUIRE(replies.size() == 1);
        CHECK(replies[0].code == 451);
    });
    server.join();
    CHECK(server.error() == "");
}

TEST_CASE("failures: MAIL refused, DATA without 354, malformed and mixed-code replies, a closed connection") {
    auto deliver_error = [](std::vector<Step> script) {
        FakeServer server(std::move(script));
        return protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
            LmtpClient c(io.get_executor());
            c.set_label("lmtp");
            co_await c.connect("127.0.0.1", server.port());
            const std::vector<std::string> rcpts{"r@example.org"};
            co_await c.deliver("s@example.org", rcpts, "x\n");
        });
    };
    CHECK(deliver_error({send(kGreeting), expect("MAIL FROM:<s@example.org>\r\n"), send("501 5.5.4 Bad sender\r\n")}) ==
          "lmtp: MAIL FROM:<s@example.org>: 501: \"5.5.4 Bad sender\"");
    CHECK(deliver_error({send(kGreeting), expect("MAIL FROM:<s@example.org>\r\n"), send("250 OK\r\n"),
                         expect("RCPT TO:<r@example.org>\r\n"), send("250 OK\r\n"), expect("DATA\r\n"),
                         send("503 5.5.1 No valid recipients\r\n")}) ==
          "lmtp: DATA: 503: \"5.5.1 No valid recipients\"");
    CHECK(deliver_error({send(kGreeting), expect("MAIL FROM:<s@example.org>\r\n"), send("OK fine\r\n")}) ==
          "lmtp: malformed reply after MAIL FROM:<s@example.org>: \"OK fine\"");
    CHECK(deliver_error({send(kGreeting), expect("MAIL FROM:<s@example.org>\r\n"), send("250-first\r\n251 second\r\n")}) ==
          "lmtp: reply lines with different codes after MAIL FROM:<s@example.org>: \"251 second\"");
    CHECK(deliver_error({send(kGreeting), expect("MAIL FROM:<s@example.org>\r\n"), send("250 OK\r\n"),
                         expect("RCPT TO:<r@example.org>\r\n"), send("250 OK\r\n"), expect("DATA\r\n"),
                         send("354 go\r\n"), expect("x\r\n.\r\n"), close_conn()}) ==
          "lmtp: connection closed by the server: \"(nothing pending)\"");
    {
        FakeServer server({send("554 5.3.2 No service\r\n")});
        CHECK(protocol_error_of([&](asio::io_context& io) -> asio::awaitable<void> {
                  LmtpClient c(io.get_executor());
                  co_await c.connect("127.0.0.1", server.port());
              }) == "greeting 554: \"5.3.2 No service\"");
    }
}

TEST_CASE("over a unix socket") {
    char dir[] = "/tmp/lmtp-test-XXXXXX";
    REQUIRE(::mkdtemp(dir));
    const std::string path = std::string(dir) + "/lmtp";
    const int lfd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(lfd, 1) == 0);
    std::string got;
    std::thread server([&] {
        const int fd = ::accept(lfd, nullptr, nullptr);
        ::send(fd, kGreeting.data(), kGreeting.size(), MSG_NOSIGNAL);
        char buf[64];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0)
            got.assign(buf, static_cast<std::size_t>(n));
        ::send(fd, "221 bye\r\n", 9, MSG_NOSIGNAL);
        ::close(fd);
    });
    run_client([&](asio::io_context& io) -> asio::awaitable<void> {
        LmtpClient c(io.get_executor());
        co_await c.connect_unix(path);
        CHECK(c.greeting().code == 220);
        co_await c.quit();
    });
    server.join();
    ::close(lfd);
    ::unlink(path.c_str());
    ::rmdir(dir);
    CHECK(got == "QUIT\r\n");
}
