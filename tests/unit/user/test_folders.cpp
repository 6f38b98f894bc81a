// CREATE, DELETE, RENAME, SUBSCRIBE and auto mailboxes on real Maildirs.
#include "user_support.hpp"

#include <mailstore/storage/mailbox.hpp>

#include <filesystem>
#include <thread>

using namespace user_test;
using loft_test::TempDir;
using V = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

const char* kSlash = "mail_location = maildir:~/Maildir\n"
                     "namespace inbox {\n  inbox = yes\n  separator = /\n}\n";

bool is_dir(const fs::path& p) { return fs::is_directory(p); }

} // namespace

TEST_CASE("create: Maildir++ folders, a trailing separator, INBOX and existing names") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    fs::path root = home.path / "Maildir";
    REQUIRE_OK(u.create_mailbox("Archive/2024"));
    CHECK(is_dir(root / ".Archive.2024" / "cur"));
    CHECK(fs::exists(root / ".Archive.2024" / "maildirfolder"));
    // The parent is not created: it lists as \Noselect, as with Dovecot.
    CHECK_FALSE(fs::exists(root / ".Archive"));
    CHECK(u.exists("Archive/2024"));
    CHECK_FALSE(u.exists("Archive"));
    Status again = u.create_mailbox("Archive/2024");
    CHECK(again.code() == Status::Code::already_exists);
    CHECK(again.message() == "Mailbox already exists: Archive/2024");
    REQUIRE_OK(u.create_mailbox("Trash/")); // RFC 3501 6.3.3
    CHECK(is_dir(root / ".Trash" / "cur"));
    CHECK(u.create_mailbox("inbox").code() == Status::Code::already_exists);
    REQUIRE_OK(u.create_mailbox("inbox/Child"));
    CHECK(is_dir(root / ".INBOX.Child" / "cur"));
    REQUIRE_OK(u.create_mailbox("Entwürfe"));
    CHECK(is_dir(root / ".Entw&APw-rfe" / "cur"));
    CHECK(u.create_mailbox("a/../b").code() == Status::Code::invalid_argument);
    CHECK(u.exists("INBOX"));
}

TEST_CASE("delete: INBOX refused, missing names not_found, a parent with children stays \\Noselect") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    fs::path root = home.path / "Maildir";
    Status inbox = u.delete_mailbox("inbox");
    CHECK(inbox.code() == Status::Code::invalid_argument);
    CHECK(inbox.message() == "INBOX can't be deleted.");
    Status missing = u.delete_mailbox("Nope");
    CHECK(missing.code() == Status::Code::not_found);
    CHECK(missing.message() == "Mailbox doesn't exist: Nope");
    REQUIRE_OK(u.create_mailbox("a"));
    REQUIRE_OK(u.create_mailbox("a/b"));
    REQUIRE_OK(u.create_mailbox("Old", special_archive));
    REQUIRE_OK(u.delete_mailbox("a"));
    CHECK_FALSE(fs::exists(root / ".a"));
    CHECK(is_dir(root / ".a.b" / "cur"));
    CHECK(list(u, "", {"a*"}) == V{"a (\\Noselect \\HasChildren)", "a/b (\\HasNoChildren)"});
    CHECK(u.delete_mailbox("a").code() == Status::Code::not_found);
    REQUIRE_OK(u.delete_mailbox("Old"));
    CHECK(loft_test::slurp(root / "loft-special-use").empty());
}

TEST_CASE("rename: children move along, targets are checked") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    fs::path root = home.path / "Maildir";
    REQUIRE_OK(u.create_mailbox("a", special_drafts));
    REQUIRE_OK(u.create_mailbox("a/b"));
    REQUIRE_OK(u.create_mailbox("x"));
    CHECK(u.rename_mailbox("a", "x").code() == Status::Code::already_exists);
    CHECK(u.rename_mailbox("a", "a/b/c").code() == Status::Code::invalid_argument);
    CHECK(u.rename_mailbox("nope", "y").code() == Status::Code::not_found);
    REQUIRE_OK(u.rename_mailbox("a", "z/"));
    CHECK(is_dir(root / ".z" / "cur"));
    CHECK(is_dir(root / ".z.b" / "cur"));
    CHECK_FALSE(fs::exists(root / ".a"));
    CHECK_FALSE(fs::exists(root / ".a.b"));
    CHECK(loft_test::slurp(root / "loft-special-use") == "\\Drafts\tz\n");
    // A \Noselect parent: its children are renamed.
    REQUIRE_OK(u.create_mailbox("p/q"));
    REQUIRE_OK(u.rename_mailbox("p", "r"));
    CHECK(is_dir(root / ".r.q" / "cur"));
    CHECK(u.rename_mailbox("z", "INBOX").code() == Status::Code::already_exists);
}

TEST_CASE("rename INBOX: messages move to the new mailbox, INBOX stays and is empty") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    fs::path root = home.path / "Maildir";
    make_maildir(root.string());
    std::ofstream(root / "new" / "1700000000.M1P1.test") << "Subject: one\n\nbody\n";
    std::ofstream(root / "new" / "1700000001.M1P1.test") << "Subject: two\n\nbody\n";
    REQUIRE_OK(u.create_mailbox("INBOX/Kid"));
    Status s = u.rename_mailbox("INBOX", "Old");
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    auto old = u.status("Old", status_messages);
    REQUIRE(old.is_ok());
    CHECK(old->messages == 2);
    auto inbox = u.status("INBOX", status_messages);
    REQUIRE(inbox.is_ok());
    CHECK(inbox->messages == 0);
    CHECK(u.exists("INBOX/Kid"));
}

TEST_CASE("subscriptions: Dovecot's file format both ways") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    fs::path file = home.path / "Maildir" / "subscriptions";
    REQUIRE_OK(u.subscribe("Entwürfe"));
    REQUIRE_OK(u.subscribe("a/b"));
    REQUIRE_OK(u.subscribe("inbox"));
    REQUIRE_OK(u.subscribe("a/b")); // twice: once in the file
    CHECK(loft_test::slurp(file) == "V\t2\n\nEntw&APw-rfe\na\tb\nINBOX\n");
    CHECK(*u.subscriptions() == V{"Entwürfe", "a/b", "INBOX"});
    REQUIRE_OK(u.subscribe("a/b", false));
    CHECK(loft_test::slurp(file) == "V\t2\n\nEntw&APw-rfe\nINBOX\n");
    REQUIRE_OK(u.subscribe("never/there", false));
    CHECK(u.subscribe("bad//name").code() == Status::Code::invalid_argument);
}

TEST_CASE("subscriptions written by Dovecot 2.3 are read") {
    TempDir home("loft-user");
    // doveadm mailbox subscribe a/b/c Ünï INBOX, separator '/'.
    home.write("Maildir/subscriptions", "V\t2\n\na\tb\tc\n&ANw-n&AO8-\nINBOX\n");
    {
        User u = open_user(home, kSlash);
        CHECK(*u.subscriptions() == V{"a/b/c", "Ünï", "INBOX"});
    }
    // With prefix INBOX. Dovecot keeps names relative to the prefix.
    home.write("Maildir/subscriptions", "V\t2\n\nx\ty\nINBOX\n");
    User v = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.\n}\n");
    CHECK(*v.subscriptions() == V{"INBOX.x.y", "INBOX"});
    REQUIRE_OK(v.subscribe("INBOX.z"));
    CHECK(loft_test::slurp(home.path / "Maildir" / "subscriptions") == "V\t2\n\nx\ty\nINBOX\nz\n");
}

TEST_CASE("a namespace without subscriptions uses the one that owns its prefix, else refuses") {
    TempDir home("loft-user");
    const std::string pub = "namespace pub {\n  type = public\n  separator = /\n  prefix = Public/\n"
                            "  location = maildir:~/public\n  subscriptions = no\n}\n";
    {
        User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                                 "namespace inbox {\n  inbox = yes\n  separator = /\n}\n" + pub);
        REQUIRE_OK(u.subscribe("Public/News"));
        CHECK(loft_test::slurp(home.path / "Maildir" / "subscriptions") == "V\t2\n\nPublic\tNews\n");
        CHECK(*u.subscriptions() == V{"Public/News"});
    }
    User v = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n  prefix = INBOX/\n}\n" + pub);
    Status s = v.subscribe("Public/News");
    CHECK(s.code() == Status::Code::invalid_argument);
    CHECK(s.message() == "'Public/News': this namespace has no subscriptions (subscriptions = no)");
}

TEST_CASE("auto mailboxes are created and subscribed at open, relative to the namespace prefix") {
    TempDir home("loft-user");
    const std::string config = "mail_location = maildir:~/Maildir\n"
                               "namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.\n"
                               "  mailbox Trash {\n    auto = create\n    special_use = \\Trash\n  }\n"
                               "  mailbox Junk {\n    auto = subscribe\n  }\n"
                               "  mailbox Unused {\n    special_use = \\Archive\n  }\n}\n";
    fs::path root = home.path / "Maildir";
    {
        User u = open_user(home, config);
        CHECK(is_dir(root / ".Trash" / "cur"));
        CHECK(is_dir(root / ".Junk" / "cur"));
        CHECK_FALSE(fs::exists(root / ".Unused"));
        CHECK(loft_test::slurp(root / "subscriptions") == "V\t2\n\nJunk\n");
        CHECK(list(u, "", {"*"}) == V{"INBOX (\\HasChildren)", "INBOX.Junk (\\HasNoChildren \\Subscribed)",
                                      "INBOX.Trash (\\HasNoChildren \\Trash)"});
    }
    // The next login finds them: nothing changes.
    {
        User u = open_user(home, config);
        CHECK(loft_test::slurp(root / "subscriptions") == "V\t2\n\nJunk\n");
        REQUIRE(u.create_auto_mailboxes().is_ok());
    }
}

TEST_CASE("two sessions of one user subscribing at once lose nothing") {
    TempDir home("loft-user");
    User a = open_user(home, kSlash);
    User b = open_user(home, kSlash);
    auto run = [](const User& u, char tag) {
        for (int i = 0; i < 20; ++i)
            CHECK(u.subscribe(std::string(1, tag) + std::to_string(i)).is_ok());
    };
    std::thread t1(run, std::cref(a), 'a');
    std::thread t2(run, std::cref(b), 'b');
    t1.join();
    t2.join();
    auto subs = a.subscriptions();
    REQUIRE(subs.is_ok());
    CHECK(subs->size() == 40);
}
