// Connection::read_some(), wake() (ReadStatus::woken) and release_buffers():
// what loft-imapd's IDLE relies on, over a socketpair with no Server.
#include "connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <functional>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace loft;
using namespace std::chrono_literals;

namespace {

// A Connection on one end of a socketpair; the test holds the other end.
struct Pair {
    asio::io_context io;
    BlockingPool pool{1, 4};
    std::shared_ptr<Connection> conn;
    int peer = -1;

    explicit Pair(ConnectionLimits limits = {}) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        peer = fds[1];
        Connection::Socket socket(io, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fds[0]);
        conn = std::make_shared<Connection>(std::move(socket), asio::make_strand(io), 1, "imap", limits, nullptr,
                                            pool, nullptr);
        conn->set_addresses("127.0.0.1", 1000, "127.0.0.1", 143, false);
    }
    ~Pair() {
        if (peer >= 0)
            ::close(peer);
    }
    Pair(const Pair&) = delete;
    Pair& operator=(const Pair&) = delete;

    void send(std::string_view bytes) const {
        REQUIRE(::write(peer, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    }
    // Everything the connection sent, once it is closed.
    std::string received_all() {
        std::string all;
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(peer, buf, sizeof buf);
            if (n <= 0)
                break;
            all.append(buf, static_cast<std::size_t>(n));
        }
        return all;
    }
    // Runs `body` on the connection's strand until it and everything it
    // started are done.
    void run(std::function<asio::awaitable<void>()> body) {
        asio::co_spawn(conn->executor(), std::move(body), asio::detached);
        io.run();
        io.restart();
    }
};

struct Read {
    ReadStatus status = ReadStatus::error;
    std::string data;
};

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

TEST_CASE("read_some returns what arrived, at most max bytes, appended to out") {
    Pair p;
    p.send("a1 NOOP\r\n");
    Read first, second;
    first.data = "kept:";
    p.run([&]() -> asio::awaitable<void> {
        first.status = co_await p.conn->read_some(first.data, 4);
        second.status = co_await p.conn->read_some(second.data, 64);
    });
    CHECK(first.status == ReadStatus::ok);
    CHECK(first.data == "kept:a1 N");
    CHECK(second.status == ReadStatus::ok);
    CHECK(second.data == "OOP\r\n");
}

TEST_CASE("read_some: eof when the client closes, error once the connection is closed") {
    Pair p;
    ::close(p.peer);
    p.peer = -1;
    Read r, after;
    p.run([&]() -> asio::awaitable<void> {
        r.status = co_await p.conn->read_some(r.data, 64);
        p.conn->close();
        after.status = co_await p.conn->read_some(after.data, 64);
    });
    CHECK(r.status == ReadStatus::eof);
    CHECK(r.data.empty());
    CHECK(after.status == ReadStatus::error);
}

TEST_CASE("wake() before read_some: woken at once, input stays for the next read") {
    Pair p;
    p.send("DONE\r\n");
    Read woken, next;
    p.run([&]() -> asio::awaitable<void> {
        p.conn->wake();
        // wake() posts to the strand: let it run.
        co_await sleep_for(1ms);
        woken.status = co_await p.conn->read_some(woken.data, 64);
        next.status = co_await p.conn->read_some(next.data, 64);
    });
    CHECK(woken.status == ReadStatus::woken);
    CHECK(woken.data.empty());
    CHECK(next.status == ReadStatus::ok);
    CHECK(next.data == "DONE\r\n");
}

TEST_CASE("wake() from another thread ends a pending read_some with woken, reported once") {
    Pair p;
    Read woken, next;
    std::thread waker;
    p.run([&]() -> asio::awaitable<void> {
        waker = std::thread([&] {
            std::this_thread::sleep_for(20ms);
            p.conn->wake();
        });
        woken.status = co_await p.conn->read_some(woken.data, 64, false);
        p.send("x");
        next.status = co_await p.conn->read_some(next.data, 64, false);
    });
    waker.join();
    CHECK(woken.status == ReadStatus::woken);
    CHECK(woken.data.empty());
    CHECK(next.status == ReadStatus::ok);
    CHECK(next.data == "x");
}

TEST_CASE("read_some: the idle timeout applies only with use_timeout") {
    ConnectionLimits limits;
    limits.idle_timeout = 30ms;
    Pair p(limits);
    Read timed, untimed;
    p.run([&]() -> asio::awaitable<void> {
        p.conn->start_watchdog();
        timed.status = co_await p.conn->read_some(timed.data, 64, true);
        // IDLE: no timeout; input arriving well after it is read.
        asio::co_spawn(
            p.conn->executor(),
            [&]() -> asio::awaitable<void> {
                co_await sleep_for(120ms);
                p.send("DONE\r\n");
            },
            asio::detached);
        untimed.status = co_await p.conn->read_some(untimed.data, 64, false);
        p.conn->close(); // ends the watchdog
    });
    CHECK(timed.status == ReadStatus::timeout);
    CHECK(untimed.status == ReadStatus::ok);
    CHECK(untimed.data == "DONE\r\n");
}

TEST_CASE("read_some: kick and shutdown end a pending read, and win over a wake") {
    SUBCASE("kick") {
        Pair p;
        Read r;
        p.run([&]() -> asio::awaitable<void> {
            asio::co_spawn(
                p.conn->executor(),
                [&]() -> asio::awaitable<void> {
                    co_await sleep_for(10ms);
                    p.conn->kick();
                    p.conn->wake();
                },
                asio::detached);
            r.status = co_await p.conn->read_some(r.data, 64, false);
        });
        CHECK(r.status == ReadStatus::kicked);
    }
    SUBCASE("shutdown") {
        Pair p;
        Read r;
        p.run([&]() -> asio::awaitable<void> {
            asio::co_spawn(
                p.conn->executor(),
                [&]() -> asio::awaitable<void> {
                    co_await sleep_for(10ms);
                    p.conn->request_shutdown();
                },
                asio::detached);
            r.status = co_await p.conn->read_some(r.data, 64, false);
        });
        CHECK(r.status == ReadStatus::shutdown);
    }
}

TEST_CASE("release_buffers frees the flushed output buffer and keeps unsent output") {
    Pair p;
    std::size_t after_flush = 0, after_release = 0, pending_kept = 0;
    bool wrote = false, flushed = false;
    p.run([&]() -> asio::awaitable<void> {
        std::string big(8000, 'x');
        wrote = co_await p.conn->write(big);
        flushed = co_await p.conn->flush();
        after_flush = p.conn->output_capacity();
        p.conn->release_buffers();
        after_release = p.conn->output_capacity();
        co_await p.conn->write_line("* OK Still here");
        p.conn->release_buffers();
        pending_kept = p.conn->output_capacity();
        bool flushed_again = co_await p.conn->flush();
        flushed = flushed && flushed_again;
        p.conn->close();
    });
    CHECK(wrote);
    CHECK(flushed);
    CHECK(after_flush >= 8000); // flush() keeps a buffer within twice the limit
    CHECK(after_release < after_flush);
    CHECK(after_release <= sizeof(std::string)); // at most the inline buffer
    CHECK(pending_kept >= 17);
    CHECK(p.received_all() == std::string(8000, 'x') + "* OK Still here\r\n");
}

TEST_CASE("lend_fd: refused while output waits here; a lent socket is open; kicked() is seen at once") {
    Pair p;
    int refused = 0, lent = -1;
    bool open_while_lent = false, open_after = false;
    p.run([&]() -> asio::awaitable<void> {
        // Buffered output: the job's own sends would overtake it.
        co_await p.conn->write_line("+OK first");
        refused = p.conn->lend_fd();
        bool flushed = co_await p.conn->flush();
        REQUIRE(flushed);
        lent = p.conn->lend_fd();
        open_while_lent = p.conn->is_open() && p.conn->is_lent();
        if (lent >= 0) {
            REQUIRE(::send(lent, "+OK second\r\n", 12, MSG_NOSIGNAL) == 12);
            p.conn->return_fd(lent);
        }
        open_after = p.conn->is_open() && !p.conn->is_lent();
        p.conn->close();
    });
    CHECK(refused == -1);
    CHECK(lent >= 0);
    CHECK(open_while_lent);
    CHECK(open_after);
    CHECK(p.received_all() == "+OK first\r\n+OK second\r\n");
    // kick() sets the flag before it reaches the strand: a pool job holding
    // the lent socket checks it between answers.
    Pair k;
    CHECK(!k.conn->kicked());
    k.conn->kick();
    CHECK(k.conn->kicked());
}
