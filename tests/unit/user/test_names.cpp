// Names: which namespace, INBOX case-insensitivity, validation rules and
// resolution to storage names.
#include "user_support.hpp"

#include "user/user_impl.hpp"

using namespace user_test;
using loft_test::TempDir;

namespace {

const char* kThree = "mail_location = maildir:~/Maildir\n"
                     "namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.\n}\n"
                     "namespace other {\n  separator = .\n  prefix =\n  location = maildir:~/other\n}\n"
                     "namespace pub {\n  type = public\n  separator = /\n  prefix = Public/\n"
                     "  location = maildir:~/public:LAYOUT=fs\n}\n";

} // namespace

TEST_CASE("namespace_of: longest prefix, INBOX in any case, the prefix without its separator") {
    TempDir home("loft-user");
    User u = open_user(home, kThree);
    CHECK(u.namespace_of("INBOX") == 0);
    CHECK(u.namespace_of("inbox") == 0);
    CHECK(u.namespace_of("InBoX.Sent") == 0);
    CHECK(u.namespace_of("INBOX.Sent") == 0);
    CHECK(u.namespace_of("Sent") == 1);
    CHECK(u.namespace_of("Public/News") == 2);
    CHECK(u.namespace_of("Public") == 2);
    CHECK(u.namespace_of("Publicity") == 1);
}

TEST_CASE("normalize_name makes the first level INBOX only when it is exactly INBOX") {
    TempDir home("loft-user");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n}\n");
    CHECK(u.normalize_name("inbox") == "INBOX");
    CHECK(u.normalize_name("Inbox/Child") == "INBOX/Child");
    CHECK(u.normalize_name("inboxes") == "inboxes");
    CHECK(u.normalize_name("inbox.x") == "inbox.x");
    CHECK(u.normalize_name("Archive/inbox") == "Archive/inbox");
}

TEST_CASE("validate_name: every rule has its own message") {
    TempDir home("loft-user");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n}\n");
    auto msg = [&](std::string_view name) {
        Status s = u.validate_name(name);
        REQUIRE_FALSE(s.is_ok());
        CHECK(s.code() == Status::Code::invalid_argument);
        return s.message();
    };
    CHECK(u.validate_name("Archive/2024").is_ok());
    CHECK(u.validate_name("Entwürfe").is_ok());
    CHECK(u.validate_name("INBOX").is_ok());
    CHECK(u.validate_name("a&b").is_ok());
    CHECK(msg("") == "empty mailbox name");
    CHECK(msg(std::string(1025, 'a')) == "mailbox name longer than 1024 bytes");
    CHECK(msg("a\tb") == "mailbox name contains a control character");
    CHECK(msg(std::string("a\x7f")) == "mailbox name contains a control character");
    CHECK(msg("bad\xff") == "mailbox name is not valid UTF-8");
    CHECK(msg("/Sent") ==
          "mailbox name '/Sent' has an empty hierarchy level (separator '/' at the start, end or twice)");
    CHECK(msg("a//b").find("empty hierarchy level") != std::string::npos);
    CHECK(msg("a/").find("empty hierarchy level") != std::string::npos);
    CHECK(msg("a/../b") == "mailbox name 'a/../b' has a '..' level");
    CHECK(msg("./b") == "mailbox name './b' has a '.' level");
    CHECK(msg(std::string(256, 'x')) == "mailbox name '" + std::string(256, 'x') +
                                            "' has a level longer than 255 bytes");
    std::string deep;
    for (int i = 0; i < 17; ++i)
        deep += (i ? "/" : "") + std::string("d");
    CHECK(msg(deep) == "mailbox name '" + deep + "' has more than 16 hierarchy levels");
    // Maildir++ keeps folders as ".a.b": a '.' inside a level would split it.
    CHECK(msg("a.b") == "mailbox name 'a.b': character '.' is not allowed (it separates folders on disk)");
}

TEST_CASE("validate_name: '/' inside a level and names outside every namespace") {
    TempDir home("loft-user");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.\n}\n");
    CHECK(u.validate_name("INBOX.Sent").is_ok());
    CHECK(u.validate_name("a/b").message() == "mailbox name 'a/b' is in no namespace");
    CHECK(u.validate_name("INBOX.a/b").message() == "mailbox name 'INBOX.a/b': '/' is not allowed in a name level");
    // The book's example: SELECT .Sent with prefix INBOX. is refused.
    CHECK_FALSE(u.validate_name(".Sent").is_ok());
}

TEST_CASE("resolve_mailbox gives the namespace, storage levels and paths") {
    TempDir home("loft-user");
    User u = open_user(home, kThree);
    auto inbox = resolve_mailbox(u, "inbox");
    REQUIRE(inbox.is_ok());
    CHECK(inbox->name == "INBOX");
    CHECK(inbox->is_inbox);
    CHECK(inbox->storage_name == StorageName{"INBOX"});
    CHECK(inbox->paths.mail_dir == home.str() + "/Maildir");
    auto sent = resolve_mailbox(u, "INBOX.Sent.2024");
    REQUIRE(sent.is_ok());
    CHECK(sent->namespace_index == 0);
    CHECK(sent->storage_name == StorageName{"Sent", "2024"});
    CHECK(sent->paths.mail_dir == home.str() + "/Maildir/.Sent.2024");
    auto other = resolve_mailbox(u, "Notes");
    REQUIRE(other.is_ok());
    CHECK(other->namespace_index == 1);
    CHECK(other->paths.mail_dir == home.str() + "/other/.Notes");
    auto pub = resolve_mailbox(u, "Public/News/Local");
    REQUIRE(pub.is_ok());
    CHECK(pub->namespace_index == 2);
    CHECK(pub->storage_name == StorageName{"News", "Local"});
    CHECK(pub->paths.mail_dir == home.str() + "/public/News/Local");
    CHECK(resolve_mailbox(u, "Public/").status().code() == Status::Code::invalid_argument);
    CHECK(resolve_mailbox(u, "Public").status().message() == "'Public' is the namespace prefix, not a mailbox");
}
