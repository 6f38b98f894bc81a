// OpenOptions::save_only, the delivery's open: messages saved through it are
// in the mailbox and stay \Recent for the next session; the open claims
// nothing, counts nothing and leaves the status cache to the next reader.
#include "conformance.hpp"

using namespace loft_test;

TEST_CASE("a save-only open delivers without claiming \\Recent or building a view") {
    for_each_location([](StorageFixture& f) {
        {
            auto writer = f.open("INBOX", OpenOptions{false, false});
            save_all(writer, {message_request(test_message(1))});
        }
        for (int i = 2; i <= 3; ++i) {
            auto deliver = f.open("INBOX", OpenOptions{.save_only = true});
            auto t = deliver.begin();
            REQUIRE(t.save(message_request(test_message(i))).is_ok());
            auto done = t.commit();
            REQUIRE(done.is_ok());
            CHECK(done->saved == std::vector<Uid>{Uid(i)});
            CHECK(done->uidvalidity != 0);
        }
        // Nobody claimed any of them: the next session owns all three.
        CHECK(f.user->status("INBOX", status_messages | status_recent | status_unseen)->messages == 3);
        CHECK(f.user->status("INBOX", status_recent)->recent == 3);
        CHECK(f.user->status("INBOX", status_unseen)->unseen == 3);
        auto session = f.open();
        CHECK(session.view().count() == 3);
        CHECK(session.view().recent_count() == 3);
        CHECK(session.message(3).open()->bytes() == test_message(3));
    });
}

TEST_CASE("a save-only open of a mailbox never synced before (no index yet)") {
    for_each_location([](StorageFixture& f) {
        auto deliver = f.open("INBOX", OpenOptions{.save_only = true});
        auto t = deliver.begin();
        REQUIRE(t.save(message_request(test_message(7))).is_ok());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        CHECK(done->saved == std::vector<Uid>{1});
        auto session = f.open();
        CHECK(session.view().count() == 1);
        CHECK(session.view().recent(1));
        CHECK(session.message(1).open()->bytes() == test_message(7));
    });
}
