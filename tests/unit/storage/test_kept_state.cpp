// The index and folder state kept between deliveries (kept_indexes,
// kept_folder_states): reused while the mailbox is the same one, dropped
// when it was deleted and recreated meanwhile, so a recreated mailbox
// numbers its messages from 1 again and shows none of the old ones.
#include "conformance.hpp"

#include "storage/mailbox_impl.hpp"

#include <filesystem>
#include <fstream>
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
