// Group commit (storage/save_group.hpp): save-only transactions that wait
// for one mailbox's index are committed together. The test holds the
// index's mutex so that every committer is queued before the first one can
// lead: the grouping is then certain, not a matter of thread timing.
#include "conformance.hpp"

#include "storage/mailbox_impl.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

using namespace loft_test;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// base name -> how many dovecot-uidlist lines name it, and the UIDs seen.
struct UidlistLines {
    std::map<std::string, int> bases;
    std::vector<Uid> uids;
};

UidlistLines uidlist_lines(StorageFixture& f) {
    UidlistLines out;
    std::istringstream in(read_text(f.dir.str() + "/Maildir/dovecot-uidlist"));
    std::string line;
    std::getline(in, line); // the header
    while (std::getline(in, line)) {
        auto colon = line.find(" :");
        REQUIRE_MESSAGE(colon != std::string::npos, line);
        out.uids.push_back(Uid(std::stoul(line.substr(0, line.find(' ')))));
        ++out.bases[line.substr(colon + 2)];
    }
    return out;
}

// Save-only sessions on INBOX, each with one prepared, uncommitted save.
struct PreparedSaves {
    std::vector<Mailbox> boxes;
    std::vector<Transaction> ts;

    SaveGroupQueue& queue() { return boxes[0].impl().index->save_group; }
    // Ends the sessions (after their commits), so that a new one syncs.
    void close() {
        boxes.clear();
        ts.clear();
    }
};

// n sessions saving messages first..first+n-1.
PreparedSaves prepare(StorageFixture& f, std::size_t n, int first) {
    PreparedSaves p;
    for (std::size_t i = 0; i < n; ++i) {
        p.boxes.push_back(f.open("INBOX", OpenOptions{.save_only = true}));
        p.ts.push_back(p.boxes.back().begin());
        REQUIRE(p.ts.back().save(message_request(test_message(first + int(i)))).is_ok());
    }
    return p;
}

// Commits each prepared save from its own thread while the index mutex is
// held, releases it once all are queued, and returns the results.
std::vector<Result<CommitResult>> commit_queued(PreparedSaves& p) {
    std::vector<Transaction>& ts = p.ts;
    SharedIndex& shared = *p.boxes[0].impl().index;
    std::vector<Result<CommitResult>> results(ts.size(), Status::invalid("not run"));
    std::vector<std::thread> threads;
    {
        std::unique_lock hold(shared.mutex);
        for (std::size_t i = 0; i < ts.size(); ++i)
            threads.emplace_back([&, i] { results[i] = ts[i].commit(); });
        // Wait (a synchronisation, not a timing) until every committer is
        // queued: the leader waits for the index mutex with the others.
        for (int spins = 0;; ++spins) {
            {
                std::lock_guard q(shared.save_group.mutex);
                if (shared.save_group.waiting.size() == ts.size())
                    break;
            }
            REQUIRE_MESSAGE(spins < 60000, "the committers were never all queued");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    for (auto& t : threads)
        t.join();
    return results;
}

std::vector<Uid> commit_all_queued(PreparedSaves& p) {
    std::vector<Uid> uids;
    for (auto& r : commit_queued(p)) {
        REQUIRE_MESSAGE(r.is_ok(), r.status().message());
        REQUIRE(r->saved.size() == 1);
        uids.push_back(r->saved[0]);
    }
    return uids;
}

Uid deliver_one(StorageFixture& f, int n) {
    auto box = f.open("INBOX", OpenOptions{.save_only = true});
    auto t = box.begin();
    REQUIRE(t.save(message_request(test_message(n))).is_ok());
    auto done = t.commit();
    REQUIRE_MESSAGE(done.is_ok(), done.status().message());
    REQUIRE(done->saved.size() == 1);
    return done->saved[0];
}

// A new session sees `total` messages, and uids[i] holds message first+i.
void check_uids_hold_messages(StorageFixture& f, std::size_t total, const std::vector<Uid>& uids, int first) {
    auto session = f.open();
    REQUIRE(session.view().count() == total);
    for (std::size_t i = 0; i < uids.size(); ++i) {
        Seq seq = session.view().seq(uids[i]);
        REQUIRE(seq != 0);
        CHECK(session.message(seq).open()->bytes() == test_message(first + int(i)));
    }
}

} // namespace

TEST_CASE("concurrent deliveries to one mailbox are committed as one group") {
    StorageFixture f("maildir:%T/Maildir");
    {
        auto first = f.open("INBOX", OpenOptions{.save_only = true});
        save_all(first, {message_request(test_message(1))});
    }
    constexpr std::size_t n = 8;
    PreparedSaves p = prepare(f, n, 2);
    SaveGroupQueue& q = p.queue();
    const auto groups_before = q.groups, saves_before = q.grouped_saves;

    std::vector<Uid> uids = commit_all_queued(p);

    CHECK(q.groups - groups_before == 1);
    CHECK(q.grouped_saves - saves_before == n);
    // Each got its own UID, after the message delivered before.
    std::set<Uid> distinct(uids.begin(), uids.end());
    CHECK(distinct.size() == n);
    CHECK(*distinct.begin() == 2);
    CHECK(*distinct.rbegin() == Uid(n + 1));
    // dovecot-uidlist names every file exactly once, in ascending UIDs.
    UidlistLines lines = uidlist_lines(f);
    CHECK(lines.uids.size() == n + 1);
    CHECK(std::is_sorted(lines.uids.begin(), lines.uids.end()));
    CHECK(std::set<Uid>(lines.uids.begin(), lines.uids.end()).size() == n + 1);
    for (const auto& entry : lines.bases)
        CHECK_MESSAGE(entry.second == 1, entry.first);
    CHECK(lines.bases.size() == n + 1);
    // Each transaction's UID holds that transaction's message.
    p.close();
    check_uids_hold_messages(f, n + 1, uids, 2);
}

TEST_CASE("a group holds at most max_group_saves saves; the rest form the next group") {
    StorageFixture f("maildir:%T/Maildir");
    const std::size_t n = max_group_saves + 5;
    PreparedSaves p = prepare(f, n, 1);
    SaveGroupQueue& q = p.queue();
    const auto groups_before = q.groups;
    std::vector<Uid> uids = commit_all_queued(p);
    CHECK(q.groups - groups_before == 2);
    std::set<Uid> distinct(uids.begin(), uids.end());
    CHECK(distinct.size() == n);
    CHECK(*distinct.rbegin() == Uid(n));
    UidlistLines lines = uidlist_lines(f);
    CHECK(lines.bases.size() == n);
    CHECK(lines.uids.size() == n);
}

TEST_CASE("a transaction that also changes flags is not grouped") {
    StorageFixture f("maildir:%T/Maildir");
    auto box = f.open();
    save_all(box, {message_request(test_message(1))});
    SaveGroupQueue& q = box.impl().index->save_group;
    const auto groups_before = q.groups;
    REQUIRE(box.sync(0).is_ok());
    auto t = box.begin();
    REQUIRE(t.save(message_request(test_message(2))).is_ok());
    UidSet first;
    first.add(1);
    REQUIRE(t.update_flags(first, FlagUpdate{FlagUpdate::Mode::add, flag_seen, {}, {}}).is_ok());
    auto done = t.commit();
    REQUIRE_MESSAGE(done.is_ok(), done.status().message());
    CHECK(done->saved == std::vector<Uid>{2});
    CHECK(q.groups == groups_before);
}

TEST_CASE("an exception in the leader fails its group with an error and the mailbox stays usable") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver_one(f, 1) == 1);
    PreparedSaves p = prepare(f, 4, 2);
    SaveGroupQueue& q = p.queue();
    q.test_fault = [](const char* point) {
        return std::string_view(point) == "lead" ? Status::io("injected driver failure") : Status::ok();
    };
    auto results = commit_queued(p);
    for (auto& r : results) {
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().message().find("injected driver failure") != std::string::npos);
    }
    CHECK(uidlist_lines(f).uids.size() == 1);
    {
        std::lock_guard lock(q.mutex);
        CHECK_FALSE(q.leader_active);
        CHECK(q.waiting.empty());
    }
    q.test_fault = nullptr;
    CHECK(deliver_one(f, 6) == 2);
}

TEST_CASE("an index commit failing after the saves were numbered still reports them delivered") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver_one(f, 1) == 1);
    constexpr std::size_t n = 4;
    PreparedSaves p = prepare(f, n, 2);
    SaveGroupQueue& q = p.queue();
    q.test_fault = [](const char* point) {
        return std::string_view(point) == "numbered" ? Status::io("injected index log write error")
                                                     : Status::ok();
    };
    std::vector<Uid> uids = commit_all_queued(p);
    q.test_fault = nullptr;
    CHECK(std::set<Uid>(uids.begin(), uids.end()) == std::set<Uid>{2, 3, 4, 5});
    UidlistLines lines = uidlist_lines(f);
    CHECK(lines.uids == std::vector<Uid>{1, 2, 3, 4, 5});
    // The index catches up at its next sync: each UID holds its message.
    p.close();
    check_uids_hold_messages(f, n + 1, uids, 2);
}

TEST_CASE("one member whose file cannot be renamed fails alone; the rest of its group is delivered") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver_one(f, 1) == 1);
    constexpr std::size_t n = 5;
    PreparedSaves p = prepare(f, n, 2);
    // One member's file vanishes from tmp/ (a tmp cleanup, an admin).
    std::vector<std::filesystem::path> tmp_files;
    for (const auto& e : std::filesystem::directory_iterator(f.dir.str() + "/Maildir/tmp"))
        tmp_files.push_back(e.path());
    REQUIRE(tmp_files.size() == n);
    std::filesystem::remove(tmp_files[2]);
    SaveGroupQueue& q = p.queue();
    const auto groups_before = q.groups;
    auto results = commit_queued(p);
    CHECK(q.groups - groups_before == 1);
    std::size_t failed = 0;
    std::set<Uid> uids;
    for (auto& r : results) {
        if (!r.is_ok()) {
            ++failed;
            continue;
        }
        REQUIRE(r->saved.size() == 1);
        uids.insert(r->saved[0]);
    }
    CHECK(failed == 1);
    CHECK(uids == std::set<Uid>{2, 3, 4, 5});
    UidlistLines lines = uidlist_lines(f);
    CHECK(lines.uids.size() == n);
    for (const auto& entry : lines.bases)
        CHECK_MESSAGE(entry.second == 1, entry.first);
}
