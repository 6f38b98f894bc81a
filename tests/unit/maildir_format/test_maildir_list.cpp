#include "storage/list_backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

using namespace mailstore;
using namespace mailstore::storage;
using fmt_test::TempDir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<MailboxListBackend> make(const std::string& location, const std::string& home) {
    auto loc = parse_mail_location(location, home);
    REQUIRE(loc);
    auto list = make_list_backend(*loc, StorageSettings{});
    REQUIRE(list);
    return std::move(list.value());
}

// "name|S" or "name|N" per mailbox, sorted, levels joined with '/'.
std::vector<std::string> listing(const MailboxListBackend& list) {
    auto r = list.list();
    REQUIRE(r);
    std::vector<std::string> out;
    for (const auto& m : *r) {
        std::string n;
        for (const auto& l : m.name) n += (n.empty() ? "" : "/") + l;
        out.push_back(n + (m.selectable ? "|S" : "|N"));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool is_dir(const std::string& p) { return fs::is_directory(p); }
bool exists(const std::string& p) { return fs::exists(fs::symlink_status(p)); }
unsigned mode_of(const std::string& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("maildir list: Maildir++ layout as Dovecot writes it") {
    TempDir home;
    auto list = make("maildir:~/Maildir", home.str());
    CHECK(list->native_separator() == '.');
    CHECK(listing(*list).empty());
    REQUIRE(list->create({"INBOX"}));
    const std::string root = home / "Maildir";
    CHECK(is_dir(root + "/cur"));
    CHECK(is_dir(root + "/new"));
    CHECK(is_dir(root + "/tmp"));
    CHECK(mode_of(root) == 0700);
    REQUIRE(list->create({"Archive", "2024"}));
    REQUIRE(list->create({"Entwürfe"}));
    REQUIRE(list->create({"a&b"}));
    CHECK(is_dir(root + "/.Archive.2024/cur"));
    CHECK(is_dir(root + "/.Entw&APw-rfe/new"));
    CHECK(is_dir(root + "/.a&-b/tmp"));
    CHECK(fs::file_size(root + "/.Archive.2024/maildirfolder") == 0);
    CHECK(mode_of(root + "/.Archive.2024") == 0700);
    CHECK(mode_of(root + "/.Archive.2024/cur") == 0700);
    CHECK(mode_of(root + "/.Archive.2024/maildirfolder") == 0600);
    CHECK(listing(*list) == std::vector<std::string>{"Archive/2024|S", "Entwürfe|S", "INBOX|S", "a&b|S"});
    CHECK(list->create({"Archive", "2024"}).code() == Status::Code::already_exists);
    CHECK(list->create({"INBOX"}).code() == Status::Code::already_exists);

    const auto p = list->paths({"Archive", "2024"});
    CHECK(p.mail_dir == root + "/.Archive.2024");
    CHECK(p.control_dir == p.mail_dir);
    CHECK(p.index_dir == p.mail_dir);
    CHECK(p.volatile_dir == "");
    CHECK(list->paths({"INBOX"}).mail_dir == root);
    CHECK(list->subscriptions_path() == root + "/subscriptions");
    CHECK(list->index_root() == root);
}

TEST_CASE("maildir list: Dovecot's names that Maildir++ can't hold") {
    TempDir home;
    auto list = make("maildir:~/Maildir", home.str());
    auto s = list->create({"x.y"});
    CHECK(s.code() == Status::Code::invalid_argument);
    CHECK(s.message().find("Character not allowed in mailbox name: '.'") == 0);
    CHECK(list->create({"a/b"}).message().find("'/'") != std::string::npos);
    CHECK(list->create({"tab\tx"}).message() == "Control characters not allowed in mailbox names");
    CHECK(list->create({"a", ""}).code() == Status::Code::invalid_argument);
    CHECK(list->create({}).code() == Status::Code::invalid_argument);
    CHECK(list->create({"bad\xff"}).message().find("not valid UTF-8") != std::string::npos);
    CHECK(list->create({std::string(300, 'x')}).code() == Status::Code::invalid_argument);
    CHECK(!exists(home / "Maildir/.x.y"));
}

TEST_CASE("maildir list: fs layout, same operations") {
    TempDir home;
    auto list = make("maildir:~/Maildir:LAYOUT=fs", home.str());
    CHECK(list->native_separator() == '/');
    const std::string root = home / "Maildir";
    REQUIRE(list->create({"INBOX"}));
    REQUIRE(list->create({"Archive", "2024"}));
    REQUIRE(list->create({"Entwürfe"}));
    REQUIRE(list->create({"x.y"}));
    REQUIRE(list->create({".lead"}));
    CHECK(is_dir(root + "/Archive/2024/cur"));
    CHECK(!exists(root + "/Archive/cur"));
    CHECK(!exists(root + "/Archive/2024/maildirfolder"));
    CHECK(is_dir(root + "/Entw&APw-rfe/cur"));
    CHECK(listing(*list) ==
          std::vector<std::string>{".lead|S", "Archive/2024|S", "Archive|N", "Entwürfe|S", "INBOX|S", "x.y|S"});
    CHECK(list->create({"c", ".."}).message() == "Invalid mailbox name: Contains '..' part");
    CHECK(list->create({"cur"}).code() == Status::Code::invalid_argument);
    // Creating the \Noselect parent makes it selectable.
    REQUIRE(list->create({"Archive"}));
    CHECK(is_dir(root + "/Archive/cur"));
    CHECK(is_dir(root + "/Archive/2024/cur"));
}

TEST_CASE("maildir list: UTF-8 names on disk") {
    TempDir home;
    auto list = make("maildir:~/Maildir:LAYOUT=fs:UTF-8", home.str());
    REQUIRE(list->create({"Entwürfe"}));
    CHECK(is_dir(home / "Maildir/Entwürfe/cur"));
    auto pp = make("maildir:~/M2:UTF-8", home.str());
    REQUIRE(pp->create({"Entwürfe"}));
    CHECK(is_dir(home / "M2/.Entwürfe/cur"));
    CHECK(listing(*pp) == std::vector<std::string>{"Entwürfe|S"});
}

TEST_CASE("maildir list: folders not valid modified UTF-7 and stray files are skipped") {
    TempDir home;
    auto list = make("maildir:~/Maildir", home.str());
    REQUIRE(list->create({"INBOX"}));
    fs::create_directories(home / "Maildir/.bad&name/cur");
    fs::create_directories(home / "Maildir/.a..b/cur");
    fmt_test::write_file(home / "Maildir/.notadir", "");
    fs::create_directories(home / "Maildir/.onlydir");
    CHECK(listing(*list) == std::vector<std::string>{"INBOX|S", "onlydir|N"});
}

TEST_CASE("maildir list: folder names that decode to control characters or bad UTF-8 are never listed") {
    TempDir home;
    auto list = make("maildir:~/Maildir", home.str());
    REQUIRE(list->create({"INBOX"}));
    fs::create_directories(home / "Maildir/.&AAoACg-/cur");    // "\n\n"
    fs::create_directories(home / "Maildir/.a&AA0ACg-b/cur");  // "a\r\nb"
    fs::create_directories(home / "Maildir/.&AAA-/cur");       // NUL
    fs::create_directories(home / "Maildir/.Good/cur");
    CHECK(listing(*list) == std::vector<std::string>{"Good|S", "INBOX|S"});
    auto fsl = make("maildir:~/F:LAYOUT=fs", home.str());
    REQUIRE(fsl->create({"INBOX"}));
    fs::create_directories(home / "F/&AAoACg-/cur");
    fs::create_directories(home / "F/ok/&AH8-/cur");              // DEL below a good parent
    CHECK(listing(*fsl) == std::vector<std::string>{"INBOX|S", "ok|N"});
    auto utf = make("maildir:~/U:UTF-8", home.str());
    REQUIRE(utf->create({"INBOX"}));
    fs::create_directories(home / "U/.tab\there/cur");
    fs::create_directories(home / "U/.bad\xff/cur");
    fs::create_directories(home / "U/.fine/cur");
    CHECK(listing(*utf) == std::vector<std::string>{"INBOX|S", "fine|S"});
}

TEST_CASE("maildir list: remove deletes the files, keeps children") {
    TempDir home;
    auto list = make("maildir:~/Maildir", home.str());
    const std::string root = home / "Maildir";
    REQUIRE(list->create({"INBOX"}));
    REQUIRE(list->create({"a"}));
    REQUIRE(list->create({"a", "b"}));
    for (const char* f : {"dovecot-uidlist", "dovecot-keywords", "dovecot.index", "dovecot.index.log",
                          "dovecot.index.cache", "loft.index", "loft.index.log", "cur/1:2,S", "new/2", "tmp/3"})
        fmt_test::write_file(root + "/.a/" + f, "x");
    REQUIRE(list->remove({"a"}));
    CHECK(!exists(root + "/.a"));
    CHECK(is_dir(root + "/.a.b/cur"));
    CHECK(listing(*list) == std::vector<std::string>{"INBOX|S", "a/b|S"});
    CHECK(list->remove({"a"}).code() == Status::Code::not_found);
    CHECK(list->remove({"INBOX"}).code() == Status::Code::invalid_argument);
    // Something that is not ours keeps the directory (and is kept).
    fmt_test::write_file(root + "/.a.b/notes.txt", "mine");
    REQUIRE(list->remove({"a", "b"}));
    CHECK(fmt_test::read_file(root + "/.a.b/notes.txt") == "mine");
    CHECK(!exists(root + "/.a.b/cur"));
    CHECK(listing(*list) == std::vector<std::string>{"INBOX|S", "a/b|N"});

    auto fsl = make("maildir:~/F:LAYOUT=fs", home.str());
    REQUIRE(fsl->create({"p"}));
    REQUIRE(fsl->create({"p", "q"}));
    fmt_test::write_file(home / "F/p/cur/1:2,", "x");
    REQUIRE(fsl->remove({"p"}));
    CHECK(is_dir(home / "F/p/q/cur"));
    CHECK(!exists(home / "F/p/cur"));
    CHECK(listing(*fsl) == std::vector<std::string>{"p/q|S", "p|N"});
    REQUIRE(fsl->remove({"p", "q"}));
    CHECK(!exists(home / "F/p/q"));
}

TEST_CASE("maildir list: rename moves children, index and control trees") {
    TempDir home;
    const std::string opts = ":INDEX=~/idx:CONTROL=~/ctl";
    auto list = make("maildir:~/Maildir" + opts, home.str());
    const std::string root = home / "Maildir";
    REQUIRE(list->create({"a"}));
    REQUIRE(list->create({"a", "b"}));
    REQUIRE(list->create({"ab"}));
    REQUIRE(list->create({"z"}));
    CHECK(is_dir(home / "idx/.a.b"));
    CHECK(is_dir(home / "ctl/.a"));
    fmt_test::write_file(home / "ctl/.a.b/dovecot-uidlist", "3 V1 N1\n");
    CHECK(list->paths({"a", "b"}).control_dir == home / "ctl/.a.b");
    CHECK(list->paths({"a", "b"}).index_dir == home / "idx/.a.b");
    CHECK(list->paths({"INBOX"}).control_dir == home / "ctl");
    CHECK(list->subscriptions_path() == home / "ctl/subscriptions");
    CHECK(list->index_root() == home / "idx");
    CHECK(list->rename({"a"}, {"z"}).code() == Status::Code::already_exists);
    CHECK(list->rename({"a"}, {"a", "c"}).code() == Status::Code::invalid_argument);
    CHECK(list->rename({"nope"}, {"y"}).code() == Status::Code::not_found);
    REQUIRE(list->rename({"a"}, {"n", "m"}));
    CHECK(listing(*list) == std::vector<std::string>{"ab|S", "n/m/b|S", "n/m|S", "z|S"});
    CHECK(fmt_test::read_file(home / "ctl/.n.m.b/dovecot-uidlist") == "3 V1 N1\n");
    CHECK(is_dir(home / "idx/.n.m"));
    CHECK(!exists(home / "idx/.a"));
    CHECK(is_dir(home / "idx/.ab"));

    auto fsl = make("maildir:~/F:LAYOUT=fs:INDEX=~/fidx", home.str());
    REQUIRE(fsl->create({"a"}));
    REQUIRE(fsl->create({"a", "b"}));
    REQUIRE(fsl->rename({"a"}, {"x", "y"}));
    CHECK(listing(*fsl) == std::vector<std::string>{"x/y/b|S", "x/y|S", "x|N"});
    CHECK(is_dir(home / "fidx/x/y/b"));
    CHECK(list->rename({"INBOX"}, {"old"}).code() == Status::Code::invalid_argument);
}

TEST_CASE("maildir list: INBOX=, VOLATILEDIR=, DIRNAME= and INDEX=MEMORY") {
    TempDir home;
    auto list = make("maildir:~/Maildir:INBOX=~/inbox:VOLATILEDIR=/run/v:INDEX=MEMORY", home.str());
    REQUIRE(list->create({"INBOX"}));
    CHECK(is_dir(home / "inbox/cur"));
    CHECK(!exists(home / "Maildir/cur"));
    CHECK(list->paths({"INBOX"}).index_dir == "MEMORY");
    CHECK(list->paths({"a"}).volatile_dir == "/run/v/.a");
    CHECK(list->paths({"INBOX"}).volatile_dir == "/run/v");
    CHECK(listing(*list) == std::vector<std::string>{"INBOX|S"});

    auto dn = make("maildir:~/D:LAYOUT=fs:DIRNAME=mail", home.str());
    REQUIRE(dn->create({"INBOX"}));
    CHECK(is_dir(home / "D/INBOX/mail/cur")); // where Dovecot puts it with DIRNAME
    CHECK(!exists(home / "D/cur"));
    REQUIRE(dn->create({"a", "b"}));
    CHECK(is_dir(home / "D/a/b/mail/cur"));
    CHECK(dn->paths({"a", "b"}).mail_dir == home / "D/a/b/mail");
    CHECK(listing(*dn) == std::vector<std::string>{"INBOX|S", "a/b|S", "a|N"});
    CHECK(dn->create({"mail"}).code() == Status::Code::invalid_argument);
}

TEST_CASE("maildir list: new folders take the root's mode and setgid group") {
    TempDir home;
    const std::string root = home / "Maildir";
    fs::create_directories(root);
    REQUIRE(::chmod(root.c_str(), 02770) == 0);
    auto list = make("maildir:~/Maildir", home.str());
    REQUIRE(list->create({"shared"}));
    CHECK(mode_of(root + "/.shared") == 02770);
    CHECK(mode_of(root + "/.shared/cur") == 02770);
    CHECK(mode_of(root + "/.shared/maildirfolder") == 0660);
}

TEST_CASE("maildir list: other drivers are refused") {
    MailLocation loc;
    loc.driver = "mdbox";
    loc.root = "/x";
    auto r = make_list_backend(loc, StorageSettings{});
    REQUIRE(!r);
    CHECK(r.status().message() == "mail_location: driver 'mdbox' is not supported yet");
}
