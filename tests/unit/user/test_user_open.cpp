// User::open: userdb fields, mail_location expansion, storage settings,
// namespace rules and their errors.
#include "user_support.hpp"

#include "user/user_impl.hpp"

using namespace user_test;
using loft_test::TempDir;

TEST_CASE("user_settings_from_userdb takes home, mail, uid and gid; the rest stays as settings") {
    auth::FieldList fields{{"uid", "5000"}, {"gid", "5001"}, {"home", "/srv/mail/alice"},
                           {"mail", "maildir:~/M"}, {"mail_fsync", "never"}, {"quota_rule", "*:storage=1G"}};
    UserSettings s = user_settings_from_userdb("alice", fields, "imap");
    CHECK(s.username == "alice");
    CHECK(s.home == "/srv/mail/alice");
    CHECK(s.mail_location == "maildir:~/M");
    CHECK(s.uid == 5000u);
    CHECK(s.gid == 5001u);
    CHECK(s.service == "imap");
    CHECK(s.userdb_fields.get("mail_fsync") == "never");
    CHECK(s.userdb_fields.get("quota_rule") == "*:storage=1G");
    CHECK_FALSE(s.userdb_fields.has("home"));
    // A uid that is neither a number nor a system user is not silently made 0.
    UserSettings bad = user_settings_from_userdb("bob", auth::FieldList{{"uid", "no-such-user-here"}});
    CHECK_FALSE(bad.uid.has_value());
    CHECK(bad.userdb_fields.get("uid") == "no-such-user-here");
    // Names of system users and groups are looked up, as Dovecot does.
    UserSettings named = user_settings_from_userdb("carol", auth::FieldList{{"uid", "root"}, {"gid", "root"}});
    CHECK(named.uid == 0u);
    CHECK(named.gid == 0u);
    UserSettings nobody = user_settings_from_userdb("dave", auth::FieldList{{"uid", "nobody"}, {"gid", "nogroup"}});
    CHECK(nobody.uid == 65534u);
    CHECK(nobody.gid == 65534u);
}

TEST_CASE("without namespace blocks: one inbox namespace with the storage's separator") {
    TempDir home("loft-user");
    {
        User u = open_user(home, "mail_location = maildir:~/Maildir\n");
        REQUIRE(u.namespaces().size() == 1);
        const NamespaceInfo& ns = u.namespaces()[0];
        CHECK(ns.inbox);
        CHECK(ns.prefix.empty());
        CHECK(ns.separator == '.');
        CHECK(ns.location == "maildir:~/Maildir");
        CHECK(ns.type == NamespaceType::private_ns);
    }
    {
        User u = open_user(home, "mail_location = maildir:~/Mailfs:LAYOUT=fs\n");
        CHECK(u.namespaces().at(0).separator == '/');
    }
}

TEST_CASE("mail_location variables and the userdb mail field") {
    TempDir home("loft-user");
    auto c = conf("mail_location = maildir:/srv/%d/%n/Maildir:INDEX=%h/idx\n");
    auto u = User::open(c, settings_for(home, "alice@example.com"));
    REQUIRE(u.is_ok());
    CHECK(u->namespaces()[0].location == "maildir:/srv/example.com/alice/Maildir:INDEX=" + home.str() + "/idx");
    UserSettings s = settings_for(home, "bob");
    s.mail_location = "maildir:~/Other/%u";
    auto v = User::open(c, s);
    REQUIRE(v.is_ok());
    CHECK(v->namespaces()[0].location == "maildir:~/Other/bob");
}

TEST_CASE("no mail_location: ~/Maildir is found, else not_found naming the fix") {
    TempDir home("loft-user");
    auto none = User::open(conf(""), settings_for(home));
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.status().code() == Status::Code::not_found);
    CHECK(none.status().message().find("set mail_location") != std::string::npos);
    make_maildir(home.str() + "/Maildir");
    auto found = User::open(conf(""), settings_for(home));
    REQUIRE_MESSAGE(found.is_ok(), found.status().message());
    CHECK(found->namespaces()[0].location == "maildir:~/Maildir");
}

TEST_CASE("storage settings come from the config, with userdb fields overriding them") {
    TempDir home("loft-user");
    auto c = conf("mail_location = maildir:~/Maildir\nmail_fsync = always\nmail_save_crlf = yes\n"
                  "maildir_copy_with_hardlinks = no\nmail_max_lock_timeout = 5 secs\n"
                  "plugin {\n  zlib_save = bz2\n  zlib_save_level = 3\n}\n");
    UserSettings s = settings_for(home);
    {
        auto u = User::open(c, s);
        REQUIRE(u.is_ok());
        const StorageSettings& st = user_storage_settings(*u);
        CHECK(st.fsync == index::FsyncMode::always);
        CHECK(st.save_crlf);
        CHECK_FALSE(st.copy_with_hardlinks);
        CHECK(st.lock_timeout == std::chrono::milliseconds(5000));
        CHECK(st.compress == CompressFormat::bz2);
        CHECK(st.compress_level == 3);
        CHECK_FALSE(st.hostname.empty());
        CHECK(st.hostname.find_first_of("/:") == std::string::npos);
    }
    s.userdb_fields.set("mail_fsync", "never");
    s.userdb_fields.set("zlib_save", "gz");
    {
        auto u = User::open(c, s);
        REQUIRE(u.is_ok());
        CHECK(user_storage_settings(*u).fsync == index::FsyncMode::never);
        CHECK(user_storage_settings(*u).compress == CompressFormat::gz);
    }
    s.userdb_fields.set("zlib_save", "lz4");
    auto bad = User::open(c, s);
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() == "plugin zlib_save: 'lz4' is not supported (use gz or bz2)");
    s.userdb_fields.set("zlib_save", "gz");
    s.userdb_fields.set("mail_fsync", "sometimes");
    CHECK(User::open(c, s).status().message() == "mail_fsync: 'sometimes' is not optimized, always or never");
    // Defaults: Dovecot's.
    auto d = User::open(conf("mail_location = maildir:~/Maildir\n"), settings_for(home));
    REQUIRE(d.is_ok());
    CHECK(user_storage_settings(*d).fsync == index::FsyncMode::optimized);
    CHECK(user_storage_settings(*d).copy_with_hardlinks);
    CHECK(user_storage_settings(*d).lock_timeout == std::chrono::milliseconds(30000));
    CHECK(user_storage_settings(*d).compress == CompressFormat::none);
}

TEST_CASE("namespace blocks: order, prefixes, public location, hidden/list/subscriptions") {
    TempDir home("loft-user");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n  separator = /\n  prefix =\n}\n"
                             "namespace pub {\n  type = public\n  separator = /\n  prefix = Public/\n"
                             "  location = maildir:~/public\n  subscriptions = no\n  list = children\n"
                             "  hidden = yes\n}\n");
    REQUIRE(u.namespaces().size() == 2);
    CHECK(u.namespaces()[0].name == "inbox");
    CHECK(u.namespaces()[0].separator == '/');
    CHECK(u.namespaces()[1].type == NamespaceType::public_ns);
    CHECK(u.namespaces()[1].prefix == "Public/");
    CHECK(u.namespaces()[1].location == "maildir:~/public");
    CHECK(u.namespaces()[1].hidden);
    CHECK(u.namespaces()[1].list == NamespaceList::children);
    CHECK_FALSE(u.namespaces()[1].subscriptions);
}

TEST_CASE("namespace rules are Dovecot's, with errors naming file:line and the fix") {
    TempDir home("loft-user");
    auto error_of = [&](const std::string& text) {
        auto u = User::open(conf("mail_location = maildir:~/Maildir\n" + text), settings_for(home));
        REQUIRE_FALSE(u.is_ok());
        CHECK(u.status().code() == Status::Code::invalid_argument);
        return u.status().message();
    };
    CHECK(error_of("namespace inbox {\n  inbox = yes\n  separator = /\n  prefix = INBOX\n}\n") ==
          "loft.conf:2: namespace inbox: prefix 'INBOX' must end with the separator '/' (write 'INBOX/')");
    CHECK(error_of("namespace a {\n  inbox = yes\n}\nnamespace b {\n  inbox = yes\n  prefix = b.\n}\n") ==
          "more than one namespace has inbox = yes: only one may hold INBOX");
    CHECK(error_of("namespace a {\n  prefix = a.\n}\n").starts_with("no namespace has inbox = yes"));
    CHECK(error_of("namespace a {\n  inbox = yes\n}\nnamespace b {\n  location = maildir:~/b\n}\n") ==
          "loft.conf:5: namespace b: a namespace with prefix '' is already defined (each prefix once)");
    CHECK(error_of("namespace a {\n  inbox = yes\n  separator = ab\n}\n") ==
          "loft.conf:2: namespace a: separator 'ab' must be one printable character such as / or .");
    CHECK(error_of("namespace a {\n  inbox = yes\n  location = mdbax:~/x\n}\n")
              .starts_with("loft.conf:2: namespace a: location 'mdbax:~/x': "));
}

TEST_CASE("ignore_on_failure skips a broken namespace; disabled and shared ones are not served") {
    TempDir home("loft-user");
    User u = open_user(home, "mail_location = maildir:~/Maildir\n"
                             "namespace inbox {\n  inbox = yes\n}\n"
                             "namespace broken {\n  prefix = B.\n  location = nosuchdriver:/x\n"
                             "  ignore_on_failure = yes\n}\n"
                             "namespace off {\n  prefix = O.\n  disabled = yes\n}\n"
                             "namespace {\n  type = shared\n  prefix = shared.%%u.\n"
                             "  location = maildir:%%h/Maildir:INDEX=~/shared/%%u\n}\n");
    REQUIRE(u.namespaces().size() == 1);
    CHECK(u.namespaces()[0].name == "inbox");
}
