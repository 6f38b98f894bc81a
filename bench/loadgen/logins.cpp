// The `logins` workload: LOGIN + LOGOUT, each on a new connection.
//
// --clients connectors (default 10) loop with no think time for --duration:
// connect, read the greeting, LOGIN as the next account of --users-file
// (round-robin over all of them), LOGOUT (which must answer "* BYE" and a
// tagged OK). One op is one completed login; its latency ("LOGIN_SESSION")
// runs from the connect to LOGOUT's tagged reply. LOGIN and LOGOUT are also
// timed on their own. A NO/BAD or protocol error stops that connector and
// fails the run.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/imap_client.hpp"
#include "workload.hpp"

namespace loadgen {
namespace {

constexpr unsigned kDefaultConnectors = 10;

struct LoginsState {
    const WorkloadOptions* opts = nullptr;
    Clock::time_point deadline;
    std::atomic<std::uint64_t> next_user{0};
    std::mutex mu;
    LatencyRecorder latencies;
    std::uint64_t logins = 0;
    std::uint64_t errors = 0;
    unsigned printed = 0;
};

asio::awaitable<void> connector(LoginsState& st, unsigned id) {
    auto ex = co_await asio::this_coro::executor;
    const WorkloadOptions& o = *st.opts;
    while (Clock::now() < st.deadline) {
        const UserAccount& acct = o.users[st.next_user++ % o.users.size()];
        try {
            ImapClient c(ex);
            c.set_label("connector " + std::to_string(id) + " (" + acct.user + ")");
            auto t0 = Clock::now();
            co_await c.connect(o.host, o.imap_port);
            auto t1 = Clock::now();
            ImapResponse r = co_await c.login(acct.user, acct.password);
            auto t2 = Clock::now();
            if (!r.ok())
                throw ProtocolError(c.label() + ": LOGIN: unexpected " + quote_bytes(r.status + " " + r.text));
            r = co_await c.logout();
            auto t3 = Clock::now();
            if (!r.ok())
                throw ProtocolError(c.label() + ": LOGOUT: unexpected " + quote_bytes(r.status + " " + r.text));
            std::lock_guard lock(st.mu);
            st.latencies.record("CONNECT", t0, t1);
            st.latencies.record("LOGIN", t1, t2);
            st.latencies.record("LOGOUT", t2, t3);
            st.latencies.record("LOGIN_SESSION", t0, t3);
            ++st.logins;
        } catch (const std::exception& e) {
            std::lock_guard lock(st.mu);
            ++st.errors;
            if (st.printed++ < 20)
                std::fprintf(stderr, "loft-loadgen logins: %s\n", e.what());
            co_return;
        }
    }
}

WorkloadResult run_logins(const WorkloadOptions& o) {
    if (o.users.empty())
        throw std::runtime_error("logins needs --users-file");
    unsigned n = o.clients ? o.clients : kDefaultConnectors;
    LoginsState st;
    st.opts = &o;
    asio::io_context io;
    auto started = Clock::now();
    st.deadline = started + std::chrono::microseconds(static_cast<std::int64_t>(o.duration_s * 1e6));
    for (unsigned i = 0; i < n; ++i)
        asio::co_spawn(io, connector(st, i), asio::detached);
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, o.threads); ++t)
        threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads)
        t.join();
    WorkloadResult res;
    res.workload = "logins";
    res.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    res.ops = st.logins;
    res.errors = st.errors;
    res.commands = std::move(st.latencies);
    res.set_extra("connectors", n);
    return res;
}

const bool registered = register_workload(
    "logins", "LOGIN + LOGOUT on a new connection each (--clients connectors, default 10)", run_logins);

} // namespace
} // namespace loadgen
