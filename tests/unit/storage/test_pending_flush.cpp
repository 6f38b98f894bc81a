// Cache entries and sizes a Mailbox learns are committed every few
// thousand (Mailbox::Impl::flush_pending_if_many), not only at the next
// sync or close: one pass over a mailbox bigger than the pending bound
// (FETCH 1:* ENVELOPE over 100,000 messages) leaves every value in the
// index cache, and other sessions see them before the pass ends.
#include "conformance.hpp"

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

using namespace loft_test;

namespace {

constexpr int kMessages = 12000; // more than the 10,000 a Mailbox holds pending

// Maildir files without S=/W= in their names, so their sizes are measured
// (and become pending sizes) on first use.
void fill_cur(const std::filesystem::path& maildir, int count) {
    for (const char* sub : {"cur", "new", "tmp"})
        std::filesystem::create_directories(maildir / sub);
    for (int i = 0; i < count; ++i) {
        std::ofstream out(maildir / "cur" / ("1700000000.M" + std::to_string(i) + "P1.flushtest:2,"));
        out << test_message(i);
    }
}

// Every file rewritten with other bytes of another length under the same
// name: answers that still show the old values came from the index.
void rewrite_cur(const std::filesystem::path& maildir) {
    for (const auto& entry : std::filesystem::directory_iterator(maildir / "cur")) {
        std::ofstream out(entry.path(), std::ios::trunc);
        out << "Subject: rewritten\n\nrewritten body, longer than the original one\n";
    }
}

} // namespace

TEST_CASE("one pass over more messages than the pending bound leaves every value and size cached") {
    StorageFixture f("maildir:%T/Maildir");
    const auto maildir = std::filesystem::path(f.dir.str()) / "Maildir";
    fill_cur(maildir, kMessages);
    std::vector<std::uint64_t> sizes(kMessages + 1);
    {
        auto inbox = f.open();
        REQUIRE(inbox.view().count() == kMessages);
        for (Seq seq = 1; seq <= kMessages; ++seq) {
            auto m = inbox.message(seq);
            m.cache("imap.envelope", "env " + std::to_string(m.uid()));
            auto size = m.physical_size();
            REQUIRE(size.is_ok());
            sizes[seq] = *size;
        }
        // Another session sees the values committed so far while this one
        // has neither synced nor closed.
        auto other = f.open();
        CHECK(other.message(1).cached("imap.envelope") == "env " + std::to_string(other.view().uid(1)));
    } // the rest is written on close
    rewrite_cur(maildir);
    auto inbox = f.open();
    REQUIRE(inbox.view().count() == kMessages);
    int missing = 0, wrong_size = 0;
    for (Seq seq = 1; seq <= kMessages; ++seq) {
        auto m = inbox.message(seq);
        if (m.cached("imap.envelope") != "env " + std::to_string(m.uid()))
            ++missing;
        auto size = m.physical_size();
        if (!size || *size != sizes[seq])
            ++wrong_size;
    }
    CHECK(missing == 0);
    CHECK(wrong_size == 0);
}

TEST_CASE("a refused flush (index locked by another process) drops values, never fails, and the next sync writes again") {
    StorageFixture f("maildir:%T/Maildir", "mail_max_lock_timeout = 100ms\n");
    const auto maildir = std::filesystem::path(f.dir.str()) / "Maildir";
    fill_cur(maildir, 3000);
    auto inbox = f.open();
    REQUIRE(inbox.view().count() == 3000);
    auto envelope_of = [](const Message& m) { return "env " + std::to_string(m.uid()); };
    {
        // Another holder of the index write lock: an open file description
        // of our own conflicts with the index's (OFD locks).
        int fd = ::open((maildir / "loft.index.log").c_str(), O_RDWR | O_CLOEXEC);
        REQUIRE(fd >= 0);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        REQUIRE(::fcntl(fd, F_OFD_SETLK, &fl) == 0);
        for (Seq seq = 1; seq <= 3000; ++seq) {
            auto m = inbox.message(seq);
            m.cache("imap.envelope", envelope_of(m));
        }
        // Values cached after the refusal are still answered.
        CHECK(inbox.message(3000).cached("imap.envelope") == envelope_of(inbox.message(3000)));
        ::close(fd); // releases the lock
    }
    REQUIRE(inbox.sync().is_ok()); // commits what is pending
    // The first 2,000 went with the refused commit (so the lock was in
    // the way); a second pass computes and caches them.
    CHECK_FALSE(inbox.message(1).cached("imap.envelope").has_value());
    for (Seq seq = 1; seq <= 3000; ++seq) {
        auto m = inbox.message(seq);
        if (!m.cached("imap.envelope"))
            m.cache("imap.envelope", envelope_of(m));
    }
    REQUIRE(inbox.sync().is_ok());
    auto other = f.open();
    int missing = 0;
    for (Seq seq = 1; seq <= 3000; ++seq)
        if (other.message(seq).cached("imap.envelope") != envelope_of(other.message(seq)))
            ++missing;
    CHECK(missing == 0);
}
