// The `mixed` workload: webmail-like IMAP sessions over many accounts, with
// cross-checks so a fast server that lies fails the run.
//
// --clients coroutines (default 50) loop with no think time. Each session
// picks an account at random from --users-file (so with more clients than
// accounts, or by chance, several sessions share a mailbox at once, and
// consecutive sessions of one account see each other's changes) and does:
//
//   connect, LOGIN, SELECT INBOX,
//   UID FETCH <new since the account's last look>:* (UID FLAGS
//       BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])  "FETCH"
//   UID FETCH <up to 2 of them> (UID BODY.PEEK[])                   "FETCH_BODY"
//   UID STORE <those> +FLAGS (\Seen)                                "STORE"
//   UID STORE <one> +FLAGS or -FLAGS (\Flagged)                     "STORE"
//   UID STORE <one> +FLAGS (\Deleted), UID EXPUNGE <it>             "STORE", "EXPUNGE"
//   APPEND INBOX <a corpus::Generator message>                      "APPEND"
//   LOGOUT
//
// One op is one command (the connect is timed as "CONNECT" but not counted).
//
// The ledger (one per account) records what the load generator knows for
// sure: the messages and flags found before the run (an unmeasured setup
// pass: SELECT and UID FETCH 1:* (UID FLAGS RFC822.SIZE) on every account),
// every UID APPENDUID returned with the appended message's size and hash,
// every flag a STORE or an APPEND set (flags only ever accumulate in the
// ledger, so a stale view of a flag since removed is no error), and the
// messages marked \Deleted. Every response is checked against it; the checks
// allow what RFC 3501 allows concurrent sessions to see (a message expunged
// elsewhere may still be listed until this session's next sync; an
// APPENDUID another client has not read yet may already be visible):
//
// - UIDVALIDITY never changes; UIDNEXT is above every UID the server had
//   confirmed before SELECT was sent;
// - a UID in a FETCH is one found in setup or appended by a client; a UID
//   above the setup UIDNEXT while appends are in flight is checked at the end
//   of the run (every such UID must have been returned by an APPENDUID);
// - within one response, UIDs ascend with message sequence numbers
//   (RFC 3501 §2.3.1.1); several FETCH responses for one message are merged
//   (RFC 3501 §7.4.2), the latest flags winning;
// - every new message comes with the requested header fields (unless marked
//   \Deleted: it may have been expunged meanwhile);
// - every flag in a FETCH is one the message had in setup or a client set;
// - after UID STORE +FLAGS (\Seen) or (\Deleted) (flags no client removes),
//   the message's FETCH in the reply carries the flag;
// - BODY[] of an appended message is the appended bytes (size and FNV-1a
//   hash), of a setup message as long as its RFC822.SIZE (empty only for a
//   message marked \Deleted: it may be expunged under the FETCH);
// - EXISTS is at least the messages known to exist (setup + confirmed
//   appends when the command was sent - messages marked \Deleted) and at
//   most what can exist (setup + appends started);
// - APPENDUID returns a new UID, at or above the setup UIDNEXT, in the
//   mailbox's UIDVALIDITY.
//
// Any failed check, NO/BAD (except NO [EXPUNGEISSUED] to a FETCH or STORE,
// RFC 5530), or protocol error stops that client and counts an error; the run
// then exits 1.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/imap_client.hpp"
#include "core/imap_parse.hpp"
#include "corpus/generator.hpp"
#include "workload.hpp"

namespace loadgen {
namespace {

constexpr unsigned kDefaultClients = 50;
constexpr std::size_t kFirstLook = 20;     // messages fetched on an account's first look
constexpr std::size_t kMaxNewPerLook = 50; // new messages fetched per session at most
constexpr std::size_t kMaxDeferred = 100'000;
constexpr std::size_t kMaxKeywords = 58;   // flag bits beyond the system flags
constexpr std::uint64_t kMaxAppendSize = 1024 * 1024;
constexpr const char* kHeaderFields = "BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)]";

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

struct MsgEntry {
    std::uint64_t allowed = 0; // every flag bit the message may show
    std::uint64_t size = 0;    // RFC822.SIZE / appended octets
    std::uint64_t hash = 0;    // appended messages only
    bool appended = false;
    bool deleted_marked = false;
};

// What the load generator knows about one account's INBOX. All members
// guarded by mu (clients may run on several threads with --threads).
struct Ledger {
    std::mutex mu;
    std::string user;
    std::uint32_t uidvalidity = 0;
    std::uint32_t setup_uidnext = 0;
    std::uint64_t setup_count = 0;
    std::map<std::uint32_t, MsgEntry> msgs;
    std::vector<std::string> keywords; // bit kSystem + i
    std::uint64_t appends_started = 0;
    std::uint64_t appends_confirmed = 0;
    std::uint64_t appends_in_flight = 0;
    std::uint64_t deleted_marked = 0;
    std::uint32_t max_appended_uid = 0;
    std::uint32_t last_look = 0; // highest UID a session has fetched
    std::vector<std::uint32_t> deferred;
    // Flags stored on (and \Deleted marks of) UIDs seen before their
    // APPENDUID was read, merged into the entry when it is.
    std::map<std::uint32_t, std::pair<std::uint64_t, bool>> early;

    static constexpr std::array<std::string_view, 5> kSystem = {"\\Seen", "\\Answered", "\\Flagged",
                                                                 "\\Deleted", "\\Draft"};
    // The flag's bit; 0 for \Recent (the server's, always allowed); with
    // `add`, a new keyword gets a bit, else an unknown one returns ~0.
    std::uint64_t bit(std::string_view flag, bool add) {
        if (iequals(flag, "\\Recent"))
            return 0;
        for (std::size_t i = 0; i < kSystem.size(); ++i)
            if (iequals(flag, kSystem[i]))
                return std::uint64_t{1} << i;
        for (std::size_t i = 0; i < keywords.size(); ++i)
            if (iequals(flag, keywords[i]))
                return std::uint64_t{1} << (kSystem.size() + i);
        if (!add)
            return ~std::uint64_t{0};
        if (keywords.size() >= kMaxKeywords)
            throw ProtocolError(user + ": more than " + std::to_string(kMaxKeywords) + " keywords in the mailbox");
        keywords.emplace_back(flag);
        return std::uint64_t{1} << (kSystem.size() + keywords.size() - 1);
    }
};

// Ledger values at the time a command was sent.
struct Snapshot {
    std::uint64_t confirmed = 0;
    std::uint32_t max_appended_uid = 0;
};

struct Shared {
    const WorkloadOptions* opts = nullptr;
    std::vector<std::unique_ptr<Ledger>> ledgers;
    Clock::time_point deadline;
    std::mutex stats_mu;
    LatencyRecorder latencies;
    std::uint64_t ops = 0;
    std::uint64_t errors = 0;
    std::uint64_t sessions = 0;
    std::uint64_t appended_bytes = 0;
    std::uint64_t fetched_bytes = 0;
    std::uint64_t expungeissued = 0;
    unsigned printed = 0;

    void record(std::string_view name, Clock::time_point start, bool op = true) {
        auto end = Clock::now();
        std::lock_guard lock(stats_mu);
        latencies.record(name, start, end);
        if (op)
            ++ops;
    }
    void error(const std::string& what) {
        std::lock_guard lock(stats_mu);
        ++errors;
        // A broken server could make every client fail: the first few say why.
        if (printed++ < 20)
            std::fprintf(stderr, "loft-loadgen mixed: %s\n", what.c_str());
    }
};

class Client {
public:
    Client(Shared& shared, unsigned id, std::uint64_t seed)
        : sh_(shared), id_(id), rng_(seed), gen_(seed, corpus_options()) {}

    asio::awaitable<void> run() {
        auto ex = co_await asio::this_coro::executor;
        while (Clock::now() < sh_.deadline) {
            std::uniform_int_distribution<std::size_t> pick(0, sh_.ledgers.size() - 1);
            Ledger& lg = *sh_.ledgers[pick(rng_)];
            try {
                co_await session(ex, lg);
            } catch (const std::exception& e) {
                sh_.error(e.what());
                co_return;
            }
        }
    }

private:
    static corpus::Options corpus_options() {
        corpus::Options o;
        o.max_size = kMaxAppendSize;
        o.crlf = true; // IMAP APPEND takes CRLF lines (RFC 3501 §6.3.11)
        return o;
    }

    [[noreturn]] void cross_check(const ImapClient& c, std::string_view cmd, const std::string& what,
                                  std::string_view line = {}) {
        std::string msg = c.label() + ": " + std::string(cmd) + ": cross-check failed: " + what;
        if (!line.empty())
            msg += ": " + quote_bytes(line);
        throw ProtocolError(msg);
    }

    void expect_ok(const ImapClient& c, std::string_view cmd, const ImapResponse& r) {
        // RFC 5530 §3: a message another session expunged may fail a FETCH or
        // STORE with NO [EXPUNGEISSUED]; that is a permitted race.
        if (r.status == "NO" && (cmd.starts_with("FETCH") || cmd == "STORE") &&
            r.text.starts_with("[EXPUNGEISSUED]")) {
            std::lock_guard lock(sh_.stats_mu);
            ++sh_.expungeissued;
            return;
        }
        if (!r.ok())
            throw ProtocolError(c.label() + ": " + std::string(cmd) + ": unexpected " + r.status + " " +
                                quote_bytes(r.status + " " + r.text));
    }

    static bool marked_deleted(Ledger& lg, std::uint32_t uid) {
        std::lock_guard lock(lg.mu);
        auto it = lg.msgs.find(uid);
        if (it != lg.msgs.end())
            return it->second.deleted_marked;
        auto e = lg.early.find(uid);
        return e != lg.early.end() && e->second.second;
    }

    // The FETCH lines of a reply that name `uid`, for an error message.
    static std::string raw_fetch(const ImapResponse& r, std::uint32_t uid) {
        std::string out;
        std::string needle = "UID " + std::to_string(uid);
        for (const auto& u : r.untagged) {
            std::size_t at = u.line.find(needle);
            if (at != std::string::npos &&
                (at + needle.size() == u.line.size() || u.line[at + needle.size()] == ' ' ||
                 u.line[at + needle.size()] == ')')) {
                if (!out.empty())
                    out += " | ";
                out += u.line;
            }
        }
        return out;
    }

    Snapshot snapshot(Ledger& lg) {
        std::lock_guard lock(lg.mu);
        return Snapshot{lg.appends_confirmed, lg.max_appended_uid};
    }

    // Checks every untagged response of a reply against the ledger; returns
    // the FETCH data by UID.
    std::map<std::uint32_t, FetchData> observe(const ImapClient& c, std::string_view cmd, Ledger& lg,
                                               const ImapResponse& r, const Snapshot& snap) {
        std::map<std::uint32_t, FetchData> out;
        std::uint32_t prev_seq = 0, prev_uid = 0;
        std::lock_guard lock(lg.mu);
        for (const auto& u : r.untagged) {
            if (auto n = parse_exists(u)) {
                std::uint64_t known = lg.setup_count + snap.confirmed;
                known = known > lg.deleted_marked ? known - lg.deleted_marked : 0;
                if (*n < known)
                    cross_check(c, cmd,
                                "EXISTS " + std::to_string(*n) + " below the " + std::to_string(known) +
                                    " messages known to exist",
                                u.line);
                std::uint64_t possible = lg.setup_count + lg.appends_started;
                if (*n > possible)
                    cross_check(c, cmd,
                                "EXISTS " + std::to_string(*n) + " above the " + std::to_string(possible) +
                                    " messages that can exist",
                                u.line);
                continue;
            }
            if (parse_expunge(u)) {
                prev_seq = 0; // sequence numbers shift: compare afresh
                continue;
            }
            auto f = parse_fetch(u);
            if (!f || !f->uid)
                continue; // an unsolicited FETCH without UID: nothing to check it against
            if (f->seq > prev_seq && prev_seq != 0 && *f->uid <= prev_uid)
                cross_check(c, cmd, "UIDs not ascending with sequence numbers (RFC 3501 §2.3.1.1)", u.line);
            if (f->seq > prev_seq) {
                prev_seq = f->seq;
                prev_uid = *f->uid;
            }
            auto it = lg.msgs.find(*f->uid);
            if (it == lg.msgs.end()) {
                if (*f->uid < lg.setup_uidnext)
                    cross_check(c, cmd,
                                "UID " + std::to_string(*f->uid) + " was not in the mailbox at the start (UIDNEXT " +
                                    std::to_string(lg.setup_uidnext) + ") and no client appended it",
                                u.line);
                if (lg.appends_in_flight == 0)
                    cross_check(c, cmd, "UID " + std::to_string(*f->uid) + " was never appended", u.line);
                if (lg.deferred.size() >= kMaxDeferred)
                    cross_check(c, cmd, "too many UIDs seen before their APPENDUID", u.line);
                lg.deferred.push_back(*f->uid);
            } else if (f->flags) {
                for (const auto& flag : *f->flags) {
                    std::uint64_t b = lg.bit(flag, false);
                    if (b && (it->second.allowed & b) != b)
                        cross_check(c, cmd,
                                    "flag " + flag + " on UID " + std::to_string(*f->uid) + " was never set",
                                    u.line);
                }
            }
            if (f->bodies.count("BODY[]") && it != lg.msgs.end()) {
                const std::string& body = f->bodies.at("BODY[]");
                const MsgEntry& m = it->second;
                // A message marked \Deleted may be expunged under this FETCH:
                // an empty (NIL) body is then no lie.
                bool gone = body.empty() && m.deleted_marked;
                if (!gone && (body.size() != m.size || (m.appended && fnv1a(body) != m.hash)))
                    cross_check(c, cmd,
                                "BODY[] of UID " + std::to_string(*f->uid) + " (" + std::to_string(body.size()) +
                                    " octets) is not the message " +
                                    (m.appended ? "appended (" : "found in setup (") + std::to_string(m.size) +
                                    " octets)",
                                u.line);
            }
            // RFC 3501 §7.4.2: one message's data may come in several FETCH
            // responses (an unsolicited flag update next to the requested
            // items): merged, the latest flags winning.
            auto [slot, inserted] = out.try_emplace(*f->uid, *f);
            if (!inserted) {
                FetchData& d = slot->second;
                if (f->flags)
                    d.flags = f->flags;
                d.bodies.merge(f->bodies);
                d.structures.merge(f->structures);
                if (f->rfc822_size)
                    d.rfc822_size = f->rfc822_size;
                if (f->modseq)
                    d.modseq = f->modseq;
            }
        }
        return out;
    }

    asio::awaitable<ImapResponse> timed(ImapClient& c, std::string_view name, std::string_view text) {
        auto start = Clock::now();
        ImapResponse r = co_await c.command(text);
        sh_.record(name, start);
        co_return r;
    }

    asio::awaitable<void> session(asio::any_io_executor ex, Ledger& lg) {
        const WorkloadOptions& o = *sh_.opts;
        ImapClient c(ex);
        c.set_label("client " + std::to_string(id_) + " (" + lg.user + ")");
        auto start = Clock::now();
        co_await c.connect(o.host, o.imap_port);
        sh_.record("CONNECT", start, false);

        const std::string password = password_of(lg.user);
        start = Clock::now();
        ImapResponse r = co_await c.login(lg.user, password);
        sh_.record("LOGIN", start);
        expect_ok(c, "LOGIN", r);

        Snapshot snap = snapshot(lg);
        r = co_await timed(c, "SELECT", "SELECT " + imap_string(o.mailbox));
        expect_ok(c, "SELECT", r);
        SelectData sd = parse_select(r);
        observe(c, "SELECT", lg, r, snap);
        if (!sd.uidvalidity || *sd.uidvalidity != lg.uidvalidity)
            cross_check(c, "SELECT",
                        "UIDVALIDITY " + (sd.uidvalidity ? std::to_string(*sd.uidvalidity) : std::string("missing")) +
                            ", was " + std::to_string(lg.uidvalidity));
        if (!sd.exists)
            cross_check(c, "SELECT", "no EXISTS (RFC 3501 §6.3.1)");
        if (sd.uidnext && (*sd.uidnext <= snap.max_appended_uid || *sd.uidnext < lg.setup_uidnext))
            cross_check(c, "SELECT",
                        "UIDNEXT " + std::to_string(*sd.uidnext) + " not above the appended UID " +
                            std::to_string(snap.max_appended_uid));

        // New messages since the account's last look (the first look: the
        // newest kFirstLook). "n:*" with n above every UID still returns the
        // last message (RFC 3501 §6.4.8), which is not new: filtered out.
        std::uint32_t since;
        {
            std::lock_guard lock(lg.mu);
            since = lg.last_look ? lg.last_look + 1
                                 : (lg.setup_uidnext > kFirstLook ? lg.setup_uidnext - kFirstLook : 1);
        }
        snap = snapshot(lg);
        r = co_await timed(c, "FETCH",
                           "UID FETCH " + std::to_string(since) + ":* (UID FLAGS " + kHeaderFields + ")");
        expect_ok(c, "FETCH", r);
        auto fetched = observe(c, "FETCH", lg, r, snap);
        std::vector<std::uint32_t> fresh;
        std::map<std::uint32_t, bool> flagged;
        for (const auto& [uid, fd] : fetched) {
            if (uid < since)
                continue;
            auto h = fd.bodies.find("BODY[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)]");
            if (h == fd.bodies.end()) {
                // Only a message marked \Deleted (expunged meanwhile) may
                // come without the requested items.
                if (!marked_deleted(lg, uid))
                    cross_check(c, "FETCH", "no BODY[HEADER.FIELDS ...] for UID " + std::to_string(uid),
                                raw_fetch(r, uid));
                continue;
            }
            if (!h->second.empty() && !h->second.ends_with("\r\n"))
                cross_check(c, "FETCH", "header fields of UID " + std::to_string(uid) + " not ending in CRLF",
                            h->second);
            fresh.push_back(uid);
            flagged[uid] = fd.has_flag("\\Flagged");
        }
        if (fresh.size() > kMaxNewPerLook)
            fresh.erase(fresh.begin(), fresh.end() - static_cast<std::ptrdiff_t>(kMaxNewPerLook));
        {
            std::lock_guard lock(lg.mu);
            if (!fresh.empty())
                lg.last_look = std::max(lg.last_look, fresh.back());
        }

        if (!fresh.empty()) {
            // Read up to two of them, then mark them read.
            std::vector<std::uint32_t> read = fresh;
            std::shuffle(read.begin(), read.end(), rng_);
            read.resize(std::min<std::size_t>(read.size(), 2));
            std::sort(read.begin(), read.end());
            std::string set = format_uid_set(read);
            snap = snapshot(lg);
            r = co_await timed(c, "FETCH_BODY", "UID FETCH " + set + " (UID BODY.PEEK[])");
            expect_ok(c, "FETCH_BODY", r);
            auto bodies = observe(c, "FETCH_BODY", lg, r, snap);
            for (const auto& [uid, fd] : bodies) {
                auto b = fd.bodies.find("BODY[]");
                if (b != fd.bodies.end()) {
                    std::lock_guard lock(sh_.stats_mu);
                    sh_.fetched_bytes += b->second.size();
                }
            }
            co_await store(c, lg, read, "+FLAGS", "\\Seen");

            // Toggle \Flagged on one.
            std::uniform_int_distribution<std::size_t> one(0, fresh.size() - 1);
            std::uint32_t uid = fresh[one(rng_)];
            co_await store(c, lg, std::vector<std::uint32_t>(1, uid), flagged[uid] ? "-FLAGS" : "+FLAGS", "\\Flagged");

            // Delete one and expunge it (UIDPLUS, RFC 4315 §2.1).
            std::uint32_t victim = fresh[one(rng_)];
            co_await store(c, lg, std::vector<std::uint32_t>(1, victim), "+FLAGS", "\\Deleted");
            snap = snapshot(lg);
            r = co_await timed(c, "EXPUNGE", "UID EXPUNGE " + std::to_string(victim));
            expect_ok(c, "EXPUNGE", r);
            observe(c, "EXPUNGE", lg, r, snap);
        }

        // Append a new message, \Seen one time in five (a sent copy).
        std::string msg = gen_.next();
        std::string flags = std::uniform_int_distribution<int>(0, 4)(rng_) == 0 ? "\\Seen" : "";
        std::uint64_t allowed = 0;
        {
            std::lock_guard lock(lg.mu);
            ++lg.appends_started;
            ++lg.appends_in_flight;
            if (!flags.empty())
                allowed = lg.bit(flags, true);
        }
        start = Clock::now();
        try {
            r = co_await c.append(o.mailbox, flags, "", msg);
        } catch (...) {
            std::lock_guard lock(lg.mu);
            --lg.appends_in_flight;
            throw;
        }
        sh_.record("APPEND", start);
        {
            // One critical section: no other client may find the in-flight
            // count dropped and the UID not yet in the ledger.
            std::lock_guard lock(lg.mu);
            --lg.appends_in_flight;
            expect_ok(c, "APPEND", r);
            auto au = parse_appenduid(r);
            if (!au)
                cross_check(c, "APPEND", "no APPENDUID (RFC 4315 §3)", r.text);
            if (au->uidvalidity != lg.uidvalidity)
                cross_check(c, "APPEND", "APPENDUID in UIDVALIDITY " + std::to_string(au->uidvalidity), r.text);
            if (au->uid < lg.setup_uidnext || lg.msgs.count(au->uid))
                cross_check(c, "APPEND", "APPENDUID " + std::to_string(au->uid) + " is not a new UID", r.text);
            MsgEntry& m = lg.msgs[au->uid];
            m.appended = true;
            m.allowed = allowed;
            m.size = msg.size();
            m.hash = fnv1a(msg);
            if (auto e = lg.early.find(au->uid); e != lg.early.end()) {
                m.allowed |= e->second.first;
                m.deleted_marked = e->second.second;
                lg.early.erase(e);
            }
            ++lg.appends_confirmed;
            lg.max_appended_uid = std::max(lg.max_appended_uid, au->uid);
        }
        {
            std::lock_guard lock(sh_.stats_mu);
            sh_.appended_bytes += msg.size();
        }

        start = Clock::now();
        r = co_await c.logout();
        sh_.record("LOGOUT", start);
        expect_ok(c, "LOGOUT", r);
        std::lock_guard lock(sh_.stats_mu);
        ++sh_.sessions;
    }

    asio::awaitable<void> store(ImapClient& c, Ledger& lg, std::vector<std::uint32_t> uids, std::string_view op,
                                std::string_view flag) {
        bool adds = op == "+FLAGS";
        std::uint64_t b;
        {
            // The ledger learns of a flag before the server does: another
            // client may see it as soon as the server has it.
            std::lock_guard lock(lg.mu);
            b = lg.bit(flag, true);
            for (std::uint32_t uid : uids) {
                bool deleted = adds && iequals(flag, "\\Deleted");
                auto it = lg.msgs.find(uid);
                if (it == lg.msgs.end()) {
                    // Seen before its APPENDUID was read: kept for the entry.
                    if (lg.early.size() >= kMaxDeferred)
                        cross_check(c, "STORE", "too many UIDs seen before their APPENDUID");
                    auto& e = lg.early[uid];
                    if (adds)
                        e.first |= b;
                    if (deleted && !e.second) {
                        e.second = true;
                        ++lg.deleted_marked;
                    }
                    continue;
                }
                if (adds)
                    it->second.allowed |= b;
                if (deleted && !it->second.deleted_marked) {
                    it->second.deleted_marked = true;
                    ++lg.deleted_marked;
                }
            }
        }
        Snapshot snap = snapshot(lg);
        ImapResponse r = co_await timed(c, "STORE",
                                        "UID STORE " + format_uid_set(uids) + " " + std::string(op) + " (" +
                                            std::string(flag) + ")");
        expect_ok(c, "STORE", r);
        auto seen = observe(c, "STORE", lg, r, snap);
        // No client ever removes \Seen or \Deleted: once stored, the reply's
        // FETCH must show it (a message expunged meanwhile has no FETCH).
        if (adds && (iequals(flag, "\\Seen") || iequals(flag, "\\Deleted"))) {
            for (std::uint32_t uid : uids) {
                auto it = seen.find(uid);
                if (it != seen.end() && it->second.flags && !it->second.has_flag(flag))
                    cross_check(c, "STORE", "UID " + std::to_string(uid) + " lacks " + std::string(flag) +
                                                " right after STORE +FLAGS");
            }
        }
    }

    std::string password_of(const std::string& user) const {
        for (const auto& u : sh_.opts->users)
            if (u.user == user)
                return u.password;
        return {};
    }

    Shared& sh_;
    unsigned id_;
    std::mt19937_64 rng_;
    corpus::Generator gen_;
};

// The unmeasured setup pass over one account: the ledger's starting point.
asio::awaitable<void> setup_account(const WorkloadOptions& o, Ledger& lg, const std::string& password,
                                    Shared& sh) {
    auto ex = co_await asio::this_coro::executor;
    try {
        ImapClient c(ex);
        c.set_label("setup (" + lg.user + ")");
        co_await c.connect(o.host, o.imap_port);
        ImapResponse r = co_await c.login(lg.user, password);
        if (!r.ok())
            throw ProtocolError(c.label() + ": LOGIN: " + quote_bytes(r.status + " " + r.text));
        r = co_await c.command("SELECT " + imap_string(o.mailbox));
        if (!r.ok())
            throw ProtocolError(c.label() + ": SELECT: " + quote_bytes(r.status + " " + r.text));
        SelectData sd = parse_select(r);
        if (!sd.uidvalidity || !sd.uidnext || !sd.exists)
            throw ProtocolError(c.label() + ": SELECT without UIDVALIDITY, UIDNEXT or EXISTS");
        if (!c.has_capability("UIDPLUS"))
            throw ProtocolError(c.label() + ": the server lacks UIDPLUS (RFC 4315), which mixed needs");
        std::map<std::uint32_t, std::pair<std::vector<std::string>, std::uint64_t>> found;
        if (*sd.exists > 0) {
            r = co_await c.command("UID FETCH 1:* (UID FLAGS RFC822.SIZE)");
            if (!r.ok())
                throw ProtocolError(c.label() + ": UID FETCH: " + quote_bytes(r.status + " " + r.text));
            for (const auto& u : r.untagged) {
                auto f = parse_fetch(u);
                if (!f)
                    continue;
                if (!f->uid || !f->flags || !f->rfc822_size || *f->uid >= *sd.uidnext)
                    throw ProtocolError(c.label() + ": UID FETCH 1:*: " + quote_bytes(u.line));
                found[*f->uid] = {std::move(*f->flags), *f->rfc822_size};
            }
            if (found.size() != *sd.exists)
                throw ProtocolError(c.label() + ": UID FETCH 1:* returned " + std::to_string(found.size()) +
                                    " messages, EXISTS said " + std::to_string(*sd.exists));
        }
        {
            std::lock_guard lock(lg.mu);
            lg.uidvalidity = *sd.uidvalidity;
            lg.setup_uidnext = *sd.uidnext;
            lg.setup_count = *sd.exists;
            for (auto& [uid, fs] : found) {
                MsgEntry& m = lg.msgs[uid];
                for (const auto& flag : fs.first)
                    m.allowed |= lg.bit(flag, true);
                m.size = fs.second;
            }
        }
        co_await c.logout();
    } catch (const std::exception& e) {
        sh.error(e.what());
    }
}

WorkloadResult run_mixed(const WorkloadOptions& o) {
    WorkloadResult res;
    res.workload = "mixed";
    if (o.users.empty())
        throw std::runtime_error("mixed needs --users-file");
    unsigned clients = o.clients ? o.clients : kDefaultClients;
    Shared sh;
    sh.opts = &o;
    for (const auto& u : o.users) {
        sh.ledgers.push_back(std::make_unique<Ledger>());
        sh.ledgers.back()->user = u.user;
    }

    // Setup: every account, at most 16 at a time.
    {
        asio::io_context io;
        std::atomic<std::size_t> next{0};
        for (int w = 0; w < 16; ++w) {
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                for (std::size_t i = next++; i < o.users.size(); i = next++)
                    co_await setup_account(o, *sh.ledgers[i], o.users[i].password, sh);
            }, asio::detached);
        }
        io.run();
    }
    if (sh.errors) {
        res.errors = sh.errors;
        return res;
    }

    asio::io_context io;
    std::vector<std::unique_ptr<Client>> cs;
    auto started = Clock::now();
    sh.deadline = started + std::chrono::microseconds(static_cast<std::int64_t>(o.duration_s * 1e6));
    for (unsigned i = 0; i < clients; ++i) {
        cs.push_back(std::make_unique<Client>(sh, i, o.seed * 1'000'003 + i));
        asio::co_spawn(io, cs.back()->run(), asio::detached);
    }
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, o.threads); ++t)
        threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads)
        t.join();
    auto ended = Clock::now();

    // UIDs seen before their APPENDUID: every one must have been appended.
    for (auto& lg : sh.ledgers) {
        for (std::uint32_t uid : lg->deferred) {
            if (!lg->msgs.count(uid)) {
                sh.error(lg->user + ": cross-check failed: UID " + std::to_string(uid) +
                         " was listed by the server but no APPEND returned it");
                break;
            }
        }
    }

    res.duration_s = std::chrono::duration<double>(ended - started).count();
    res.ops = sh.ops;
    res.errors = sh.errors;
    res.commands = std::move(sh.latencies);
    res.set_extra("clients", clients);
    res.set_extra("accounts", static_cast<std::uint64_t>(o.users.size()));
    res.set_extra("sessions", sh.sessions);
    res.set_extra("sessions_per_s", res.duration_s > 0 ? static_cast<double>(sh.sessions) / res.duration_s : 0.0);
    res.set_extra("appended_bytes", sh.appended_bytes);
    res.set_extra("fetched_body_bytes", sh.fetched_bytes);
    res.set_extra("expungeissued", sh.expungeissued);
    return res;
}

const bool registered = register_workload(
    "mixed", "webmail-like sessions over the accounts, cross-checked (--clients, default 50)", run_mixed);

} // namespace
} // namespace loadgen
