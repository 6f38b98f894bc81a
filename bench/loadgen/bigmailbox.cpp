// The `bigmailbox` workload: the big-mailbox operations of issue 9, each
// timed on one connection, --repeat times (default 3), on the first account
// of --users-file and its --mailbox (INBOX), a Maildir written by
// loft-bench-corpus (bench/corpus) so the search terms below exist:
//
//   SELECT               SELECT mailbox (from another mailbox selected, but the first time)
//   FETCH_UID_FLAGS      FETCH 1:* (UID FLAGS)
//   FETCH_ENVELOPE       FETCH 1:* (ENVELOPE)
//   FETCH_BODYSTRUCTURE  FETCH 1:* (BODYSTRUCTURE)
//   SEARCH_FROM          UID SEARCH FROM "carol"        (corpus::kFromTerm)
//   SEARCH_SUBJECT       UID SEARCH SUBJECT "quarterly" (corpus::kSubjectTerm)
//   SEARCH_BODY          UID SEARCH BODY "zanzibar"     (corpus::kBodyNeedle)
//   SORT_DATE            UID SORT (DATE) US-ASCII ALL
//   THREAD_REFERENCES    UID THREAD REFERENCES US-ASCII ALL
//   STATUS               STATUS mailbox (MESSAGES UNSEEN UIDNEXT), another mailbox
//                        ("bench-status", created if missing) selected
//
// Each time is from sending the command to reading its tagged OK, the whole
// answer read. Every answer is checked: each FETCH returns exactly one
// response per message with distinct UIDs (the same UIDs every time), the
// searches find something and the same every time, SORT is a permutation of
// all UIDs, THREAD holds every UID once, STATUS agrees with SELECT and the
// flags fetched. Any failed check or NO/BAD is an error and ends the run.
//
// "extra": messages, repeat; "hashes": per operation the 64-bit FNV-1a (hex)
// of a canonical text of its answer, so two servers' answers can be
// compared: SELECT "EXISTS UIDVALIDITY"; FETCH_UID_FLAGS a line "uid flag
// flag" per message in sequence order, flags sorted, \Recent left out;
// FETCH_ENVELOPE / _BODYSTRUCTURE the item's text per message, a line each;
// SEARCH_* the UIDs ascending and SORT_DATE the UIDs in order, separated by
// one space; THREAD_REFERENCES the response after "* THREAD "; STATUS
// "MESSAGES UNSEEN UIDNEXT". "counts": per operation the number of messages,
// UIDs found or thread roots.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "core/imap_client.hpp"
#include "core/imap_parse.hpp"
#include "corpus/generator.hpp"
#include "workload.hpp"

namespace loadgen {
namespace {

constexpr unsigned kDefaultRepeat = 3;
constexpr const char* kOtherMailbox = "bench-status";

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Canonical text of a UID list: the numbers in order, space-separated.
std::string uid_text(const std::vector<std::uint32_t>& uids) {
    std::string s;
    s.reserve(uids.size() * 7);
    for (std::size_t i = 0; i < uids.size(); ++i) {
        if (i)
            s += ' ';
        s += std::to_string(uids[i]);
    }
    return s;
}

struct BigState {
    ImapClient* client = nullptr;
    std::string mailbox;
    LatencyRecorder latencies;
    std::uint64_t ops = 0;
    std::uint64_t errors = 0;
    // What the first run found; later runs must find the same.
    std::uint32_t exists = 0;
    std::optional<std::uint32_t> uidvalidity;
    std::vector<std::uint32_t> uids;  // by sequence number
    std::uint64_t unseen = 0;
    std::map<std::string, std::string> canonical;  // operation -> canonical answer text of the first run
    std::map<std::string, std::size_t> counts;     // operation -> result size
};

[[noreturn]] void fail(const BigState& st, const std::string& op, const std::string& what) {
    throw ProtocolError(st.client->label() + ": " + op + ": " + what);
}

// Runs and times one command; a NO/BAD is an error.
asio::awaitable<ImapResponse> timed(BigState& st, const std::string& op, const std::string& command) {
    const auto t0 = Clock::now();
    ImapResponse r = co_await st.client->command(command);
    const auto t1 = Clock::now();
    if (!r.ok())
        fail(st, op, command + ": unexpected " + quote_bytes(r.status + " " + r.text));
    st.latencies.record(op, t0, t1);
    ++st.ops;
    co_return r;
}

// The same answer as the first run, else an error.
void same_as_first(BigState& st, const std::string& op, std::string text, std::size_t count) {
    auto [it, first] = st.canonical.try_emplace(op, std::move(text));
    if (first) {
        st.counts[op] = count;
        return;
    }
    if (it->second != text)
        fail(st, op, "a different answer than the first run (hash " + hex64(fnv1a(text)) + " instead of " +
                         hex64(fnv1a(it->second)) + ")");
}

asio::awaitable<void> op_select(BigState& st) {
    ImapResponse r = co_await timed(st, "SELECT", "SELECT " + imap_string(st.mailbox));
    SelectData sel = parse_select(r);
    if (!sel.exists || *sel.exists == 0)
        fail(st, "SELECT", "no messages in " + st.mailbox + " (EXISTS " + std::to_string(sel.exists.value_or(0)) + ")");
    if (!sel.uidvalidity)
        fail(st, "SELECT", "no UIDVALIDITY");
    if (st.uidvalidity && (*st.uidvalidity != *sel.uidvalidity || st.exists != *sel.exists))
        fail(st, "SELECT", "EXISTS " + std::to_string(*sel.exists) + " UIDVALIDITY " + std::to_string(*sel.uidvalidity) +
                               " after EXISTS " + std::to_string(st.exists) + " UIDVALIDITY " +
                               std::to_string(*st.uidvalidity));
    st.exists = *sel.exists;
    st.uidvalidity = sel.uidvalidity;
    same_as_first(st, "SELECT", std::to_string(st.exists) + " " + std::to_string(*st.uidvalidity), st.exists);
}

// FETCH 1:* (...): exactly one response per message, in sequence order
// 1..EXISTS, each with the UID of that sequence number.
asio::awaitable<void> op_fetch(BigState& st, const std::string& op, const std::string& items,
                               const std::string& structure) {
    ImapResponse r = co_await timed(st, op, "FETCH 1:* (" + items + ")");
    std::vector<std::optional<FetchData>> by_seq(st.exists + 1);
    std::size_t fetches = 0;
    for (const auto& u : r.untagged) {
        auto f = parse_fetch(u);
        if (!f)
            continue;  // e.g. "* n EXISTS" would be an error below (count)
        ++fetches;
        if (f->seq == 0 || f->seq > st.exists)
            fail(st, op, "FETCH for sequence number " + std::to_string(f->seq) + " of " + std::to_string(st.exists));
        if (by_seq[f->seq])
            fail(st, op, "two FETCH responses for sequence number " + std::to_string(f->seq));
        by_seq[f->seq] = std::move(f);
    }
    if (fetches != st.exists)
        fail(st, op, std::to_string(fetches) + " FETCH responses for " + std::to_string(st.exists) + " messages");
    std::string text;
    if (op == "FETCH_UID_FLAGS") {
        std::vector<std::uint32_t> uids;
        std::set<std::uint32_t> distinct;
        std::uint64_t unseen = 0;
        for (std::uint32_t seq = 1; seq <= st.exists; ++seq) {
            const FetchData& f = *by_seq[seq];
            if (!f.uid || !f.flags)
                fail(st, op, "sequence number " + std::to_string(seq) + " without UID or FLAGS");
            if (!uids.empty() && *f.uid <= uids.back())
                fail(st, op, "UID " + std::to_string(*f.uid) + " at sequence number " + std::to_string(seq) +
                                 " after UID " + std::to_string(uids.back()) + " (RFC 3501 §2.3.1.1)");
            uids.push_back(*f.uid);
            distinct.insert(*f.uid);
            // Canonical: "uid flag flag\n" with the flags sorted and \Recent
            // left out (which session gets it differs between servers).
            std::vector<std::string> flags;
            for (const auto& fl : *f.flags)
                if (fl != "\\Recent")
                    flags.push_back(fl);
            std::sort(flags.begin(), flags.end());
            text += std::to_string(*f.uid);
            for (const auto& fl : flags)
                text += " " + fl;
            text += '\n';
            unseen += !f.has_flag("\\Seen");
        }
        if (distinct.size() != st.exists)
            fail(st, op, std::to_string(distinct.size()) + " distinct UIDs for " + std::to_string(st.exists) + " messages");
        if (!st.uids.empty() && st.uids != uids)
            fail(st, op, "other UIDs than the first run");
        st.uids = std::move(uids);
        st.unseen = unseen;
    } else {
        for (std::uint32_t seq = 1; seq <= st.exists; ++seq) {
            const FetchData& f = *by_seq[seq];
            auto it = f.structures.find(structure);
            if (it == f.structures.end())
                fail(st, op, "sequence number " + std::to_string(seq) + " without " + structure);
            text += it->second;
            text += '\n';
        }
    }
    same_as_first(st, op, std::move(text), st.exists);
}

asio::awaitable<std::vector<std::uint32_t>> op_search(BigState& st, const std::string& op, const std::string& command,
                                                      bool sort) {
    ImapResponse r = co_await timed(st, op, command);
    std::optional<std::vector<std::uint32_t>> found;
    for (const auto& u : r.untagged) {
        const bool is_sort = u.line.starts_with("* SORT");
        if (!u.line.starts_with(sort ? "* SORT" : "* SEARCH") || (!sort && is_sort))
            continue;
        if (found)
            fail(st, op, "two result responses");
        found = parse_search(u);
    }
    if (!found)
        fail(st, op, "no " + std::string(sort ? "SORT" : "SEARCH") + " response");
    std::vector<std::uint32_t> uids = std::move(*found);
    if (uids.empty())
        fail(st, op, "found nothing; the corpus guarantees matches (is the mailbox from loft-bench-corpus?)");
    std::set<std::uint32_t> distinct(uids.begin(), uids.end());
    if (distinct.size() != uids.size())
        fail(st, op, "a UID twice");
    for (std::uint32_t uid : uids)
        if (!std::binary_search(st.uids.begin(), st.uids.end(), uid))
            fail(st, op, "UID " + std::to_string(uid) + " is not in the mailbox");
    if (sort && uids.size() != st.uids.size())
        fail(st, op, std::to_string(uids.size()) + " UIDs sorted of " + std::to_string(st.uids.size()));
    if (!sort && !std::is_sorted(uids.begin(), uids.end())) {
        // SEARCH may answer in any order (RFC 3501 §7.2.5); compare sorted.
        std::sort(uids.begin(), uids.end());
    }
    same_as_first(st, op, uid_text(uids), uids.size());
    co_return uids;
}

asio::awaitable<void> op_thread(BigState& st) {
    const std::string op = "THREAD_REFERENCES";
    ImapResponse r = co_await timed(st, op, "UID THREAD REFERENCES US-ASCII ALL");
    const ImapUntagged* thread = nullptr;
    for (const auto& u : r.untagged)
        if (u.line.starts_with("* THREAD")) {
            if (thread)
                fail(st, op, "two THREAD responses");
            thread = &u;
        }
    if (!thread)
        fail(st, op, "no THREAD response");
    // RFC 5256 §4: nested parenthesised lists of numbers; every UID once.
    std::string_view s = std::string_view(thread->line).substr(8);
    std::vector<std::uint32_t> uids;
    int depth = 0, roots = 0;
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (c == '(') {
            roots += depth == 0;
            ++depth;
            ++i;
        } else if (c == ')') {
            if (--depth < 0)
                fail(st, op, "unbalanced parentheses in " + quote_bytes(thread->line));
            ++i;
        } else if (c == ' ') {
            ++i;
        } else if (c >= '0' && c <= '9') {
            std::uint64_t n = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 0x100000000ull)
                n = n * 10 + static_cast<unsigned>(s[i++] - '0');
            if (depth == 0 || n == 0 || n > 0xffffffffull)
                fail(st, op, "malformed THREAD response " + quote_bytes(thread->line));
            uids.push_back(static_cast<std::uint32_t>(n));
        } else {
            fail(st, op, "malformed THREAD response " + quote_bytes(thread->line));
        }
    }
    if (depth != 0)
        fail(st, op, "unbalanced parentheses in " + quote_bytes(thread->line));
    std::vector<std::uint32_t> sorted = uids;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != st.uids)
        fail(st, op, "the threads hold " + std::to_string(uids.size()) + " UIDs, not each of the " +
                         std::to_string(st.uids.size()) + " once");
    same_as_first(st, op, std::string(s), static_cast<std::size_t>(roots));
}

asio::awaitable<void> op_status(BigState& st) {
    const std::string op = "STATUS";
    ImapResponse sel = co_await st.client->command(std::string("SELECT ") + kOtherMailbox);
    if (!sel.ok())
        fail(st, op, std::string("SELECT ") + kOtherMailbox + ": unexpected " + quote_bytes(sel.status + " " + sel.text));
    ImapResponse r = co_await timed(st, op, "STATUS " + imap_string(st.mailbox) + " (MESSAGES UNSEEN UIDNEXT)");
    std::optional<StatusData> status;
    for (const auto& u : r.untagged)
        if (auto s = parse_status(u))
            status = std::move(s);
    if (!status)
        fail(st, op, "no STATUS response");
    const auto& it = status->items;
    if (!it.count("MESSAGES") || !it.count("UNSEEN") || !it.count("UIDNEXT"))
        fail(st, op, "STATUS without MESSAGES, UNSEEN or UIDNEXT");
    if (it.at("MESSAGES") != st.exists || it.at("UNSEEN") != st.unseen || it.at("UIDNEXT") <= st.uids.back())
        fail(st, op, "MESSAGES " + std::to_string(it.at("MESSAGES")) + " UNSEEN " + std::to_string(it.at("UNSEEN")) +
                         " UIDNEXT " + std::to_string(it.at("UIDNEXT")) + ", but SELECT found " +
                         std::to_string(st.exists) + " messages, FETCH " + std::to_string(st.unseen) +
                         " without \\Seen and UIDs up to " + std::to_string(st.uids.back()));
    same_as_first(st, op,
                  std::to_string(it.at("MESSAGES")) + " " + std::to_string(it.at("UNSEEN")) + " " +
                      std::to_string(it.at("UIDNEXT")),
                  1);
}

asio::awaitable<void> run_all(BigState& st, const WorkloadOptions& o, unsigned repeat) {
    auto ex = co_await asio::this_coro::executor;
    // A cold SEARCH BODY reads every message file; a server need not say
    // anything until it is done, so a read may wait long.
    ImapLimits limits;
    limits.timeout = std::chrono::minutes(10);
    // "* SORT" and "* THREAD" list every UID on one line: 700 KB for
    // 100,000 messages.
    limits.max_line = 32 * 1024 * 1024;
    ImapClient client(ex, limits);
    st.client = &client;
    const UserAccount& acct = o.users.front();
    client.set_label("bigmailbox (" + acct.user + ")");
    co_await client.connect(o.host, o.imap_port);
    ImapResponse r = co_await client.login(acct.user, acct.password);
    if (!r.ok())
        fail(st, "LOGIN", "unexpected " + quote_bytes(r.status + " " + r.text));
    // The other mailbox STATUS runs from; NO when it exists already.
    r = co_await client.command(std::string("CREATE ") + kOtherMailbox);
    for (unsigned i = 0; i < repeat; ++i) {
        co_await op_select(st);
        co_await op_fetch(st, "FETCH_UID_FLAGS", "UID FLAGS", "");
        co_await op_fetch(st, "FETCH_ENVELOPE", "ENVELOPE", "ENVELOPE");
        co_await op_fetch(st, "FETCH_BODYSTRUCTURE", "BODYSTRUCTURE", "BODYSTRUCTURE");
        co_await op_search(st, "SEARCH_FROM", "UID SEARCH FROM " + imap_string(corpus::kFromTerm), false);
        co_await op_search(st, "SEARCH_SUBJECT", "UID SEARCH SUBJECT " + imap_string(corpus::kSubjectTerm), false);
        co_await op_search(st, "SEARCH_BODY", "UID SEARCH BODY " + imap_string(corpus::kBodyNeedle), false);
        co_await op_search(st, "SORT_DATE", "UID SORT (DATE) US-ASCII ALL", true);
        co_await op_thread(st);
        co_await op_status(st);
        if (o.verbose)
            std::fprintf(stderr, "bigmailbox: run %u of %u done\n", i + 1, repeat);
    }
    r = co_await client.logout();
    if (!r.ok())
        fail(st, "LOGOUT", "unexpected " + quote_bytes(r.status + " " + r.text));
}

WorkloadResult run_bigmailbox(const WorkloadOptions& o) {
    if (o.users.empty())
        throw std::runtime_error("bigmailbox needs --users-file (its first account is used)");
    const unsigned repeat = o.repeat ? o.repeat : kDefaultRepeat;
    BigState st;
    st.mailbox = o.mailbox;
    asio::io_context io;
    std::exception_ptr failure;
    const auto started = Clock::now();
    asio::co_spawn(io, run_all(st, o, repeat), [&](std::exception_ptr e) { failure = e; });
    io.run();
    WorkloadResult res;
    res.workload = "bigmailbox";
    res.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "loft-loadgen bigmailbox: %s\n", e.what());
            ++st.errors;
        }
    }
    res.ops = st.ops;
    res.errors = st.errors;
    res.commands = std::move(st.latencies);
    res.set_extra("messages", st.exists);
    res.set_extra("repeat", repeat);
    std::string hashes = "{", counts = "{";
    for (const auto& [op, text] : st.canonical) {
        if (hashes.size() > 1) {
            hashes += ", ";
            counts += ", ";
        }
        hashes += "\"" + op + "\": \"" + hex64(fnv1a(text)) + "\"";
        counts += "\"" + op + "\": " + std::to_string(st.counts[op]);
    }
    res.set_extra_json("hashes", hashes + "}");
    res.set_extra_json("counts", counts + "}");
    return res;
}

const bool registered = register_workload(
    "bigmailbox",
    "the big-mailbox operations (SELECT, FETCH 1:* flags/envelope/bodystructure, SEARCH, SORT, THREAD, STATUS), "
    "each timed --repeat times (default 3) on the first account's --mailbox, answers checked and hashed",
    run_bigmailbox);

} // namespace
} // namespace loadgen
