// RFC 8474 object identifiers (storage/object_id.hpp): the syntax, the
// derivation from GUIDs and headers, and that COPY and MOVE keep a
// message's GUID and so its EMAILID and THREADID.
#include "conformance.hpp"
#include "storage/object_id.hpp"

#include <set>

using namespace loft_test;

namespace {

bool is_hex_id(const std::string& id, char prefix, std::size_t digits) {
    return id.size() == digits + 1 && id[0] == prefix &&
           id.find_first_not_of("0123456789abcdef", 1) == std::string::npos;
}

} // namespace

TEST_CASE("objectid syntax (RFC 8474 §7): 1*255(ALPHA / DIGIT / \"_\" / \"-\")") {
    CHECK(valid_object_id("F2212ea87-6097-4256-9d51-71338625"));
    CHECK(valid_object_id("M6d99ac3275bb4e"));
    CHECK(valid_object_id("a_b-C9"));
    CHECK(valid_object_id(std::string(255, 'x')));
    CHECK_FALSE(valid_object_id(""));
    CHECK_FALSE(valid_object_id(std::string(256, 'x')));
    CHECK_FALSE(valid_object_id("M.1"));
    CHECK_FALSE(valid_object_id("M 1"));
    CHECK_FALSE(valid_object_id("M=1"));
    CHECK_FALSE(valid_object_id("M\xc3\xa9"));
}

TEST_CASE("MAILBOXID is F and the mailbox GUID") {
    CHECK(mailbox_object_id("0123456789abcdef0123456789abcdef") ==
          "F0123456789abcdef0123456789abcdef");
    CHECK(mailbox_object_id("0123456789ABCDEF0123456789ABCDEF") ==
          "F0123456789abcdef0123456789abcdef");
    // Not a GUID Loft or Dovecot writes: still a valid, stable id.
    std::string odd = mailbox_object_id("not a guid");
    CHECK(valid_object_id(odd));
    CHECK(odd == mailbox_object_id("not a guid"));
}

TEST_CASE("EMAILID is M and 24 hex digits of SHA-256 over the message GUID") {
    // A Maildir base filename as Dovecot writes it.
    const std::string base = "1700000000.M123456P789.host.example,S=1234,W=1260";
    std::string id = email_object_id(base);
    CHECK(is_hex_id(id, 'M', 24));
    CHECK(id == email_object_id(base));
    CHECK(id != email_object_id(base + "x"));
    // SHA-256("email\0<guid>"), first 96 bits: fixed, so the value survives
    // restarts and is the same in every process.
    CHECK(email_object_id("abc") == email_object_id(std::string("abc")));
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i)
        ids.insert(email_object_id("1700000000.M" + std::to_string(i) + "P1.host"));
    CHECK(ids.size() == 1000);
}

TEST_CASE("THREADID root: the first References id, else In-Reply-To, else the own Message-ID") {
    CHECK(thread_root_id("Message-ID: <reply2@b.example>\r\n"
                         "In-Reply-To: <reply1@b.example>\r\n"
                         "References: <root@a.example> <reply1@b.example>\r\n\r\n") ==
          "root@a.example");
    CHECK(thread_root_id("Message-ID: <reply1@b.example>\nIn-Reply-To: <root@a.example>\n\n") ==
          "root@a.example");
    CHECK(thread_root_id("Message-ID: <root@a.example>\n\n") == "root@a.example");
    CHECK_FALSE(thread_root_id("Subject: no ids\n\n").has_value());
    // Folded, commented, and the domain in another case: the same root.
    CHECK(thread_root_id("References: (first)\n <root@A.Example>\n <x@y>\n\n") == "root@a.example");
    // Junk before a usable id is skipped.
    CHECK(thread_root_id("References: junk <root@a.example>\n\n") == "root@a.example");
    // The local part keeps its case.
    CHECK(thread_root_id("Message-ID: <Root@a.example>\n\n") == "Root@a.example");
}

TEST_CASE("THREADID: the same for a conversation, never an EMAILID value") {
    auto root = thread_root_id("Message-ID: <root@a.example>\n\n");
    auto reply = thread_root_id("Message-ID: <r@b>\nReferences: <root@a.example>\n\n");
    CHECK(thread_object_id(root, "g1") == thread_object_id(reply, "g2"));
    CHECK(is_hex_id(thread_object_id(root, "g1"), 'T', 24));
    // Without any msg-id: a thread of its own, from the GUID.
    CHECK(thread_object_id(std::nullopt, "g1") != thread_object_id(std::nullopt, "g2"));
    CHECK(thread_object_id(std::nullopt, "g1") == thread_object_id(std::nullopt, "g1"));
    CHECK(thread_object_id(std::nullopt, "g1").substr(1) != email_object_id("g1").substr(1));
    // A GUID that equals a msg-id still names another thread.
    CHECK(thread_object_id(std::string("g1"), "x") != thread_object_id(std::nullopt, "g1"));
}

TEST_CASE("COPY and MOVE keep the message GUID, EMAILID and THREADID") {
    for_each_location([](StorageFixture& f) {
        REQUIRE(f.user->create_mailbox("Work").is_ok());
        auto inbox = f.open();
        const std::string data = "Message-ID: <m1@example.org>\nSubject: s\n\nbody\n";
        const std::string orphan = "Subject: no id\n\nbody\n";
        save_all(inbox, {message_request(data), message_request(orphan)});
        REQUIRE(inbox.sync().is_ok());
        REQUIRE(inbox.view().count() == 2);
        const std::string guid1 = inbox.message(1).guid().value();
        const std::string email1 = message_email_id(inbox.message(1)).value();
        const std::string thread1 = message_thread_id(inbox.message(1)).value();
        const std::string email2 = message_email_id(inbox.message(2)).value();
        const std::string thread2 = message_thread_id(inbox.message(2)).value();
        CHECK(email1 != email2);
        CHECK(thread1 == thread_object_id(std::string("m1@example.org"), {}));

        auto work = f.open("Work");
        {
            auto t = work.begin();
            UidSet one;
            one.add(1);
            REQUIRE(t.copy(inbox, one).is_ok());
            REQUIRE(t.commit().is_ok());
        }
        {
            auto t = work.begin();
            UidSet two;
            two.add(2);
            REQUIRE(t.move(inbox, two).is_ok());
            REQUIRE(t.commit().is_ok());
        }
        REQUIRE(work.sync().is_ok());
        REQUIRE(work.view().count() == 2);
        CHECK(work.message(1).guid().value() == guid1);
        CHECK(message_email_id(work.message(1)).value() == email1);
        CHECK(message_thread_id(work.message(1)).value() == thread1);
        CHECK(message_email_id(work.message(2)).value() == email2);
        CHECK(message_thread_id(work.message(2)).value() == thread2);

        // The same from a fresh User (another process, after a restart).
        UserSettings settings;
        settings.username = "alice";
        settings.home = f.dir.str();
        auto reopened = User::open(*f.config, settings);
        REQUIRE(reopened.is_ok());
        auto box = Mailbox::open(*reopened, "Work");
        REQUIRE(box.is_ok());
        CHECK(message_email_id(box->message(1)).value() == email1);
        CHECK(message_email_id(box->message(2)).value() == email2);
        CHECK(message_thread_id(box->message(2)).value() == thread2);
    });
}
