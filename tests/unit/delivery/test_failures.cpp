// Per-recipient failure isolation: a recipient whose home cannot be
// written, whose mailbox stays locked past mail_max_lock_timeout or whose
// disk is full gets a 4xx; the others are delivered.
#include "delivery_fixture.hpp"

#include <array>
#include <climits>
#include <fstream>

#include <sys/mount.h>
#include <unistd.h>

using namespace loft_test;

namespace {

const std::string message = "Subject: iso\r\nMessage-ID: <iso@x>\r\n\r\nbody\r\n";

std::string host_name() {
    std::array<char, HOST_NAME_MAX + 1> buf{};
    REQUIRE(::gethostname(buf.data(), buf.size() - 1) == 0);
    return buf.data();
}

} // namespace

TEST_CASE("an unwritable home fails that recipient with 451 4.3.0; the others are delivered") {
    DeliveryFixture f;
    auto d = f.deliverer();
    // A home below a regular file: no directory can be made there, even by root.
    f.dir.write("blocker", "not a directory");
    Recipient broken = f.recipient("broken@example.com", "broken@example.com");
    broken.userdb_fields.set("home", (f.dir.path / "blocker" / "broken").string());
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(),
                             {f.recipient("alice@example.com", "alice@example.com"), broken,
                              f.recipient("bob@example.com", "bob@example.com")},
                             spool);
    REQUIRE(results.size() == 3);
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[1].outcome == RecipientResult::Outcome::temporary_failure);
    CHECK(results[1].smtp_code == 451);
    CHECK(results[1].enhanced_code == "4.3.0");
    CHECK(results[1].text == "4.3.0 <broken@example.com> Temporary internal error");
    CHECK(results[1].saved_to.empty());
    CHECK(results[2].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[2].text == "2.0.0 <bob@example.com> 0S7/CULVC2vyMAAAg+zDdQ:R3 Saved");
    CHECK(f.files("alice@example.com").size() == 1);
    CHECK(f.files("bob@example.com").size() == 1);
    CHECK(f.log_text().find("lmtp(broken@example.com)<" + std::to_string(::getpid()) +
                            "><0S7/CULVC2vyMAAAg+zDdQ:R2>: Error: msgid=<iso@x>: save failed to INBOX: ") !=
          std::string::npos);
}

TEST_CASE("a mailbox locked beyond mail_max_lock_timeout fails that recipient with 451 4.2.0") {
    DeliveryFixture f;
    auto d = f.deliverer("mail_max_lock_timeout = 1s\n");
    Recipient alice = f.recipient("alice@example.com", "alice@example.com");
    {
        Spool first = f.spool(message);
        REQUIRE(d.deliver(test_envelope(), {alice}, first)[0].outcome == RecipientResult::Outcome::delivered);
    }
    // Another live process of this host holds the uidlist lock (ours: alive).
    const auto lock = std::filesystem::path(f.home("alice@example.com")) / "Maildir/dovecot-uidlist.lock";
    std::ofstream(lock) << ::getpid() << ':' << host_name();
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(), {alice, f.recipient("bob@example.com", "bob@example.com")}, spool);
    std::filesystem::remove(lock);
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == RecipientResult::Outcome::temporary_failure);
    CHECK(results[0].smtp_code == 451);
    CHECK(results[0].enhanced_code == "4.2.0");
    CHECK(results[0].text == "4.2.0 <alice@example.com> Mailbox is locked, try again later");
    CHECK(results[1].outcome == RecipientResult::Outcome::delivered);
    CHECK(f.files("alice@example.com").size() == 1); // the failed copy left nothing behind
    CHECK(std::filesystem::is_empty(std::filesystem::path(f.home("alice@example.com")) / "Maildir/tmp"));
    CHECK(f.files("bob@example.com").size() == 1);
}

TEST_CASE("a full disk fails that recipient with 452 4.3.1; the others are delivered") {
    DeliveryFixture f;
    const auto mnt = f.dir.path / "small";
    std::filesystem::create_directories(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
        // Mounting needs root (CI runs as root); elsewhere this case cannot be made.
        MESSAGE("cannot mount a tmpfs (not root?): the full-disk case is not run");
        return;
    }
    struct Unmount {
        std::filesystem::path p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{mnt};
    auto d = f.deliverer("lmtp_hdr_delivery_address = none\n");
    Recipient full = f.recipient("full@example.com", "full@example.com");
    full.userdb_fields.set("home", (mnt / "full").string());
    std::string big = "Subject: big\r\n\r\n";
    while (big.size() < 200000)
        big += std::string(76, 'x') + "\r\n";
    Spool spool = f.spool(big);
    auto results = d.deliver(test_envelope(), {full, f.recipient("bob@example.com", "bob@example.com")}, spool);
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == RecipientResult::Outcome::temporary_failure);
    CHECK(results[0].smtp_code == 452);
    CHECK(results[0].text == "4.3.1 <full@example.com> Insufficient system storage");
    CHECK(results[1].outcome == RecipientResult::Outcome::delivered);
    auto bob = f.files("bob@example.com");
    REQUIRE(bob.size() == 1);
    CHECK(slurp(bob[0]).size() > 190000);
}

TEST_CASE("a user whose mail location is broken fails temporarily, never permanently") {
    DeliveryFixture f;
    auto d = f.deliverer();
    Recipient r = f.recipient("alice@example.com", "alice@example.com");
    r.userdb_fields.set("mail", "nosuchdriver:/x");
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(), {r}, spool);
    CHECK(results[0].outcome == RecipientResult::Outcome::temporary_failure);
    CHECK(results[0].smtp_code == 451);
    CHECK(f.log_text().find("Error: msgid=<iso@x>: Failed to initialize user: ") != std::string::npos);
}
