// Several MailIndex objects (as several processes) and threads on one index.
#include "index_test_util.hpp"

#include <atomic>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace index_test;
using loft_test::TempDir;

namespace {
// Appends one message above the current last uid, under the lock.
Status append_next(WriteContext& ctx) {
    const auto& st = ctx.current();
    Uid next = st.header().next_uid;
    return ctx.append(rec(next));
}

// Every uid unique and ascending, every record's modseq at most the highest.
void check_consistent(const IndexState& st) {
    Uid last = 0;
    for (std::uint32_t i = 0; i < st.count(); ++i) {
        CHECK(st.at(i).uid > last);
        CHECK(st.at(i).modseq <= st.header().highest_modseq);
        last = st.at(i).uid;
    }
}
} // namespace

TEST_CASE("two index objects see each other's commits through refresh") {
    TempDir dir("idx");
    auto a = open_index(dir.str());
    auto b = open_index(dir.str());
    append_range(*a, 1, 3);
    CHECK(b->state()->count() == 0); // no I/O until refresh
    auto r = b->refresh();
    REQUIRE(r.is_ok());
    CHECK(uids(**r) == std::vector<Uid>{1, 2, 3});
    CHECK((*r)->header().highest_modseq == a->state()->header().highest_modseq);
    std::string stamp = change_stamp(dir.str());
    REQUIRE(b->commit([&](WriteContext& ctx) {
        auto kw = ctx.keyword_id("seen-by-b");
        return ctx.set_flags(2, storage::flag_seen, {kw});
    }).is_ok());
    CHECK(change_stamp(dir.str()) != stamp);
    r = a->refresh();
    REQUIRE(r.is_ok());
    const auto& st = **r;
    CHECK(st.header().keywords == std::vector<std::string>{"seen-by-b"});
    CHECK(st.at(1).flags == storage::flag_seen);
    CHECK(st.keyword_ids(st.at(1)) == std::vector<std::uint32_t>{0});
    // A commit through a refreshes first: it sees b's changes.
    REQUIRE(a->commit([&](WriteContext& ctx) {
        CHECK(ctx.current().at(1).flags == storage::flag_seen);
        return ctx.expunge(1);
    }).is_ok());
    CHECK(uids(**b->refresh()) == std::vector<Uid>{2, 3});
}

TEST_CASE("threads of one process and two objects: no lost update") {
    TempDir dir("idx");
    auto a = open_index(dir.str(), 4096); // small: rotations happen during the run
    auto b = open_index(dir.str(), 4096);
    constexpr int per_thread = 100;
    std::vector<std::thread> threads;
    std::vector<std::vector<ModSeq>> seen(4);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            MailIndex& idx = t % 2 ? *a : *b;
            for (int i = 0; i < per_thread; ++i) {
                auto r = idx.commit(append_next);
                if (!r.is_ok()) {
                    seen[t].push_back(0);
                    continue;
                }
                seen[t].push_back(r->modseq);
            }
        });
    for (auto& t : threads)
        t.join();
    std::set<ModSeq> all;
    for (auto& v : seen) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            CHECK(v[i] != 0);
            if (i > 0)
                CHECK(v[i] > v[i - 1]);
            all.insert(v[i]);
        }
    }
    CHECK(all.size() == 4 * per_thread); // no modseq used twice
    auto st = *a->refresh();
    CHECK(st->count() == 4 * per_thread);
    check_consistent(*st);
    auto st2 = *b->refresh();
    CHECK(uids(*st2) == uids(*st));
    auto fresh = open_index(dir.str());
    CHECK(uids(*fresh->state()) == uids(*st));
}

TEST_CASE("forked processes committing at once: no lost update, no duplicate uid") {
    TempDir dir("idx");
    {
        auto init = open_index(dir.str());
    }
    constexpr int children = 4;
    constexpr int per_child = 60;
    std::vector<pid_t> pids;
    for (int c = 0; c < children; ++c) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // Child: no doctest assertions, exit code tells the result.
            IndexOptions o;
            o.dir = dir.str();
            o.fsync = FsyncMode::never;
            o.log_rotate_size = 8192;
            auto idx = MailIndex::open(o);
            if (!idx)
                ::_exit(2);
            ModSeq last = 0;
            for (int i = 0; i < per_child; ++i) {
                auto r = (*idx)->commit([&](WriteContext& ctx) {
                    if (auto s = append_next(ctx); !s)
                        return s;
                    // Also flag the previous message (when there is one).
                    const auto& st = ctx.current();
                    if (st.count() >= 2)
                        return ctx.set_flags(st.at(st.count() - 2).uid, storage::flag_seen, {});
                    return Status::ok();
                });
                if (!r || r->modseq <= last)
                    ::_exit(3);
                last = r->modseq;
            }
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    auto idx = open_index(dir.str());
    auto st = idx->state();
    CHECK(st->count() == children * per_child);
    check_consistent(*st);
    CHECK(st->at(st->count() - 1).uid == children * per_child);
    CHECK(st->header().next_uid == children * per_child + 1);
    for (std::uint32_t i = 0; i + 1 < st->count(); ++i)
        CHECK(st->at(i).flags == storage::flag_seen);
}

TEST_CASE("a commit waits for the lock, then times out with temporary_failure") {
    TempDir dir("idx");
    IndexOptions o;
    o.dir = dir.str();
    o.fsync = FsyncMode::never;
    o.lock_timeout = std::chrono::milliseconds(50);
    auto a = *MailIndex::open(o);
    auto b = *MailIndex::open(o);
    auto r = a->commit([&](WriteContext& ctx) {
        // b cannot get the lock while a holds it.
        auto inner = b->commit([](WriteContext& c) { return c.append(rec(1)); });
        CHECK(inner.status().code() == Status::Code::temporary_failure);
        CHECK(inner.status().message().find("loft.index.log") != std::string::npos);
        return ctx.append(rec(2));
    });
    REQUIRE(r.is_ok());
    CHECK(uids(**b->refresh()) == std::vector<Uid>{2});
}

// Several sessions opening a mailbox that has no index yet (the first
// deliveries to a new user, IDLE clients of a new folder): one creates the
// log, the others open it before its cache exists and rotate it to get one.
// The creator's empty cache must not replace theirs (it would match no log:
// "cache id does not match the index"), and no writer may fail.
TEST_CASE("first opens of a new index at once: no cache mismatch, no failed commit") {
    TempDir logs("idxlog");
    LogCapture capture(logs);
    for (int round = 0; round < 30; ++round) {
        TempDir dir("idx");
        constexpr int n = 6;
        std::vector<std::thread> threads;
        std::vector<std::string> errors(n);
        std::atomic<int> ready{0};
        for (int t = 0; t < n; ++t)
            threads.emplace_back([&, t] {
                ready.fetch_add(1);
                while (ready.load() < n)
                    std::this_thread::yield();
                IndexOptions o;
                o.dir = dir.str();
                // With syncs the creator's window between linking the log and
                // writing the cache is wide enough for the others to hit it.
                o.fsync = FsyncMode::optimized;
                o.lock_timeout = std::chrono::milliseconds(20000);
                auto idx = MailIndex::open(o);
                if (!idx.is_ok()) {
                    errors[t] = idx.status().message();
                    return;
                }
                Uid uid = 0;
                auto r = (*idx)->commit([&](WriteContext& ctx) {
                    uid = ctx.current().header().next_uid;
                    if (auto s = ctx.append(rec(uid)); !s)
                        return s;
                    return ctx.cache_add(uid, "envelope", "thread " + std::to_string(t));
                });
                if (!r.is_ok())
                    errors[t] = r.status().message();
            });
        for (auto& t : threads)
            t.join();
        for (const auto& e : errors)
            CHECK_MESSAGE(e.empty(), e);
        auto st = *open_index(dir.str())->refresh();
        CHECK(st->count() == n);
        check_consistent(*st);
    }
    std::string text = capture.text();
    CHECK_MESSAGE(text.find("corrupt") == std::string::npos, text);
    CHECK_MESSAGE(text.find("cannot") == std::string::npos, text);
}
