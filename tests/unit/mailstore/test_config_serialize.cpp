// Config::serialize: a loaded configuration written as one self-contained
// text (what loftd hands its workers) must load back to an equal Config.
#include "../test_support.hpp"

#include <doctest/doctest.h>
#include <mailstore/config.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace mailstore::config;
namespace fs = std::filesystem;

namespace {

using loft_test::TempDir;

Config load_file(const std::string& path) {
    auto r = Config::load_file(path);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return r.value();
}

std::string serialized(const Config& c, bool origin_comments = true) {
    SerializeOptions options;
    options.origin_comments = origin_comments;
    auto text = c.serialize(options);
    INFO(text.status().message());
    REQUIRE(text.is_ok());
    return text.value();
}

// Load the text the way a worker does: from a file of its own.
Config reload(const TempDir& dir, const std::string& text) {
    std::string path = dir.write("resolved/loft-resolved.conf", text);
    auto r = Config::load_file(path);
    INFO(r.status().message());
    INFO(text);
    REQUIRE(r.is_ok());
    return r.value();
}

void check_same_section(const Section& a, const Section& b, const std::string& where) {
    INFO("in block " << where);
    CHECK(a.type() == b.type());
    CHECK(a.name() == b.name());
    CHECK(a.entries() == b.entries());
    auto ca = a.children();
    auto cb = b.children();
    REQUIRE(ca.size() == cb.size());
    for (std::size_t i = 0; i < ca.size(); ++i) {
        check_same_section(ca[i], cb[i], where + " > " + ca[i].type() + " " + ca[i].name());
    }
}

// Every kind of lookup context the config's override blocks can tell apart:
// each protocol named (and one not named), an address inside and outside each
// network, each local_name (and a name under each wildcard).
void collect_context_values(const Section& s, std::set<std::string>& protocols, std::set<std::string>& locals,
                            std::set<std::string>& remotes, std::set<std::string>& names) {
    for (const auto& child : s.children()) {
        const std::string& n = child.name();
        if (child.type() == "protocol") {
            protocols.insert(n.rfind('!', 0) == 0 ? n.substr(1) : n);
        } else if (child.type() == "local" || child.type() == "remote") {
            auto& set = child.type() == "local" ? locals : remotes;
            set.insert(n.substr(0, n.find('/')));
        } else if (child.type() == "local_name") {
            names.insert(n.rfind("*.", 0) == 0 ? "host" + n.substr(1) : n);
        }
        collect_context_values(child, protocols, locals, remotes, names);
    }
}

std::vector<LookupContext> contexts_of(const Config& c) {
    std::set<std::string> protocols{"", "other"}, locals{"", "203.0.113.9"}, remotes{"", "198.51.100.7"},
        names{"", "unknown.example"};
    collect_context_values(c.root(), protocols, locals, remotes, names);
    std::vector<LookupContext> out;
    for (const auto& p : protocols)
        for (const auto& l : locals)
            for (const auto& r : remotes)
                for (const auto& n : names)
                    out.push_back(LookupContext{p, l, r, n});
    return out;
}

void check_same_config(const Config& a, const Config& b) {
    check_same_section(a.root(), b.root(), "(top)");
    auto contexts = contexts_of(a);
    REQUIRE(contexts.size() > 1);
    std::size_t compared = 0;
    for (const auto& info : all_settings()) {
        if (!info.scope.empty()) {
            continue;
        }
        for (const auto& ctx : contexts) {
            INFO(info.name << " in protocol=" << ctx.protocol << " local=" << ctx.local_ip
                           << " remote=" << ctx.remote_ip << " local_name=" << ctx.local_name);
            CHECK(a.get(info.name, ctx) == b.get(info.name, ctx));
            CHECK(a.is_set(info.name, ctx) == b.is_set(info.name, ctx));
            ++compared;
        }
    }
    CHECK(compared > 0);
}

const char* const kCertPem = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBszCCAVmgAwIBAgIUQ0VSVElGSUNBVEUgRk9SIFRFU1RTMAoGCCqGSM49BAMC\n"
                             "MBQxEjAQBgNVBAMMCWxvY2FsaG9zdDAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEw\n"
                             "-----END CERTIFICATE-----\n";
const char* const kKeyPem = "-----BEGIN PRIVATE KEY-----\n"
                            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgS0VZIEZPUiBURVNU\n"
                            "-----END PRIVATE KEY-----\n";

// A config that uses every syntax feature the parser has.
void write_everything_config(const TempDir& dir) {
    dir.write("tls/cert.pem", kCertPem);
    dir.write("tls/key.pem", kKeyPem);
    // CRLF line ends, a tab, a quote, a backslash and no final newline.
    dir.write("tls/dh.pem", "-----BEGIN DH PARAMETERS-----\r\n\tAB\"C\\D\r\n-----END DH PARAMETERS-----");
    dir.write("tls/sni-cert.pem", std::string("SNI ") + kCertPem);
    dir.write("conf.d/10-mail.conf", R"(# an included file
mail_location = maildir:~/Maildir:LAYOUT=fs
namespace inbox {
  separator = /
  prefix =
  inbox = yes
  mailbox Drafts {
    special_use = \Drafts
  }
}
)");
    dir.write("conf.d/20-more.conf", R"(namespace inbox {
  mailbox "Sent Messages" { special_use = \Sent }
}
mail_plugins = $mail_plugins zlib
)");
    dir.write("conf.d/plugin.inc", "quota_rule2 = Trash:storage=+100M\n");
    dir.write("loft.conf", R"(# Every feature of the syntax.

protocols = imap pop3 \
            lmtp sieve
listen=127.0.0.1
base_dir = /tmp/loft-serialize-test
instance_name =
login_greeting = "  Spaces kept, # and $ literal, \"quoted\" \\ back  "
ssl_key_password = abc#def
ssl_cipher_list = 'single \' quoted'
log_timestamp = "%Y-%m-%d\t%H:%M:%S "
mail_plugins = quota
!include conf.d/*.conf
!include_try conf.d/missing-*.conf
!include_try conf.d/missing.conf
mail_gid = vmail
mail_uid = nobody
mail_uid = vmail   # the last assignment wins
postmaster_address = postmaster@example.org # an unimplemented Dovecot setting
pop3_uidl_format = %08Xu%08Xv
auth_mechanisms = plain login

ssl = yes
ssl_cert = <tls/cert.pem
ssl_key = <tls/key.pem
ssl_dh = <"tls/dh.pem"
ssl_ca = "<not a file>"

service imap-login {
  inet_listener imap { port = 143 }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
  process_limit = 2
  vsz_limit = $default_vsz_limit
}
service lmtp {
  unix_listener /var/spool/postfix/private/loft-lmtp {
    mode = 0600
    user = postfix
  }
}
service imap-login {
  client_limit = 500
}
service auth {
  user = $default_internal_user
}

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT /etc/loft/users
}
passdb {
  driver = static
  args = password=$6$salt$hash
}
userdb {
  driver = passwd-file
  args = /etc/loft/users
}

plugin {
  quota = maildir:User quota
  !include conf.d/plugin.inc
  sieve = "file:~/sieve;active=~/.dovecot.sieve"
}
plugin {
  trailing_backslash = "C:\\"
  multi_line = "line one\nline two\r\n"
  unicode = Grüße, ünïcödé
  starts_with_quote = "'quoted'"
  has_braces = %{home}/x{y}
}

protocol imap {
  mail_plugins = $mail_plugins imap_quota
  imap_max_line_length = 128k
  plugin {
    quota = maildir:IMAP quota
  }
}
protocol !imap {
  login_greeting = not IMAP
}
protocol pop3 {
  login_greeting = POP3 ready.
}
protocol imap {
  imap_idle_notify_interval = 5 mins
}
local 127.0.0.1 {
  protocol imap {
    ssl = required
  }
}
local 10.0.0.0/8 {
  login_greeting = Local network.
}
remote 192.168.0.0/16 {
  login_greeting = "Internal: $not_expanded"
}
remote 2001:db8::/32 {
  login_greeting = IPv6 remote.
}
local_name mail.example.org {
  ssl_cert = <tls/sni-cert.pem
  ssl_key = <tls/key.pem
}
local_name *.example.net {
  ssl_cert = <tls/cert.pem
  ssl_key = <tls/key.pem
}
)");
}

} // namespace

TEST_CASE("a config using every syntax feature reads back equal from its serialization") {
    TempDir dir;
    write_everything_config(dir);
    Config original = load_file(dir.str() + "/loft.conf");
    // The fixture does exercise what it claims to.
    REQUIRE(original.get("ssl_cert") == kCertPem);
    REQUIRE(original.get("ssl_dh").find("\r\n\tAB\"C\\D\r\n") != std::string::npos);
    REQUIRE(original.get("mail_plugins", LookupContext{"imap", "", "", ""}) == "quota zlib imap_quota");
    REQUIRE(original.root().get("login_greeting").front() == ' ');
    REQUIRE(original.sections("passdb").size() == 2);
    REQUIRE(original.sections("plugin").size() == 1);

    std::string text = serialized(original);
    INFO(text);
    // Self-contained: nothing left to read from other files, nothing to expand.
    CHECK(text.find("!include") == std::string::npos);
    CHECK(text.find("= <") == std::string::npos);
    CHECK(text.find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(text.find("\nssl_cert = \"-----BEGIN CERTIFICATE-----\\n") != std::string::npos);

    Config back = reload(dir, text);
    check_same_config(original, back);
    CHECK(back.get("ssl_key") == kKeyPem);
    CHECK(back.get("ssl_key", LookupContext{"imap", "", "", "mail.example.org"}) == kKeyPem);
    CHECK(back.get("ssl_cert", LookupContext{"imap", "", "", "mail.example.org"}) ==
          std::string("SNI ") + kCertPem);
    CHECK(back.get("ssl_ca") == "<not a file>");
    CHECK(back.get("login_greeting", LookupContext{"imap", "", "192.168.1.1", ""}) ==
          "Internal: $not_expanded");
    CHECK(back.get("mail_uid") == "vmail");
    CHECK(back.sections("service")[0].get("vsz_limit") == "256M");
    CHECK(back.sections("plugin")[0].get("multi_line") == "line one\nline two\r\n");
    CHECK(back.sections("plugin")[0].get("trailing_backslash") == "C:\\");
    // Unimplemented Dovecot settings still load with a warning.
    CHECK_FALSE(back.warnings().empty());

    // Serializing again changes nothing but the origin comments.
    CHECK(serialized(back, false) == serialized(original, false));
}

TEST_CASE("origin comments name where each key and block was written") {
    TempDir dir;
    write_everything_config(dir);
    Config original = load_file(dir.str() + "/loft.conf");
    std::string text = serialized(original);
    std::string main = dir.str() + "/loft.conf";
    CHECK(text.find("# from " + main + ":5\nlisten = 127.0.0.1\n") != std::string::npos);
    CHECK(text.find("# from " + dir.str() + "/conf.d/10-mail.conf:2\nmail_location = ") != std::string::npos);
    CHECK(text.find("(<tls/key.pem)\nssl_key = \"-----BEGIN PRIVATE KEY-----") != std::string::npos);
    CHECK(text.find("# from " + main + ":29\nservice imap-login {\n") != std::string::npos);

    std::string bare = serialized(original, false);
    CHECK(bare.find("# from") == std::string::npos);
    std::istringstream lines(bare);
    for (std::string line; std::getline(lines, line);) {
        CHECK(line.find_first_not_of(' ') != line.find('#'));
    }
    check_same_config(original, reload(dir, bare));
}

TEST_CASE("the Dovecot-like config of the integration tests reads back equal") {
    std::string path = std::string(LOFT_TEST_DATA_DIR) + "/dovecot-like.conf";
    Config original = load_file(path);
    REQUIRE(original.get("ssl_key").find("PRIVATE KEY") != std::string::npos);
    TempDir dir;
    std::string text = serialized(original);
    Config back = reload(dir, text);
    check_same_config(original, back);
    CHECK(back.get("ssl", LookupContext{"imap", "", "", ""}) == "required");
    CHECK(back.sections("namespace")[0].children("mailbox").size() == 5);
    CHECK(serialized(back, false) == serialized(original, false));
}

TEST_CASE("a <file value larger than a config line, such as a CA bundle, round-trips") {
    TempDir dir;
    std::string bundle;
    while (bundle.size() < 300 * 1024) {
        bundle += kCertPem;
    }
    dir.write("ca.pem", bundle);
    dir.write("loft.conf", "ssl_ca = <ca.pem\n");
    Config original = load_file(dir.str() + "/loft.conf");
    Config back = reload(dir, serialized(original));
    CHECK(back.get("ssl_ca") == bundle);

    // Only quoted values may be that long: anything else still hits the
    // line limit.
    std::string long_line = "login_greeting = " + std::string(70 * 1024, 'x') + "\n";
    auto r = Config::load_string(long_line, "long.conf");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "long.conf:1: line too long (more than 65536 bytes)");
    CHECK(Config::load_string("login_greeting = \"" + std::string(70 * 1024, 'x') + "\"\n").is_ok());
}

TEST_CASE("a value no config text can hold is an error naming the setting") {
    TempDir dir;
    dir.write("binary.der", std::string("\x30\x82\x00\x01", 4));
    dir.write("loft.conf", "\n\nssl_ca = <binary.der\n");
    Config c = load_file(dir.str() + "/loft.conf");
    auto text = c.serialize();
    REQUIRE_FALSE(text.is_ok());
    CHECK(text.status().message() == dir.str() + "/loft.conf:3: the value of 'ssl_ca' contains a NUL byte, "
                                                  "which a config file cannot hold (read from 'binary.der')");
}

TEST_CASE("defaults serialize to an empty text") {
    auto text = Config::defaults().serialize();
    REQUIRE(text.is_ok());
    CHECK(text.value().empty());
    auto back = Config::load_string(text.value());
    REQUIRE(back.is_ok());
    check_same_config(Config::defaults(), back.value());
}
