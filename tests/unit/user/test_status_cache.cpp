// STATUS through the mailbox-list index: answered from loft.list.index while
// the mailbox's change stamp holds, recomputed after any change (also one
// made by another program), rebuilt when the file is corrupt.
#include "user_support.hpp"

#include "user/user_impl.hpp"

#include <filesystem>

using namespace user_test;
using loft_test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kConf = "mail_location = maildir:~/Maildir\n";

// The cache line of `name` with its MESSAGES field replaced by `messages`.
std::string with_messages(const std::string& text, const std::string& name, const std::string& messages) {
    auto start = text.find("\n" + name + "\t");
    REQUIRE(start != std::string::npos);
    start += 1;
    auto f1 = text.find('\t', start);
    auto f2 = text.find('\t', f1 + 1);
    auto f3 = text.find('\t', f2 + 1);
    return text.substr(0, f2 + 1) + messages + text.substr(f3);
}

} // namespace

TEST_CASE("STATUS is answered from the cache until the mailbox changes") {
    TempDir home("loft-user");
    fs::path root = home.path / "Maildir";
    make_maildir(root.string());
    std::ofstream(root / "new" / "1700000000.M1P1.test") << "Subject: a\n\nx\n";
    std::ofstream(root / "cur" / "1700000001.M1P1.test:2,S") << "Subject: b\n\nx\n";
    User u = open_user(home, kConf);
    auto first = u.status("INBOX", status_all);
    REQUIRE_MESSAGE(first.is_ok(), first.status().message());
    CHECK(first->messages == 2);
    CHECK(first->unseen == 1);
    // A second STATUS settles the stamp (opening may have moved new/ to cur/).
    REQUIRE(u.status("INBOX", status_all).is_ok());
    fs::path cache = root / "loft.list.index";
    std::string text = loft_test::slurp(cache);
    REQUIRE(text.starts_with("LOFT-LIST-INDEX 1\nINBOX\t"));
    CHECK(text.find("\t2\t") != std::string::npos);

    // Proof that the file answers: a value only the file holds comes back.
    std::ofstream(cache, std::ios::binary | std::ios::trunc) << with_messages(text, "INBOX", "99");
    auto cached = u.status("INBOX", status_messages);
    REQUIRE(cached.is_ok());
    CHECK(cached->messages == 99);

    // Another program drops a message into new/: the stamp no longer matches.
    std::ofstream(root / "new" / "1700000002.M1P2.other") << "Subject: c\n\nx\n";
    auto fresh = u.status("INBOX", status_messages);
    REQUIRE(fresh.is_ok());
    CHECK(fresh->messages == 3);
}

TEST_CASE("a corrupt or foreign list index is ignored and rewritten") {
    TempDir home("loft-user");
    fs::path root = home.path / "Maildir";
    make_maildir(root.string());
    std::ofstream(root / "cur" / "1700000001.M1P1.test:2,") << "Subject: b\n\nx\n";
    for (const char* junk : {"garbage\n", "LOFT-LIST-INDEX 1\nINBOX\tnot-numbers\n",
                             "LOFT-LIST-INDEX 1\nINBOX\tg\t1\t2\t3\t4\t5\t6\t7\t8\n"}) {
        CAPTURE(junk);
        home.write("Maildir/loft.list.index", junk);
        User u = open_user(home, kConf);
        auto st = u.status("INBOX", status_messages);
        REQUIRE(st.is_ok());
        CHECK(st->messages == 1);
        CHECK(loft_test::slurp(root / "loft.list.index").starts_with("LOFT-LIST-INDEX 1\nINBOX\t"));
    }
}

TEST_CASE("STATUS of a missing mailbox is not_found; DELETE drops its cache entry") {
    TempDir home("loft-user");
    User u = open_user(home, kConf);
    CHECK(u.status("Nope", status_messages).status().code() == Status::Code::not_found);
    REQUIRE(u.create_mailbox("Box").is_ok());
    REQUIRE(u.status("Box", status_all).is_ok());
    CHECK(loft_test::slurp(home.path / "Maildir" / "loft.list.index").find("\nBox\t") != std::string::npos);
    REQUIRE(u.delete_mailbox("Box").is_ok());
    CHECK(loft_test::slurp(home.path / "Maildir" / "loft.list.index").find("\nBox\t") == std::string::npos);
}

TEST_CASE("remember_status records what the generic layer reports, bounded to valid names") {
    TempDir home("loft-user");
    User u = open_user(home, kConf);
    auto box = resolve_mailbox(u, "INBOX");
    REQUIRE(box.is_ok());
    MailboxStatus st;
    st.messages = 7;
    st.guid = "0123456789abcdef0123456789abcdef";
    mkdirs(home.str() + "/Maildir");
    remember_status(u, *box, st, "stamp|1");
    CHECK(loft_test::slurp(home.path / "Maildir" / "loft.list.index") ==
          "LOFT-LIST-INDEX 1\nINBOX\t0123456789abcdef0123456789abcdef\t7\t0\t1\t0\t0\t0\t0\t0\t0\tstamp|1\n");
    // A stamp with a line break cannot be stored: the file is unchanged.
    remember_status(u, *box, st, "bad\nstamp");
    CHECK(loft_test::slurp(home.path / "Maildir" / "loft.list.index").ends_with("\tstamp|1\n"));
}

TEST_CASE("STATUS SIZE of files without S=/W= is read from the files and then cached") {
    TempDir home("loft-user");
    fs::path root = home.path / "Maildir";
    make_maildir(root.string());
    // 14 bytes with LF line ends: 17 as RFC822.SIZE (CRLF).
    std::ofstream(root / "cur" / "1700000001.M1P1.test:2,S") << "Subject: a\n\nx\n";
    std::ofstream(root / "cur" / "1700000002.M1P1.test:2,S") << "Subject: b\n\nx\n";
    User u = open_user(home, kConf);
    auto first = u.status("INBOX", status_messages | status_size);
    REQUIRE(first.is_ok());
    CHECK(first->size == 34);
    auto again = u.status("INBOX", status_messages | status_size);
    REQUIRE(again.is_ok());
    CHECK(again->size == 34);
}
