// !include, !include_try and <file values, on real files in a temp dir.
#include "../test_support.hpp"

#include <doctest/doctest.h>
#include <mailstore/config.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <string>

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

std::string error_of(const std::string& path) {
    auto r = Config::load_file(path);
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

} // namespace

TEST_CASE("glob includes are read in byte order, relative to the including file") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "login_greeting = main\n"
                                              "!include conf.d/*.conf\n"
                                              "!include_try local.conf\n");
    dir.write("conf.d/20-b.conf", "login_greeting = twenty\ninstance_name = b\n");
    dir.write("conf.d/10-a.conf", "login_greeting = ten\nmail_debug = yes\n");
    // Byte order, not the locale's: "B" (0x42) sorts before "a" (0x61).
    dir.write("conf.d/B-upper.conf", "verbose_proctitle = yes\nlog_timestamp = upper\n");
    dir.write("conf.d/a-lower.conf", "log_timestamp = lower\n");
    dir.write("conf.d/ignored.txt", "this is not config\n");
    Config c = load_file(main);
    CHECK(c.path() == main);
    CHECK(c.get("login_greeting") == "twenty");
    CHECK(c.get("instance_name") == "b");
    CHECK(c.get("log_timestamp") == "lower");
    CHECK(c.get_bool("verbose_proctitle"));
    CHECK(c.get_bool("mail_debug"));
    CHECK(c.location_of("login_greeting")->file == dir.str() + "/conf.d/20-b.conf");
    CHECK(c.location_of("login_greeting")->line == 1);
}

TEST_CASE("a later local.conf has the last word; a missing one is fine") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "!include conf.d/*.conf\n!include_try local.conf\n");
    dir.write("conf.d/10-mail.conf", "mail_location = maildir:~/Maildir\n");
    CHECK(load_file(main).get("mail_location") == "maildir:~/Maildir");
    dir.write("local.conf", "mail_location = maildir:~/Mail\n");
    CHECK(load_file(main).get("mail_location") == "maildir:~/Mail");
}

TEST_CASE("includes nest, and paths are relative to each including file") {
    TempDir dir;
    std::string main = dir.write("etc/loft.conf", "!include conf.d/10-auth.conf\n");
    dir.write("etc/conf.d/10-auth.conf", "auth_verbose = yes\n!include auth-system.conf.ext\n");
    dir.write("etc/conf.d/auth-system.conf.ext", "auth_debug = yes\n");
    Config c = load_file(main);
    CHECK(c.get_bool("auth_verbose"));
    CHECK(c.get_bool("auth_debug"));
}

TEST_CASE("an include inside a section adds to that section") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "service imap-login {\n"
                                              "  !include listeners.inc\n"
                                              "}\n");
    dir.write("listeners.inc", "inet_listener imap {\n  port = 1143\n}\n");
    Config c = load_file(main);
    CHECK(c.sections("service").at(0).children("inet_listener").at(0).get_uint("port") == 1143u);
}

TEST_CASE("quoted include paths") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "!include \"my conf.d/a.conf\" # comment\n");
    dir.write("my conf.d/a.conf", "instance_name = spaced\n");
    CHECK(load_file(main).get("instance_name") == "spaced");
}

TEST_CASE("a glob that matches nothing is not an error") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "!include conf.d/*.conf\nssl = no\n");
    CHECK(load_file(main).get("ssl") == "no");
}

TEST_CASE("a missing !include is an error naming the including file and line") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "ssl = no\n!include missing.conf\n");
    CHECK(error_of(main) == main + ":2: cannot read include file '" + dir.str() +
                                "/missing.conf': No such file or directory");
    std::string try_only = dir.write("try.conf", "!include_try missing.conf\nssl = no\n");
    CHECK(load_file(try_only).get("ssl") == "no");
}

TEST_CASE("errors inside an included file name that file") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "!include conf.d/*.conf\n");
    std::string bad = dir.write("conf.d/10-bad.conf", "# comment\nssl = maybe\n");
    CHECK(error_of(main) ==
          bad + ":2: invalid value 'maybe' for setting 'ssl': expected one of no, yes, required");
}

TEST_CASE("sections must be closed in the file that opened them") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "!include open.conf\n}\n");
    std::string open = dir.write("open.conf", "service imap {\n");
    CHECK(error_of(main) == open + ":1: section 'service imap' starting here is not closed (missing '}')");
    std::string closer = dir.write("closer.conf", "plugin {\n!include close.inc\n");
    std::string close = dir.write("close.inc", "}\n");
    CHECK(error_of(closer) ==
          close + ":1: unexpected '}' (closes a section opened in another file)");
}

TEST_CASE("include loops are detected") {
    TempDir dir;
    std::string a = dir.write("a.conf", "!include b.conf\n");
    std::string b = dir.write("b.conf", "ssl = no\n!include a.conf\n");
    CHECK(error_of(a) == b + ":2: include loop: '" + dir.str() + "/a.conf' is already being read");
    std::string self = dir.write("self.conf", "!include *.conf\n");
    CHECK(error_of(self).find(": include loop: ") != std::string::npos);
}

TEST_CASE("include depth is bounded") {
    TempDir dir;
    for (int i = 0; i < 20; ++i) {
        dir.write("d" + std::to_string(i) + ".conf",
                  "!include d" + std::to_string(i + 1) + ".conf\n");
    }
    dir.write("d20.conf", "ssl = no\n");
    std::string message = error_of(dir.str() + "/d0.conf");
    CHECK(message == dir.str() + "/d15.conf:1: includes nested too deeply (more than 16 levels) at '" +
                         dir.str() + "/d16.conf'");
    // Sixteen levels are fine.
    CHECK(load_file(dir.str() + "/d5.conf").get("ssl") == "no");
}

TEST_CASE("<file values read the file at load time") {
    TempDir dir;
    dir.write("tls/cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    dir.write("tls/key pem", "KEY\n");
    std::string main = dir.write("loft.conf", "ssl_cert = <tls/cert.pem\n"
                                              "ssl_key = <\"tls/key pem\"\n"
                                              "ssl_ca = <" + dir.str() + "/tls/cert.pem # abs\n"
                                              "service x {\n  executable = <tls/key pem\n}\n");
    Config c = load_file(main);
    CHECK(c.get("ssl_cert") ==
          "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    CHECK(c.get("ssl_key") == "KEY\n");
    CHECK(c.get("ssl_ca") == c.get("ssl_cert"));
    CHECK(c.root().source_file("ssl_cert") == "tls/cert.pem");
    CHECK(c.root().source_file("ssl_key") == "tls/key pem");
    CHECK_FALSE(c.root().source_file("ssl").has_value());
    CHECK(c.sections("service").at(0).get("executable") == "KEY\n");
}

TEST_CASE("an unreadable <file is an error naming file:line and the path") {
    TempDir dir;
    std::string main = dir.write("loft.conf", "ssl = yes\nssl_cert = </no/such/cert.pem\n");
    CHECK(error_of(main) == main + ":2: cannot read '/no/such/cert.pem' for setting 'ssl_cert': "
                                   "No such file or directory");
    std::string rel = dir.write("rel.conf", "ssl_key = <missing.key\n");
    CHECK(error_of(rel) == rel + ":1: cannot read '" + dir.str() +
                               "/missing.key' for setting 'ssl_key': No such file or directory");
    std::string directory = dir.write("dir.conf", "ssl_key = <.\n");
    CHECK(error_of(directory) == directory + ":1: cannot read '" + dir.str() +
                                     "/.' for setting 'ssl_key': Is a directory");
}

TEST_CASE("load_string resolves includes against base_dir") {
    TempDir dir;
    dir.write("inc.conf", "instance_name = from-include\n");
    auto r = Config::load_string("!include inc.conf\n", "<text>", dir.str());
    REQUIRE(r.is_ok());
    CHECK(r->get("instance_name") == "from-include");
}

TEST_CASE("only regular files are read, so a FIFO or device cannot hang the loader") {
    TempDir dir;
    std::string fifo = dir.str() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::string main = dir.write("loft.conf", "ssl_key = <fifo\n");
    CHECK(error_of(main) == main + ":1: cannot read '" + fifo +
                                "' for setting 'ssl_key': not a regular file");
    std::string inc = dir.write("inc.conf", "!include fifo\n");
    CHECK(error_of(inc) ==
          inc + ":1: cannot read include file '" + fifo + "': not a regular file");
    std::string dev = dir.write("dev.conf", "ssl_key = </dev/zero\n");
    CHECK(error_of(dev) ==
          dev + ":1: cannot read '/dev/zero' for setting 'ssl_key': not a regular file");
}

TEST_CASE("source_file and location_of follow the override that applies") {
    TempDir dir;
    dir.write("a.pem", "A\n");
    dir.write("b.pem", "B\n");
    std::string main = dir.write("loft.conf", "ssl_cert = <a.pem\n"
                                              "local_name mail.example.com {\n"
                                              "  ssl_cert = <b.pem\n"
                                              "}\n"
                                              "local_name other.example.com {\n"
                                              "  ssl_cert = inline\n"
                                              "}\n");
    Config c = load_file(main);
    LookupContext ctx;
    CHECK(c.get("ssl_cert", ctx) == "A\n");
    CHECK(c.source_file("ssl_cert", ctx) == "a.pem");
    CHECK(c.location_of("ssl_cert", ctx)->line == 1);
    ctx.local_name = "mail.example.com";
    CHECK(c.get("ssl_cert", ctx) == "B\n");
    CHECK(c.source_file("ssl_cert", ctx) == "b.pem");
    CHECK(c.location_of("ssl_cert", ctx)->line == 3);
    CHECK(c.location_of("ssl_cert", ctx)->file == main);
    ctx.local_name = "other.example.com";
    CHECK(c.get("ssl_cert", ctx) == "inline");
    CHECK_FALSE(c.source_file("ssl_cert", ctx).has_value());
    auto block = c.sections("local_name").at(0);
    CHECK(block.source_file("ssl_cert") == "b.pem");
    CHECK(block.location_of("ssl_cert")->line == 3);
    CHECK_FALSE(block.location_of("ssl_key").has_value());
}
