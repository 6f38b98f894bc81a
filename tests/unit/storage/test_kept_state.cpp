// The index and folder state kept between deliveries (kept_indexes,
// kept_folder_states): reused while the mailbox is the same one, dropped
// when it was deleted and recreated meanwhile, so a recreated mailbox
// numbers its messages from 1 again and shows none of the old ones.
#include "conformance.hpp"

#include "storage/kept_states.hpp"
#include "storage/mailbox_impl.hpp"

#include <filesystem>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

using namespace loft_test;

namespace {

Uid deliver(StorageFixture& f, const std::string& name, int n) {
    auto box = f.open(name, OpenOptions{.save_only = true});
    auto t = box.begin();
    REQUIRE(t.save(message_request(test_message(n))).is_ok());
    auto done = t.commit();
    REQUIRE_MESSAGE(done.is_ok(), done.status().message());
    REQUIRE(done->saved.size() == 1);
    return done->saved[0];
}

const void* index_identity(StorageFixture& f, const std::string& name) {
    auto box = f.open(name, OpenOptions{.save_only = true});
    return box.impl().index.get();
}

std::size_t uidlist_records(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line))
        ++n;
    return n == 0 ? 0 : n - 1; // minus the header
}

} // namespace

TEST_CASE("the index of a mailbox is kept open between deliveries") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver(f, "INBOX", 1) == 1);
    const void* first = index_identity(f, "INBOX");
    CHECK(deliver(f, "INBOX", 2) == 2);
    CHECK(index_identity(f, "INBOX") == first); // no Mailbox held it in between
}

TEST_CASE("a mailbox deleted and recreated by someone else between deliveries gets fresh state") {
    StorageFixture f("maildir:%T/Maildir");
    for (int i = 1; i <= 3; ++i)
        CHECK(deliver(f, "INBOX", i) == Uid(i));
    const void* before = index_identity(f, "INBOX");
    // Gone as an admin's rm -rf (or another server) would remove it; the
    // next delivery recreates INBOX.
    std::filesystem::remove_all(f.dir.str() + "/Maildir");
    CHECK(deliver(f, "INBOX", 4) == 1);
    CHECK(index_identity(f, "INBOX") != before);
    CHECK(uidlist_records(f.dir.str() + "/Maildir/dovecot-uidlist") == 1);
    auto session = f.open();
    REQUIRE(session.view().count() == 1);
    CHECK(session.message(1).open()->bytes() == test_message(4));
    CHECK(deliver(f, "INBOX", 5) == 2);
}

TEST_CASE("a folder deleted and created again in this process gets fresh state") {
    StorageFixture f("maildir:%T/Maildir");
    REQUIRE(f.user->create_mailbox("Lists").is_ok());
    CHECK(deliver(f, "Lists", 1) == 1);
    CHECK(deliver(f, "Lists", 2) == 2);
    REQUIRE(f.user->delete_mailbox("Lists").is_ok());
    REQUIRE(f.user->create_mailbox("Lists").is_ok());
    CHECK(deliver(f, "Lists", 3) == 1);
    auto session = f.open("Lists");
    REQUIRE(session.view().count() == 1);
    CHECK(session.message(1).open()->bytes() == test_message(3));
}

TEST_CASE("a uidlist rewritten in place under the kept folder state is read again") {
    // The Maildir stays (its control directory is the same) and its
    // dovecot-uidlist is rewritten in place, the same inode and longer than
    // before, as a new mailbox's: the header (UIDVALIDITY, GUID) shows the
    // kept lines are not this file's, so the whole file is read again
    // instead of "the lines appended since".
    StorageFixture f("maildir:%T/Maildir");
    for (int i = 1; i <= 3; ++i)
        CHECK(deliver(f, "INBOX", i) == Uid(i));
    const std::string md = f.dir.str() + "/Maildir";
    const std::string ul_path = md + "/dovecot-uidlist";
    for (const auto& e : std::filesystem::directory_iterator(md)) {
        const std::string name = e.path().filename().string();
        if (name == "cur" || name == "new" || name == "tmp") {
            for (const auto& m : std::filesystem::directory_iterator(e.path()))
                std::filesystem::remove(m.path());
        } else if (name != "dovecot-uidlist") {
            std::filesystem::remove_all(e.path());
        }
    }
    const std::string header = "3 V1234567 N1 G0123456789abcdef0123456789abcdef X" + std::string(400, 'p') + "\n";
    const auto old_size = std::filesystem::file_size(ul_path);
    REQUIRE(header.size() > old_size);
    REQUIRE(header.size() < 512);
    {
        std::ofstream ul(ul_path, std::ios::binary | std::ios::trunc); // same inode
        ul << header;
    }
    CHECK(deliver(f, "INBOX", 4) == 1);
    std::ifstream in(ul_path);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().rfind("3 V1234567 ", 0) == 0); // the new mailbox's UIDVALIDITY kept
    CHECK(uidlist_records(ul_path) == 1);
    auto session = f.open();
    REQUIRE(session.view().count() == 1);
    CHECK(session.message(1).open()->bytes() == test_message(4));
}

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_all_to(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

// The uidlist with its header's N replaced by `next` (one digit, so the
// size stays the same), as a rewrite after an expunge leaves it.
std::string with_next_uid(const std::string& text, char next) {
    const auto n = text.find(" N");
    REQUIRE(n != std::string::npos);
    REQUIRE(n + 3 < text.size());
    REQUIRE(text[n + 3] == ' ');
    std::string out = text;
    out[n + 2] = next;
    return out;
}

// Every line's UID above the previous one and every file named once; the
// highest UID.
Uid check_one_uid_per_file(const std::string& path) {
    std::istringstream in(read_all(path));
    std::string line;
    std::getline(in, line);
    std::set<std::string> bases;
    Uid last = 0;
    while (std::getline(in, line)) {
        const Uid uid = Uid(std::stoul(line.substr(0, line.find(' '))));
        CHECK_MESSAGE(uid > last, line);
        last = uid;
        CHECK_MESSAGE(bases.insert(line.substr(line.find(" :") + 2)).second, line);
    }
    return last;
}

} // namespace

TEST_CASE("a uidlist rewritten twice by rename between deliveries is read again whole") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver(f, "INBOX", 1) == 1);
    CHECK(deliver(f, "INBOX", 2) == 2);
    const std::string path = f.dir.str() + "/Maildir/dovecot-uidlist";
    const std::string text = read_all(path);
    // Dovecot's rewrites after UIDs 3 and 4 were appended and expunged
    // elsewhere: write dovecot-uidlist.lock, rename it over the file; the
    // second rewrite has the first file's size (and on ext4 often its
    // freed inode number).
    for (char next : {'4', '5'}) {
        write_all_to(path + ".lock", with_next_uid(text, next));
        REQUIRE(std::rename((path + ".lock").c_str(), path.c_str()) == 0);
    }
    REQUIRE(read_all(path).size() == text.size());
    CHECK(deliver(f, "INBOX", 3) == 5); // not 3 or 4 again (RFC 3501 2.3.1.1)
    CHECK(check_one_uid_per_file(path) == 5);
    CHECK(uidlist_records(path) == 3);
}

TEST_CASE("a uidlist of the same inode and size but another header is read again whole") {
    StorageFixture f("maildir:%T/Maildir");
    CHECK(deliver(f, "INBOX", 1) == 1);
    CHECK(deliver(f, "INBOX", 2) == 2);
    const std::string path = f.dir.str() + "/Maildir/dovecot-uidlist";
    const std::string text = read_all(path);
    // What a reused inode number looks like to a reader: the same inode and
    // size, other content (here written in place).
    write_all_to(path, with_next_uid(text, '7'));
    CHECK(deliver(f, "INBOX", 3) == 7);
    CHECK(check_one_uid_per_file(path) == 7);
}

namespace {

struct FakeState {
    std::size_t bytes = 0;
};

std::size_t fake_estimate(FakeState& s) { return s.bytes; }

} // namespace

TEST_CASE("kept states are bounded by count, by estimated bytes and by idle time") {
    using namespace std::chrono;
    const auto t0 = steady_clock::time_point() + hours(1);
    SUBCASE("count: the least recently used beyond it is dropped") {
        KeptStates<FakeState> kept(3, 1000);
        std::vector<std::shared_ptr<FakeState>> all;
        for (int i = 0; i < 4; ++i) {
            all.push_back(std::make_shared<FakeState>(FakeState{10}));
            kept.use(all.back(), fake_estimate, t0);
        }
        CHECK(kept.size() == 3);
        CHECK_FALSE(kept.contains(all[0]));
        CHECK(kept.contains(all[3]));
    }
    SUBCASE("bytes: idle states beyond the budget are dropped, least recently used first") {
        KeptStates<FakeState> kept(16, 1000);
        std::weak_ptr<FakeState> wa, wb, wc;
        for (auto* w : {&wa, &wb, &wc}) {
            auto s = std::make_shared<FakeState>(FakeState{400});
            *w = s;
            kept.use(s, fake_estimate, t0);
        }
        CHECK(kept.size() == 3); // 400 + 400 measured, the newest not yet
        auto d = std::make_shared<FakeState>(FakeState{300});
        kept.use(d, fake_estimate, t0);
        CHECK(wa.expired()); // 400 + 400 + 400 > 1000: the least recently used goes
        CHECK_FALSE(wb.expired());
        CHECK_FALSE(wc.expired());
        CHECK(kept.size() == 3);
        // Reusing b makes it the most recent: c is the one dropped next.
        auto b = wb.lock();
        kept.use(b, fake_estimate, t0);
        b.reset();
        d.reset();
        auto e = std::make_shared<FakeState>(FakeState{500});
        kept.use(e, fake_estimate, t0);
        CHECK(wc.expired());
        CHECK_FALSE(wb.expired());
        CHECK(kept.size() == 3);
        CHECK(kept.bytes() == 700); // b and d measured; e in use
    }
    SUBCASE("a state in use is never measured, and one too large alone is dropped once idle") {
        KeptStates<FakeState> kept(16, 1000);
        auto big = std::make_shared<FakeState>(FakeState{5000});
        kept.use(big, fake_estimate, t0);
        CHECK(kept.contains(big)); // in use and the most recent
        auto small = std::make_shared<FakeState>(FakeState{10});
        kept.use(small, fake_estimate, t0);
        CHECK(kept.contains(big)); // still in use: its size is not known
        big.reset();
        kept.use(small, fake_estimate, t0);
        CHECK(kept.size() == 1);
        CHECK(kept.contains(small));
    }
    SUBCASE("idle time: a state unused for longer than kept_idle_limit is dropped") {
        KeptStates<FakeState> kept(16, 1000);
        auto old_one = std::make_shared<FakeState>(FakeState{10});
        auto recent_one = std::make_shared<FakeState>(FakeState{10});
        kept.use(old_one, fake_estimate, t0);
        kept.use(recent_one, fake_estimate, t0 + seconds(30));
        const auto later = t0 + kept_idle_limit + seconds(1);
        auto now_one = std::make_shared<FakeState>(FakeState{10});
        std::weak_ptr<FakeState> old_weak = old_one;
        old_one.reset();
        recent_one.reset();
        kept.use(now_one, fake_estimate, later);
        CHECK(kept.size() == 2);
        CHECK(old_weak.expired()); // freed, not only forgotten
    }
}
