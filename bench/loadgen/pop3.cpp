// The `pop3` workload: one POP3 session downloading a mailbox (RFC 1939), on
// the first account of --users-file: connect, USER/PASS, STAT, LIST, UIDL,
// RETR of messages 1..--messages (default: all), QUIT. No DELE, so it can be
// run again on the same mailbox.
//
// Checks: STAT, LIST and UIDL list the same messages, numbered 1..n; STAT's
// octets are LIST's sum; the unique-ids differ; every RETR's octets (the
// byte-stuffing undone) are what LIST said; the mailbox holds at least
// --messages messages. Any -ERR or other failure ends the session as an error.
//
// One op is one RETR; duration_s is the whole session (connect to QUIT's
// answer). "commands": CONNECT, LOGIN (USER+PASS), STAT, LIST, UIDL, RETR,
// QUIT. "extra": messages, bytes (RETR octets), messages_per_s, mb_per_s
// (10^6 bytes), and hashes of the UIDL listing and of the retrieved bytes,
// so two servers' answers can be compared.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <cstring>
#include <set>

#include "core/pop3_client.hpp"
#include "workload.hpp"

namespace loadgen {
namespace {

// A fast 64-bit hash of bytes (8 at a time): not cryptographic, only a
// fingerprint of what a server sent.
std::uint64_t hash_bytes(std::string_view s, std::uint64_t h) {
    constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ull;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * kMul;
        h ^= h >> 32;
    }
    std::uint64_t tail = s.size();
    for (; i < s.size(); ++i)
        tail = (tail << 8) | static_cast<unsigned char>(s[i]);
    h = (h ^ tail) * kMul;
    return h ^ (h >> 29);
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

struct Pop3State {
    LatencyRecorder latencies;
    std::uint64_t retrieved = 0;
    std::uint64_t bytes = 0;
    std::uint64_t retr_hash = 0;
    std::uint64_t uidl_hash = 0;
    std::uint64_t mailbox_messages = 0;
};

asio::awaitable<void> session(Pop3State& st, const WorkloadOptions& o) {
    auto ex = co_await asio::this_coro::executor;
    const UserAccount& acct = o.users.front();
    Pop3Client c(ex);
    c.set_label("pop3 (" + acct.user + ")");
    auto fail = [&](const std::string& what) { throw ProtocolError(c.label() + ": " + what); };
    auto t = Clock::now();
    co_await c.connect(o.host, o.pop3_port);
    auto step = [&](std::string_view name) {
        const auto now = Clock::now();
        st.latencies.record(name, t, now);
        t = now;
    };
    step("CONNECT");
    co_await c.login(acct.user, acct.password);
    step("LOGIN");
    const Pop3Stat stat = co_await c.stat();
    step("STAT");
    const auto list = co_await c.list();
    step("LIST");
    const auto uidl = co_await c.uidl();
    step("UIDL");

    st.mailbox_messages = stat.count;
    if (list.size() != stat.count || uidl.size() != stat.count)
        fail("STAT counts " + std::to_string(stat.count) + " messages, LIST " + std::to_string(list.size()) +
             ", UIDL " + std::to_string(uidl.size()));
    std::uint64_t octets = 0;
    std::set<std::string_view> uids;
    std::string uidl_text;
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].number != i + 1 || uidl[i].number != i + 1)
            fail("LIST/UIDL line " + std::to_string(i + 1) + " numbers message " + std::to_string(list[i].number) +
                 "/" + std::to_string(uidl[i].number));
        octets += list[i].octets;
        if (!uids.insert(uidl[i].uid).second)
            fail("UIDL gives unique-id " + uidl[i].uid + " twice (RFC 1939 §7)");
        uidl_text += uidl[i].uid;
        uidl_text += '\n';
    }
    if (octets != stat.octets)
        fail("STAT says " + std::to_string(stat.octets) + " octets, LIST's sizes add up to " + std::to_string(octets));
    st.uidl_hash = hash_bytes(uidl_text, 0);
    const std::uint64_t want = o.messages ? o.messages : stat.count;
    if (want > stat.count)
        fail("--messages=" + std::to_string(want) + " but the mailbox holds " + std::to_string(stat.count));

    std::string msg;
    for (std::uint32_t n = 1; n <= want; ++n) {
        co_await c.retr(n, msg);
        step("RETR");
        if (msg.size() != list[n - 1].octets)
            fail("RETR " + std::to_string(n) + " sent " + std::to_string(msg.size()) + " octets, LIST said " +
                 std::to_string(list[n - 1].octets));
        st.retr_hash = hash_bytes(msg, st.retr_hash + n);
        st.bytes += msg.size();
        ++st.retrieved;
    }
    co_await c.quit();
    step("QUIT");
}

WorkloadResult run_pop3(const WorkloadOptions& o) {
    if (o.users.empty())
        throw std::runtime_error("pop3 needs --users-file (its first account is used)");
    Pop3State st;
    asio::io_context io;
    std::exception_ptr failure;
    const auto started = Clock::now();
    asio::co_spawn(io, session(st, o), [&](std::exception_ptr e) { failure = e; });
    io.run();
    WorkloadResult res;
    res.workload = "pop3";
    res.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "loft-loadgen pop3: %s\n", e.what());
            ++res.errors;
        }
    }
    res.ops = st.retrieved;
    res.commands = std::move(st.latencies);
    res.set_extra("messages", st.retrieved);
    res.set_extra("mailbox_messages", st.mailbox_messages);
    res.set_extra("bytes", st.bytes);
    res.set_extra("messages_per_s", res.duration_s > 0 ? static_cast<double>(st.retrieved) / res.duration_s : 0.0);
    res.set_extra("mb_per_s", res.duration_s > 0 ? static_cast<double>(st.bytes) / 1e6 / res.duration_s : 0.0);
    res.set_extra_string("uidl_hash", hex64(st.uidl_hash));
    res.set_extra_string("retr_hash", hex64(st.retr_hash));
    return res;
}

const bool registered = register_workload(
    "pop3", "one POP3 session: STAT, LIST, UIDL, RETR of --messages messages (default all), checked", run_pop3);

} // namespace
} // namespace loadgen
