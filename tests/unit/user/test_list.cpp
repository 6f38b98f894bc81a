// LIST on real Maildirs: RFC 3501 LIST/LSUB, RFC 5258 selection options,
// namespaces with prefixes, special-use.
#include "user_support.hpp"

using namespace user_test;
using loft_test::TempDir;
using V = std::vector<std::string>;

namespace {

const char* kSlash = "mail_location = maildir:~/Maildir\n"
                     "namespace inbox {\n  inbox = yes\n  separator = /\n"
                     "  mailbox Sent {\n    special_use = \\Sent\n  }\n}\n";

// Maildir++ folders as Dovecot creates them.
void folders(const TempDir& home, std::initializer_list<const char*> dirs) {
    make_maildir(home.str() + "/Maildir");
    for (const char* d : dirs) {
        make_maildir(home.str() + "/Maildir/" + d);
        std::string marker = home.str() + "/Maildir/" + d + "/maildirfolder";
        std::ofstream(marker).flush();
    }
}

} // namespace

TEST_CASE("LIST \"\" \"\" gives the separator and the root (RFC 3501 6.3.8)") {
    TempDir home("loft-user");
    User u = open_user(home, kSlash);
    ListQuery q;
    q.patterns = {""};
    auto r = u.list(q);
    REQUIRE(r.is_ok());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].name == "");
    CHECK((*r)[0].separator == '/');
    CHECK((*r)[0].attributes == attr_noselect);
    q.reference = "Archive/2024";
    r = u.list(q);
    CHECK((*r)[0].name == "Archive/");
}

TEST_CASE("'*' and '%': INBOX first, missing parents \\Noselect, children attributes") {
    TempDir home("loft-user");
    folders(home, {".Archive.2024", ".Archive.2023.Q1", ".Sent", ".Lists.loft", ".Entw&APw-rfe"});
    User u = open_user(home, kSlash);
    CHECK(list(u, "", {"*"}) == V{"INBOX (\\HasNoChildren)", "Archive (\\Noselect \\HasChildren)",
                                  "Archive/2023 (\\Noselect \\HasChildren)", "Archive/2023/Q1 (\\HasNoChildren)",
                                  "Archive/2024 (\\HasNoChildren)", "Entwürfe (\\HasNoChildren)",
                                  "Lists (\\Noselect \\HasChildren)", "Lists/loft (\\HasNoChildren)",
                                  "Sent (\\HasNoChildren \\Sent)"});
    CHECK(list(u, "", {"%"}) == V{"INBOX (\\HasNoChildren)", "Archive (\\Noselect \\HasChildren)",
                                  "Entwürfe (\\HasNoChildren)", "Lists (\\Noselect \\HasChildren)",
                                  "Sent (\\HasNoChildren \\Sent)"});
    CHECK(list(u, "Archive/", {"%"}) == V{"Archive/2023 (\\Noselect \\HasChildren)",
                                          "Archive/2024 (\\HasNoChildren)"});
    CHECK(list(u, "", {"Archive/%/%"}) == V{"Archive/2023/Q1 (\\HasNoChildren)"});
    CHECK(list(u, "", {"inbox"}) == V{"INBOX (\\HasNoChildren)"});
    CHECK(list(u, "", {"*2024", "Lists"}) == V{"Archive/2024 (\\HasNoChildren)", "Lists (\\Noselect \\HasChildren)"});
    CHECK(list(u, "", {"nothing*"}).empty());
}

TEST_CASE("SPECIAL-USE from mailbox blocks and from CREATE USE") {
    TempDir home("loft-user");
    folders(home, {".Sent", ".Old"});
    User u = open_user(home, kSlash);
    REQUIRE(u.create_mailbox("Bin", special_trash).is_ok());
    CHECK(loft_test::slurp(home.path / "Maildir" / "loft-special-use") == "\\Trash\tBin\n");
    ListQuery q;
    q.patterns = {"*"};
    q.special_use_only = true;
    auto r = u.list(q);
    REQUIRE(r.is_ok());
    CHECK(describe(*r) == V{"Bin (\\HasNoChildren \\Trash)", "Sent (\\HasNoChildren \\Sent)"});
}

TEST_CASE("SUBSCRIBED, RECURSIVEMATCH and \\NonExistent (RFC 5258 section 5 examples)") {
    TempDir home("loft-user");
    // RFC 5258 example 5.1: Fruit/Apple, Fruit/Banana (subscribed),
    // Fruit/Peach (subscribed, deleted), Tofu, Vegetable/... .
    folders(home, {".Fruit", ".Fruit.Apple", ".Fruit.Banana", ".Tofu", ".Vegetable", ".Vegetable.Broccoli",
                   ".Vegetable.Corn"});
    User u = open_user(home, kSlash);
    for (const char* name : {"Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"})
        REQUIRE(u.subscribe(name).is_ok());
    CHECK(list(u, "", {"*"}, true) == V{"Fruit/Banana (\\HasNoChildren \\Subscribed)",
                                        "Fruit/Peach (\\Noselect \\NonExistent \\HasNoChildren \\Subscribed)",
                                        "Vegetable (\\HasChildren \\Subscribed)",
                                        "Vegetable/Broccoli (\\HasNoChildren \\Subscribed)"});
    // RECURSIVEMATCH with "%": parents of subscribed children get CHILDINFO.
    CHECK(list(u, "", {"%"}, true, true) == V{"Fruit (\\HasChildren CHILDINFO)",
                                              "Vegetable (\\HasChildren \\Subscribed CHILDINFO)"});
    // Plain LIST shows \Subscribed too but never the non-existent name.
    CHECK(list(u, "", {"Fruit/*"}) == V{"Fruit/Apple (\\HasNoChildren)", "Fruit/Banana (\\HasNoChildren \\Subscribed)"});
}

TEST_CASE("LSUB: subscribed names, and a '%' parent of a subscribed name as \\Noselect (RFC 3501 6.3.9)") {
    TempDir home("loft-user");
    folders(home, {".news", ".news.comp", ".news.comp.mail", ".news.comp.mail.misc"});
    User u = open_user(home, kSlash);
    REQUIRE(u.subscribe("news/comp/mail/misc").is_ok());
    REQUIRE(u.subscribe("news/comp/mail/mime").is_ok());
    CHECK(list(u, "news/", {"comp/mail/*"}, false, false, true) ==
          V{"news/comp/mail/mime (\\Noselect \\NonExistent \\HasNoChildren \\Subscribed)",
            "news/comp/mail/misc (\\HasNoChildren \\Subscribed)"});
    auto parents = list(u, "news/", {"comp/%"}, false, false, true);
    CHECK(parents == V{"news/comp/mail (\\Noselect \\HasChildren)"});
}

TEST_CASE("namespaces: prefixes INBOX. and Public/, list = children, hidden still listed") {
    TempDir home("loft-user");
    make_maildir(home.str() + "/Maildir");
    make_maildir(home.str() + "/Maildir/.Sent");
    make_maildir(home.str() + "/public/.News");
    make_maildir(home.str() + "/empty");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.\n}\n"
                             "namespace pub {\n  type = public\n  separator = /\n  prefix = Public/\n"
                             "  location = maildir:~/public\n  list = children\n  hidden = yes\n"
                             "  subscriptions = no\n}\n"
                             "namespace none {\n  type = public\n  separator = /\n  prefix = Empty/\n"
                             "  location = maildir:~/empty\n  list = children\n}\n");
    CHECK(list(u, "", {"*"}) == V{"INBOX (\\HasChildren)", "INBOX.Sent (\\HasNoChildren)",
                                  "Public (\\Noselect \\HasChildren)", "Public/News (\\HasNoChildren)"});
    CHECK(list(u, "", {"%"}) == V{"INBOX (\\HasChildren)", "Public (\\Noselect \\HasChildren)"});
    CHECK(list(u, "", {"INBOX.%"}) == V{"INBOX.Sent (\\HasNoChildren)"});
    CHECK(list(u, "Public/", {"*"}) == V{"Public/News (\\HasNoChildren)"});
}

TEST_CASE("a fs-layout parent directory without cur/ is \\Noselect") {
    TempDir home("loft-user");
    make_maildir(home.str() + "/Mailfs");
    make_maildir(home.str() + "/Mailfs/a/b");
    User u = open_user(home, "mail_location = maildir:~/Mailfs:LAYOUT=fs\n");
    CHECK(list(u, "", {"*"}) == V{"INBOX (\\HasNoChildren)", "a (\\Noselect \\HasChildren)", "a/b (\\HasNoChildren)"});
}

TEST_CASE("list = no hides a namespace unless the pattern names its prefix") {
    TempDir home("loft-user");
    make_maildir(home.str() + "/Maildir");
    make_maildir(home.str() + "/arch/.2020");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
                             "namespace arch {\n  type = public\n  separator = /\n  prefix = Archive/\n"
                             "  location = maildir:~/arch\n  list = no\n}\n");
    CHECK(list(u, "", {"*"}) == V{"INBOX (\\HasNoChildren)"});
    CHECK(list(u, "Archive/", {"*"}) == V{"Archive/2020 (\\HasNoChildren)"});
}

TEST_CASE("a damaged loft-special-use file loses only its bad lines") {
    TempDir home("loft-user");
    folders(home, {".Bin", ".Old"});
    home.write("Maildir/loft-special-use", "\\Trash\tBin\nno tab here\n\\Bogus\tOld\n\\Archive\tOld\n");
    User u = open_user(home, kSlash);
    CHECK(list(u, "", {"Bin", "Old"}) == V{"Bin (\\HasNoChildren \\Trash)", "Old (\\HasNoChildren \\Archive)"});
}

TEST_CASE("LSUB '%' returns a namespace prefix whose child is subscribed as \\Noselect") {
    TempDir home("loft-user");
    make_maildir(home.str() + "/Maildir");
    make_maildir(home.str() + "/public/.News");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
                             "namespace pub {\n  type = public\n  separator = /\n  prefix = Public/\n"
                             "  location = maildir:~/public\n  subscriptions = no\n}\n");
    REQUIRE_OK(u.subscribe("Public/News"));
    CHECK(list(u, "", {"%"}, false, false, true) == V{"Public (\\Noselect \\HasChildren)"});
    CHECK(list(u, "", {"*"}, false, false, true) == V{"Public/News (\\HasNoChildren \\Subscribed)"});
}
