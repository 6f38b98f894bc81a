// A mailbox whose UID list is lost gets a new UIDVALIDITY; an open session
// learns it at its next sync (uidvalidity_changed: the client must be
// disconnected, RFC 3501 2.3.1.1). Maildir-specific file names.
#include "conformance.hpp"

#include <filesystem>
#include <fstream>

using namespace loft_test;

TEST_CASE("a lost dovecot-uidlist gives a new UIDVALIDITY that an open session is told about") {
    StorageFixture f(conformance_locations()[0], "mail_fsync = never\n");
    auto inbox = f.open();
    save_all(inbox, {message_request(test_message(1)), message_request(test_message(2))});
    REQUIRE(inbox.sync().is_ok());
    std::uint32_t before = inbox.view().uidvalidity();
    auto uidlist = f.dir.path / "Maildir" / "dovecot-uidlist";
    REQUIRE(std::filesystem::exists(uidlist));
    std::filesystem::remove(uidlist);
    auto s = inbox.sync(sync_full);
    REQUIRE_MESSAGE(s.is_ok(), s.status().message());
    CHECK(s->uidvalidity_changed);
    CHECK(inbox.view().uidvalidity() != before);
    CHECK(inbox.view().count() == 2);
    CHECK(inbox.view().uid(1) == 1);
    CHECK(inbox.view().uid(2) == 2);
    // Nothing further to report.
    s = inbox.sync();
    REQUIRE(s.is_ok());
    CHECK_FALSE(s->uidvalidity_changed);
    CHECK(s->expunged.empty());
}

TEST_CASE("messages a dovecot-uidlist already numbers are not \\Recent in a new index (a migrated Maildir)") {
    // Dovecot 2.3.19, given a Maildir whose uidlist numbers the files in
    // cur/ but no index, shows them without \Recent (0 RECENT); only files
    // it numbers itself are recent. A mailbox migrated without Dovecot's
    // index files must look the same in Loft.
    StorageFixture f(conformance_locations()[2], "mail_fsync = never\n");
    {
        auto inbox = f.open();
        save_all(inbox, {message_request(test_message(1)), message_request(test_message(2))});
        REQUIRE(inbox.sync().is_ok());
    }
    std::filesystem::remove_all(f.dir.path / "index");
    {
        // A delivery that no uidlist knows yet.
        std::ofstream(f.dir.path / "Maildir" / "new" / "1700000000.M9P9.other") << "Subject: new\n\nbody\n";
    }
    auto inbox = f.open();
    REQUIRE(inbox.view().count() == 3);
    CHECK(inbox.view().uid(1) == 1);
    CHECK(inbox.view().uid(2) == 2);
    CHECK(inbox.view().uid(3) == 3);
    CHECK_FALSE(inbox.view().recent(1));
    CHECK_FALSE(inbox.view().recent(2));
    CHECK(inbox.view().recent(3));
    CHECK(inbox.view().recent_count() == 1);
}
