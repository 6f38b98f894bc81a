// Dovecot config syntax accepted by Config::load_string.
#include <doctest/doctest.h>
#include <mailstore/config.hpp>

#include <string>

using namespace mailstore::config;

namespace {

Config load(std::string_view text) {
    auto r = Config::load_string(text, "loft.conf");
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return r.value();
}

LookupContext imap_context() {
    LookupContext ctx;
    ctx.protocol = "imap";
    return ctx;
}

} // namespace

TEST_CASE("key = value with whitespace variants") {
    Config c = load("login_greeting = Hello there\n"
                    "verbose_proctitle=yes\n"
                    "  \tauth_debug   =   yes   \n"
                    "mail_debug\t=\tyes\n");
    CHECK(c.get("login_greeting") == "Hello there");
    CHECK(c.get_bool("verbose_proctitle"));
    CHECK(c.get_bool("auth_debug"));
    CHECK(c.get_bool("mail_debug"));
}

TEST_CASE("an empty value is allowed and differs from unset") {
    Config c = load("log_path =\nmail_location=\n");
    CHECK(c.get("log_path").empty());
    CHECK(c.is_set("log_path"));
    CHECK(c.get("mail_location").empty());
}

TEST_CASE("the last assignment wins") {
    Config c = load("login_greeting = one\nlogin_greeting = two\n");
    CHECK(c.get("login_greeting") == "two");
    CHECK(c.root().entries().size() == 1);
    CHECK(c.location_of("login_greeting")->line == 2);
}

TEST_CASE("comments: whole lines, trailing, not inside quotes or words") {
    Config c = load("# a comment\n"
                    "   # an indented comment\n"
                    "\n"
                    "login_greeting = Hello # trailing comment\n"
                    "ssl_key_password = abc#def\n"
                    "log_timestamp = \"%H # not a comment\" # but this is\n"
                    "instance_name = 'a # b'\n");
    CHECK(c.get("login_greeting") == "Hello");
    CHECK(c.get("ssl_key_password") == "abc#def");
    CHECK(c.get("log_timestamp") == "%H # not a comment");
    CHECK(c.get("instance_name") == "a # b");
}

TEST_CASE("quoting: single and double quotes with backslash escapes") {
    Config c = load("login_greeting = \"  spaced out  \"\n"
                    "instance_name = 'single \\'quoted\\''\n"
                    "log_timestamp = \"a \\\"b\\\" c\\\\d\"\n"
                    "ssl_key_password = \"tab\\there\"\n"
                    "ssl_cipher_suites = \"\"\n");
    CHECK(c.get("login_greeting") == "  spaced out  ");
    CHECK(c.get("instance_name") == "single 'quoted'");
    CHECK(c.get("log_timestamp") == "a \"b\" c\\d");
    CHECK(c.get("ssl_key_password") == "tab\there");
    CHECK(c.get("ssl_cipher_suites").empty());
    CHECK(c.is_set("ssl_cipher_suites"));
}

TEST_CASE("quotes inside an unquoted value are kept as written") {
    Config c = load("login_greeting = Bob's \"mail\" server\n");
    CHECK(c.get("login_greeting") == "Bob's \"mail\" server");
}

TEST_CASE("a trailing backslash continues the line") {
    Config c = load("protocols = imap \\\n"
                    "    pop3 \\\n"
                    "    lmtp\n"
                    "login_greeting = Hel\\\n"
                    "lo\n"
                    "instance_name = x\n");
    CHECK(c.get_list("protocols") == std::vector<std::string>{"imap", "pop3", "lmtp"});
    CHECK(c.get("login_greeting") == "Hello");
    CHECK(c.location_of("instance_name")->line == 6);
    CHECK(c.location_of("protocols")->line == 1);
}

TEST_CASE("an escaped backslash at the end of a line does not continue it") {
    Config c = load("login_greeting = \"ends with \\\\\"\ninstance_name = y\n");
    CHECK(c.get("login_greeting") == "ends with \\");
    CHECK(c.get("instance_name") == "y");
}

TEST_CASE("CRLF line endings are accepted") {
    Config c = load("login_greeting = crlf\r\nservice imap {\r\n  process_limit = 3\r\n}\r\n");
    CHECK(c.get("login_greeting") == "crlf");
    CHECK(c.sections("service").at(0).get_uint("process_limit") == 3u);
}

TEST_CASE("nested sections with and without names") {
    Config c = load("service imap-login {\n"
                    "  inet_listener imap {\n"
                    "    port = 143\n"
                    "  }\n"
                    "  inet_listener imaps {\n"
                    "    port = 993\n"
                    "    ssl = yes\n"
                    "  }\n"
                    "  process_limit = 4\n"
                    "}\n"
                    "passdb {\n"
                    "  driver = pam\n"
                    "}\n"
                    "passdb {\n"
                    "  driver = passwd-file\n"
                    "}\n");
    auto services = c.sections("service");
    REQUIRE(services.size() == 1);
    Section login = services[0];
    CHECK(login.type() == "service");
    CHECK(login.name() == "imap-login");
    CHECK(login.location().line == 1);
    CHECK(login.get_uint("process_limit") == 4u);
    CHECK(login.get_uint("client_limit") == 0u); // registry default for services
    auto listeners = login.children("inet_listener");
    REQUIRE(listeners.size() == 2);
    CHECK(listeners[0].name() == "imap");
    CHECK(listeners[0].get_uint("port") == 143u);
    CHECK_FALSE(listeners[0].get_bool("ssl"));
    CHECK(listeners[1].get_uint("port") == 993u);
    CHECK(listeners[1].get_bool("ssl"));
    CHECK(listeners[1].raw("ssl") == "yes");
    CHECK_FALSE(listeners[1].raw("address").has_value());
    CHECK(login.children().size() == 2);
    // Unnamed passdb blocks stay separate, in file order.
    auto passdbs = c.sections("passdb");
    REQUIRE(passdbs.size() == 2);
    CHECK(passdbs[0].get("driver") == "pam");
    CHECK(passdbs[1].get("driver") == "passwd-file");
    CHECK(passdbs[0].get("result_success") == "return-ok");
}

TEST_CASE("a section opener and closer may share a line with settings") {
    Config c = load("service imap-login { inet_listener imap { port = 0 } }\n"
                    "service pop3-login {\n"
                    "  inet_listener pop3 { port = 110 }\n"
                    "  inet_listener pop3s {}\n"
                    "  inet_listener x { }\n"
                    "}\n"
                    "plugin {\n}\n"
                    "protocol imap { login_greeting = \"hi }\" }\n"
                    "protocol pop3 { }  # comment\n");
    auto imap = c.sections("service").at(0).children("inet_listener").at(0);
    CHECK(imap.name() == "imap");
    CHECK(imap.raw("port") == "0");
    auto pop3 = c.sections("service").at(1).children("inet_listener");
    REQUIRE(pop3.size() == 3);
    CHECK(pop3[0].get_uint("port") == 110u);
    CHECK(pop3[1].entries().empty());
    CHECK(c.get("login_greeting", imap_context()) == "hi }");
    CHECK(c.sections("protocol").size() == 2);
}

TEST_CASE("values ending in braces are not section closers on their own lines") {
    Config c = load("plugin {\n  quota_rule = %{user}\n}\n");
    CHECK(c.sections("plugin").at(0).raw("quota_rule") == "%{user}");
}

TEST_CASE("quoted section names may contain spaces") {
    Config c = load("namespace inbox {\n"
                    "  inbox = yes\n"
                    "  mailbox \"Sent Messages\" {\n"
                    "    special_use = \\Sent\n"
                    "  }\n"
                    "  mailbox 'Junk' { auto = create }\n"
                    "}\n");
    auto mailboxes = c.sections("namespace").at(0).children("mailbox");
    REQUIRE(mailboxes.size() == 2);
    CHECK(mailboxes[0].name() == "Sent Messages");
    CHECK(mailboxes[0].get_list("special_use") == std::vector<std::string>{"\\Sent"});
    CHECK(mailboxes[1].name() == "Junk");
    CHECK(mailboxes[1].get("auto") == "create");
    CHECK(mailboxes[0].get("auto") == "no");
}

TEST_CASE("a block with the same type and name as an earlier one continues it") {
    Config c = load("namespace inbox {\n  inbox = yes\n}\n"
                    "namespace inbox {\n  mailbox Trash {\n    special_use = \\Trash\n  }\n}\n"
                    "plugin {\n  a = 1\n}\nplugin {\n  b = 2\n  a = 3\n}\n");
    auto ns = c.sections("namespace");
    REQUIRE(ns.size() == 1);
    CHECK(ns[0].get_bool("inbox"));
    CHECK(ns[0].children("mailbox").size() == 1);
    auto plugin = c.sections("plugin");
    REQUIRE(plugin.size() == 1);
    auto entries = plugin[0].entries();
    REQUIRE(entries.size() == 2);
    CHECK(entries[0] == std::pair<std::string, std::string>("a", "3"));
    CHECK(entries[1] == std::pair<std::string, std::string>("b", "2"));
}

TEST_CASE("plugin keys are free-form and keep file order") {
    Config c = load("plugin {\n"
                    "  quota = maildir:User quota\n"
                    "  quota_rule = *:storage=1G\n"
                    "  quota_rule2 = Trash:storage=+100M\n"
                    "  sieve = ~/.dovecot.sieve\n"
                    "  anything_at-all.x = whatever\n"
                    "}\n");
    CHECK(c.warnings().empty());
    auto entries = c.sections("plugin").at(0).entries();
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].first == "quota");
    CHECK(entries[0].second == "maildir:User quota");
    CHECK(entries[2].second == "Trash:storage=+100M");
    CHECK(entries[4].first == "anything_at-all.x");
    CHECK(c.sections("plugin").at(0).get("missing").empty());
}

TEST_CASE("$setting expands to the value set so far, or the default") {
    Config c = load("mail_plugins = quota zlib\n"
                    "protocol imap {\n"
                    "  mail_plugins = $mail_plugins imap_quota imap_zlib\n"
                    "}\n"
                    "login_greeting = $instance_name at your service\n"
                    "instance_name = other\n"
                    "info_log_path = $log_path.info\n");
    CHECK(c.get("mail_plugins") == "quota zlib");
    CHECK(c.get("mail_plugins", imap_context()) == "quota zlib imap_quota imap_zlib");
    CHECK(c.get("login_greeting") == "loft at your service");
    CHECK(c.get("info_log_path") == "syslog.info");
}

TEST_CASE("$setting at first use expands to the default, and in sections to globals") {
    Config c = load("mail_plugins = $mail_plugins quota\n"
                    "default_internal_user = vmail\n"
                    "service auth {\n"
                    "  user = $default_internal_user\n"
                    "  unix_listener auth-userdb {\n"
                    "    user = $default_internal_user\n"
                    "    mode = 0660\n"
                    "  }\n"
                    "}\n");
    CHECK(c.get("mail_plugins") == "quota");
    auto auth = c.sections("service").at(0);
    CHECK(auth.get("user") == "vmail");
    CHECK(auth.children("unix_listener").at(0).get("user") == "vmail");
    CHECK(auth.children("unix_listener").at(0).get("mode") == "0660");
}

TEST_CASE("a $ that names no setting, or is quoted, stays literal") {
    Config c = load("ssl_key_password = $6$salt$hash\n"
                    "login_greeting = '$instance_name'\n"
                    "log_timestamp = cost $5\n");
    CHECK(c.get("ssl_key_password") == "$6$salt$hash");
    CHECK(c.get("login_greeting") == "$instance_name");
    CHECK(c.get("log_timestamp") == "cost $5");
}

TEST_CASE("lists split on spaces and commas") {
    Config c = load("listen = 127.0.0.1, ::1\nprotocols = imap,pop3  lmtp\n");
    CHECK(c.get_list("listen") == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(c.get_list("protocols") == std::vector<std::string>{"imap", "pop3", "lmtp"});
}

TEST_CASE("typed getters parse the written value") {
    Config c = load("default_vsz_limit = 1G\n"
                    "haproxy_timeout = 500ms\n"
                    "default_idle_kill = 2 mins\n"
                    "first_valid_uid = 1000\n"
                    "ssl = required\n"
                    "mail_fsync = always\n"
                    "imap_max_line_length = 128K\n");
    CHECK(c.get_size("default_vsz_limit") == 1ULL << 30);
    CHECK(c.get_time("haproxy_timeout") == std::chrono::milliseconds(500));
    CHECK(c.get_time("default_idle_kill") == std::chrono::milliseconds(120000));
    CHECK(c.get_uint("first_valid_uid") == 1000u);
    CHECK(c.get("ssl") == "required");
    CHECK(c.get("mail_fsync") == "always");
    CHECK(c.get_size("imap_max_line_length") == 128u * 1024);
}

TEST_CASE("unimplemented Dovecot settings load with one warning each") {
    Config c = load("auth_policy_server_url = http://policy.example/\n"
                    "mail_privileged_group = mail\n"
                    "namespace inbox {\n  alias_for = /\n  order = 1\n}\n"
                    "dict {\n  quota = mysql:/etc/dovecot/dict.conf\n}\n");
    const auto& w = c.warnings();
    REQUIRE(w.size() == 5);
    CHECK(w[0].where.to_string() == "loft.conf:1");
    CHECK(w[0].message == "setting 'auth_policy_server_url' is not implemented by Loft yet; ignored");
    CHECK(w[1].where.line == 2);
    CHECK(w[2].message ==
          "setting 'alias_for' in 'namespace' section is not implemented by Loft yet; ignored");
    CHECK(w[3].where.line == 5);
    CHECK(w[4].message == "section 'dict' is not implemented by Loft yet; ignored");
    // Still readable, for the code that will implement them.
    CHECK(c.get("auth_policy_server_url") == "http://policy.example/");
    CHECK(c.sections("namespace").at(0).get("alias_for") == "/");
}

TEST_CASE("a setting used in many places warns once, naming the first place") {
    Config c = load("mail_plugins = quota\n"                                     // 1
                    "namespace a {\n  alias_for = /\n}\n"                       // 2-4
                    "namespace b {\n  alias_for = .\n  order = 2\n}\n"          // 5-8
                    "namespace c {\n  mailbox Sent {\n    comment = x\n  }\n}\n" // 9-13
                    "protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
                    "protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n}\n");
    const auto& w = c.warnings();
    REQUIRE(w.size() == 4);
    CHECK(w[0].where.line == 1);
    CHECK(w[0].message == "setting 'mail_plugins' is not implemented by Loft yet; ignored "
                          "(used in 3 places; this is the first)");
    CHECK(w[1].where.line == 3);
    CHECK(w[1].message == "setting 'alias_for' in 'namespace' section is not implemented by Loft yet; "
                          "ignored (used in 2 places; this is the first)");
    CHECK(w[2].where.line == 7);
    CHECK(w[2].message ==
          "setting 'order' in 'namespace' section is not implemented by Loft yet; ignored");
    // A setting of another block type is another setting.
    CHECK(w[3].where.line == 11);
    CHECK(w[3].message ==
          "setting 'comment' in 'mailbox' section is not implemented by Loft yet; ignored");
    CHECK(c.get("mail_plugins", LookupContext{"lmtp", "", "", ""}) == "quota sieve");
}

TEST_CASE("keys of a block Loft does not implement do not warn one by one") {
    Config c = load("service log {\n  fifo_listener log-errors {\n    mode = 0600\n"
                    "    user = dovecot\n  }\n}\n");
    const auto& w = c.warnings();
    REQUIRE(w.size() == 1);
    CHECK(w[0].where.line == 2);
    CHECK(w[0].message == "section 'fifo_listener' is not implemented by Loft yet; ignored");
    // Still checked against the block's settings.
    auto bad = Config::load_string("service log {\n  fifo_listener x {\n    mode = rw\n  }\n}\n",
                                   "loft.conf");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() ==
          "loft.conf:3: invalid value 'rw' for setting 'mode': expected an octal mode like 0600");
}

TEST_CASE("an empty text and a text of comments load as defaults") {
    CHECK(load("").root().entries().empty());
    CHECK(load("# nothing\n\n   \n").root().children().empty());
    CHECK(load("login_greeting = no newline at end").get("login_greeting") ==
          "no newline at end");
}

TEST_CASE("a UTF-8 byte order mark at the start is ignored") {
    CHECK(load("\xEF\xBB\xBFssl = no\n").get("ssl") == "no");
}

TEST_CASE("a comment line ending in a backslash does not continue") {
    Config c = load("# a path like C:\\\nssl = no\n");
    CHECK(c.get("ssl") == "no");
}
