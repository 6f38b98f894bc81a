#include "storage/mail_location.hpp"

#include <doctest/doctest.h>

using namespace mailstore;
using namespace mailstore::storage;

TEST_CASE("mail_location: the plain Maildir") {
    auto loc = parse_mail_location("maildir:~/Maildir", "/home/alice");
    REQUIRE(loc);
    CHECK(loc->driver == "maildir");
    CHECK(loc->root == "/home/alice/Maildir");
    CHECK(loc->index_dir == "");
    CHECK(loc->control_dir == "");
    CHECK(loc->inbox_dir == "");
    CHECK(loc->subscriptions_file == "subscriptions");
    CHECK(loc->layout == MaildirLayout::maildirplusplus);
    CHECK(!loc->utf8);
    CHECK(!loc->no_noselect);
}

TEST_CASE("mail_location: every key") {
    auto loc = parse_mail_location("MailDir:/var/mail/a/:INDEX=/var/idx/a:CONTROL=~/ctl:INBOX=~/inbox:VOLATILEDIR=/run/v:"
                                   "SUBSCRIPTIONS=subs:LAYOUT=fs:DIRNAME=mAildir:UTF-8:NO-NOSELECT",
                                   "/home/a/");
    REQUIRE(loc);
    CHECK(loc->driver == "maildir");
    CHECK(loc->root == "/var/mail/a");
    CHECK(loc->index_dir == "/var/idx/a");
    CHECK(loc->control_dir == "/home/a/ctl");
    CHECK(loc->inbox_dir == "/home/a/inbox");
    CHECK(loc->volatile_dir == "/run/v");
    CHECK(loc->subscriptions_file == "subs");
    CHECK(loc->layout == MaildirLayout::fs);
    CHECK(loc->dirname == "mAildir");
    CHECK(loc->utf8);
    CHECK(loc->no_noselect);
    auto mem = parse_mail_location("maildir:~/M:INDEX=MEMORY:LAYOUT=maildir++", "/h");
    REQUIRE(mem);
    CHECK(mem->index_dir == "MEMORY");
    CHECK(mem->layout == MaildirLayout::maildirplusplus);
}

TEST_CASE("mail_location: '::' stands for a ':' in a path") {
    auto loc = parse_mail_location("maildir:/srv/a::b/Maildir:INDEX=/i::x:", "");
    REQUIRE(loc);
    CHECK(loc->root == "/srv/a:b/Maildir");
    CHECK(loc->index_dir == "/i:x");
}

TEST_CASE("mail_location: errors name the problem") {
    struct Case {
        const char* text;
        const char* home;
        const char* message;
    } cases[] = {
        {"mdbox:~/mdbox", "/h", "mail_location: driver 'mdbox' is not supported yet"},
        {"sdbox:~/sdbox", "/h", "mail_location: driver 'sdbox' is not supported yet"},
        {"mbox:~/mail", "/h", "mail_location: driver 'mbox' is not supported yet"},
        {"foo:/x", "/h", "mail_location: unknown driver 'foo'"},
        {"maildir:Maildir", "/h", "mail_location: root 'Maildir' is a relative path; give an absolute path or start it with ~/"},
        {"maildir:", "/h", "mail_location: root '' is a relative path"},
        {"", "/h", "mail_location: empty"},
        {"/home/x/Maildir", "/h", "has no DRIVER: prefix"},
        {"maildir:~/Maildir", "", "uses ~ but the user has no home directory"},
        {"maildir:~bob/Maildir", "/h", "~user is not supported"},
        {"maildir:~/M:FOO=1", "/h", "mail_location: unknown parameter FOO"},
        {"maildir:~/M:LAYOUT=index", "/h", "LAYOUT=index is not supported"},
        {"maildir:~/M:INDEX=", "/h", "INDEX= needs a value"},
        {"maildir:~/M:INDEX=rel", "/h", "INDEX 'rel' is a relative path"},
        {"maildir:~/M:CONTROL=MEMORY", "/h", "CONTROL 'MEMORY' is a relative path"},
        {"maildir:~/M:UTF-8=yes", "/h", "UTF-8 takes no value"},
        {"maildir:~/M:SUBSCRIPTIONS=a/b", "/h", "SUBSCRIPTIONS= must be a file name"},
        {"maildir:~/M:DIRNAME=a/b", "/h", "DIRNAME= must be a name"},
        {"maildir:/a/../b", "/h", "contains a '..' component"},
        {"maildir:/a\n", "/h", "contains a control character"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = parse_mail_location(c.text, c.home);
        REQUIRE(!r);
        CHECK(r.status().code() == Status::Code::invalid_argument);
        CHECK(r.status().message().find(c.message) != std::string::npos);
    }
    CHECK(!parse_mail_location(std::string(5000, 'a'), "/h"));
}
