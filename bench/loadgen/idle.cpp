// The `idle` workload: many IMAP connections in IDLE (RFC 2177), then LMTP
// deliveries and the time until every connection of the recipient sees the
// new message. The protocol with the harness (bench/run_bench.py), which
// measures the server's memory in between:
//
//   1. --connections=N connections (default 100), logged in over the
//      accounts of --users-file round-robin (connection i is account
//      i mod accounts), each SELECTs --mailbox (INBOX) and starts IDLE; set
//      up 64 at a time.
//   2. Prints "READY <N>" on stdout and waits for a line "GO" on stdin.
//   3. Delivers --deliveries=K messages (default 10; realistic messages of
//      bench/corpus, at most 64 KiB) over LMTP (--lmtp=HOST:PORT or
//      unix:/path) one at a time, to the accounts in turn. For each, the
//      time from reading the delivery's final 250 to each of that account's
//      connections reading "* n EXISTS" with n its message count now (0
//      when it came before the 250 was read). A connection that sees no
//      such EXISTS within 30 s is "missed": counted, and the run fails.
//   4. Prints "DONE", closes every connection, writes the JSON.
//
// "commands": SETUP (connect to IDLE's "+", per connection), LMTP (one
// delivery's transaction), EXISTS (the latencies above). "extra":
// connections, accounts, deliveries, exists_latency_p50_us/_p99_us/_max_us,
// missed, setup_s. ops = deliveries; duration_s = the delivery phase.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "core/imap_client.hpp"
#include "core/imap_parse.hpp"
#include "core/lmtp_client.hpp"
#include "corpus/generator.hpp"
#include "workload.hpp"

namespace loadgen {
namespace {

constexpr unsigned kDefaultConnections = 100;
constexpr unsigned kDefaultDeliveries = 10;
constexpr unsigned kSetupParallel = 64;
constexpr auto kExistsWait = std::chrono::seconds(30);

struct Connection {
    std::unique_ptr<ImapClient> client;
    std::size_t account = 0;
};

struct IdleState {
    const WorkloadOptions* opts = nullptr;
    std::vector<Connection> conns;
    std::vector<std::vector<std::size_t>> by_account;  // account -> connection indexes
    std::vector<std::optional<std::uint32_t>> exists;  // account -> messages now
    std::size_t next_setup = 0;
    LatencyRecorder latencies;
    std::uint64_t errors = 0;
    std::uint64_t missed = 0;
    unsigned printed = 0;
    std::uint64_t deliveries = 0;
    double setup_s = 0;
    double delivery_s = 0;

    void error(const std::string& what) {
        ++errors;
        if (printed++ < 20)
            std::fprintf(stderr, "loft-loadgen idle: %s\n", what.c_str());
    }
};

// Enough descriptors for N connections and some more: the hard limit may be
// raised by root.
void ensure_nofile(std::size_t connections) {
    const rlim_t need = static_cast<rlim_t>(connections) + 256;
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur >= need)
        return;
    rlimit want{need, std::max(need, rl.rlim_max)};
    if (setrlimit(RLIMIT_NOFILE, &want) != 0)
        throw std::runtime_error("idle: " + std::to_string(connections) + " connections need " + std::to_string(need) +
                                 " file descriptors; RLIMIT_NOFILE is " + std::to_string(rl.rlim_cur) + " (hard " +
                                 std::to_string(rl.rlim_max) + ")");
}

asio::awaitable<void> setup_worker(IdleState& st) {
    auto ex = co_await asio::this_coro::executor;
    const WorkloadOptions& o = *st.opts;
    while (st.next_setup < st.conns.size()) {
        const std::size_t i = st.next_setup++;
        Connection& c = st.conns[i];
        const UserAccount& acct = o.users[c.account];
        // Small bounds: an IDLE connection only ever reads short lines.
        ImapLimits limits;
        limits.max_line = 64 * 1024;
        c.client = std::make_unique<ImapClient>(ex, limits);
        ImapClient& cl = *c.client;
        cl.set_label("connection " + std::to_string(i) + " (" + acct.user + ")");
        const auto t0 = Clock::now();
        co_await cl.connect(o.host, o.imap_port);
        ImapResponse r = co_await cl.login(acct.user, acct.password);
        if (!r.ok())
            throw ProtocolError(cl.label() + ": LOGIN: unexpected " + quote_bytes(r.status + " " + r.text));
        r = co_await cl.command("SELECT " + imap_string(o.mailbox));
        if (!r.ok())
            throw ProtocolError(cl.label() + ": SELECT: unexpected " + quote_bytes(r.status + " " + r.text));
        const SelectData sel = parse_select(r);
        if (!sel.exists)
            throw ProtocolError(cl.label() + ": SELECT without EXISTS");
        auto& known = st.exists[c.account];
        if (known && *known != *sel.exists)
            throw ProtocolError(cl.label() + ": SELECT says EXISTS " + std::to_string(*sel.exists) +
                                ", another connection of the account " + std::to_string(*known));
        known = *sel.exists;
        co_await cl.idle_start();
        st.latencies.record("SETUP", t0, Clock::now());
    }
}

// Waits for "* n EXISTS" with n >= expected on one connection; the time it
// was read goes to `seen_at` (nullopt: missed).
asio::awaitable<void> wait_exists(IdleState& st, std::size_t index, std::uint32_t expected,
                                  Clock::time_point deadline, std::optional<Clock::time_point>& seen_at,
                                  std::size_t& pending, asio::steady_timer& all_done) {
    Connection& c = st.conns[index];
    try {
        for (;;) {
            const auto now = Clock::now();
            if (now >= deadline)
                break;
            auto u = co_await c.client->try_next_untagged(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + std::chrono::milliseconds(1));
            if (!u)
                break;
            if (auto n = parse_exists(*u)) {
                if (*n > expected)
                    st.error(c.client->label() + ": EXISTS " + std::to_string(*n) + ", but the mailbox has " +
                             std::to_string(expected) + " messages");
                if (*n >= expected) {
                    seen_at = Clock::now();
                    break;
                }
            }
        }
    } catch (const std::exception& e) {
        st.error(e.what());
    }
    if (--pending == 0)
        all_done.cancel();
}

asio::awaitable<void> deliveries(IdleState& st, unsigned count) {
    auto ex = co_await asio::this_coro::executor;
    const WorkloadOptions& o = *st.opts;
    LmtpClient lmtp(ex);
    lmtp.set_label("lmtp");
    if (!o.lmtp_socket.empty())
        co_await lmtp.connect_unix(o.lmtp_socket);
    else
        co_await lmtp.connect(o.lmtp_host, o.lmtp_port);
    co_await lmtp.lhlo("loadgen.example");
    corpus::Options copt;
    copt.max_size = 64 * 1024;
    copt.crlf = true;
    corpus::Generator gen(o.seed, copt);
    std::string message;
    asio::steady_timer all_done(ex);
    const auto started = Clock::now();
    for (unsigned k = 0; k < count; ++k) {
        const std::size_t account = k % o.users.size();
        const auto& conns = st.by_account[account];
        const std::uint32_t expected = *st.exists[account] + 1;
        st.exists[account] = expected;
        // The waiters read before the delivery starts, so an EXISTS is timed
        // when it arrives, not when we get round to it.
        std::vector<std::optional<Clock::time_point>> seen(conns.size());
        std::size_t pending = conns.size();
        const auto deadline = Clock::now() + kExistsWait;
        all_done.expires_at(Clock::time_point::max());
        for (std::size_t j = 0; j < conns.size(); ++j)
            asio::co_spawn(ex, wait_exists(st, conns[j], expected, deadline, seen[j], pending, all_done),
                           asio::detached);
        gen.next(message);
        const std::vector<std::string> rcpts{o.users[account].user};
        const auto t0 = Clock::now();
        std::vector<LmtpReply> replies;
        std::exception_ptr failure;
        try {
            replies = co_await lmtp.deliver("loadgen@example.org", rcpts, message);
        } catch (...) {
            failure = std::current_exception();
        }
        const auto t250 = Clock::now();
        // The waiters refer to this frame: they finish (EXISTS or their
        // deadline) before it may go, even when the delivery failed.
        if (pending > 0) {
            std::error_code ec;
            co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (failure)
            std::rethrow_exception(failure);
        if (replies[0].code != 250)
            throw ProtocolError("lmtp: delivery " + std::to_string(k + 1) + " to " + rcpts[0] + ": " +
                                std::to_string(replies[0].code) + " " + quote_bytes(replies[0].text()));
        st.latencies.record("LMTP", t0, t250);
        for (std::size_t j = 0; j < conns.size(); ++j) {
            if (!seen[j]) {
                ++st.missed;
                st.error(st.conns[conns[j]].client->label() + ": no \"* " + std::to_string(expected) +
                         " EXISTS\" within 30 s of delivery " + std::to_string(k + 1));
                continue;
            }
            st.latencies.record("EXISTS", *seen[j] > t250 ? elapsed_us(t250, *seen[j]) : 0);
        }
        ++st.deliveries;
        if (o.verbose)
            std::fprintf(stderr, "idle: delivery %u of %u to %s seen by %zu connections\n", k + 1, count,
                         rcpts[0].c_str(), conns.size());
    }
    st.delivery_s = std::chrono::duration<double>(Clock::now() - started).count();
    co_await lmtp.quit();
}

// Runs `body` on `io` to completion; its exception is rethrown.
template <typename Body>
void run_phase(asio::io_context& io, Body&& body) {
    std::exception_ptr failure;
    asio::co_spawn(io, std::forward<Body>(body), [&](std::exception_ptr e) { failure = e; });
    io.restart();
    io.run();
    if (failure)
        std::rethrow_exception(failure);
}

WorkloadResult run_idle(const WorkloadOptions& o) {
    if (o.users.empty())
        throw std::runtime_error("idle needs --users-file");
    if (o.lmtp_socket.empty() && (o.lmtp_host.empty() || o.lmtp_port == 0))
        throw std::runtime_error("idle needs --lmtp=HOST:PORT or --lmtp=unix:/path");
    const unsigned n = o.connections ? o.connections : kDefaultConnections;
    const unsigned k = o.deliveries ? o.deliveries : kDefaultDeliveries;
    ensure_nofile(n);
    // Before the state: the clients' sockets and timers must go before the
    // io_context whose services they use.
    asio::io_context io;
    IdleState st;
    st.opts = &o;
    st.conns.resize(n);
    st.by_account.resize(o.users.size());
    st.exists.resize(o.users.size());
    for (std::size_t i = 0; i < n; ++i) {
        st.conns[i].account = i % o.users.size();
        st.by_account[i % o.users.size()].push_back(i);
    }
    for (std::size_t a = 0; a < o.users.size() && a < n; ++a)
        if (st.by_account[a].empty())
            throw std::runtime_error("idle: account without a connection");
    WorkloadResult res;
    res.workload = "idle";
    try {
        // 1. Connections, 64 set up at a time.
        const auto t0 = Clock::now();
        run_phase(io, [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            std::size_t workers = std::min<std::size_t>(kSetupParallel, n);
            std::size_t running = workers;
            std::exception_ptr first;
            asio::steady_timer done(ex, Clock::time_point::max());
            for (std::size_t w = 0; w < workers; ++w)
                asio::co_spawn(ex, setup_worker(st), [&](std::exception_ptr e) {
                    if (e && !first)
                        first = e;
                    if (e)
                        st.next_setup = st.conns.size();  // stop the others
                    if (--running == 0)
                        done.cancel();
                });
            std::error_code ec;
            co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (first)
                std::rethrow_exception(first);
        });
        st.setup_s = std::chrono::duration<double>(Clock::now() - t0).count();
        // 2. READY, then GO from the harness.
        std::printf("READY %u\n", n);
        std::fflush(stdout);
        std::string line;
        if (!std::getline(std::cin, line) || (line != "GO" && line != "GO\r"))
            throw std::runtime_error("idle: expected \"GO\" on stdin after READY, got " +
                                     (std::cin ? quote_bytes(line) : std::string("end of input")));
        // 3. The deliveries.
        run_phase(io, deliveries(st, k));
    } catch (const std::exception& e) {
        st.error(e.what());
    }
    std::printf("DONE\n");
    std::fflush(stdout);
    for (auto& c : st.conns)
        if (c.client)
            c.client->close();
    res.duration_s = st.delivery_s;
    res.ops = st.deliveries;
    res.errors = st.errors;
    const Histogram* h = st.latencies.find("EXISTS");
    res.set_extra("connections", n);
    res.set_extra("accounts", static_cast<std::uint64_t>(o.users.size()));
    res.set_extra("deliveries", static_cast<std::uint64_t>(st.deliveries));
    res.set_extra("exists_latency_p50_us", h ? h->percentile(0.5) : 0);
    res.set_extra("exists_latency_p99_us", h ? h->percentile(0.99) : 0);
    res.set_extra("exists_latency_max_us", h ? h->max() : 0);
    res.set_extra("missed", st.missed);
    res.set_extra("setup_s", st.setup_s);
    res.commands = std::move(st.latencies);
    return res;
}

const bool registered = register_workload(
    "idle",
    "--connections IMAP connections in IDLE (READY on stdout, GO on stdin), then --deliveries LMTP deliveries "
    "and the latency to EXISTS on each connection of the recipient",
    run_idle);

} // namespace
} // namespace loadgen
