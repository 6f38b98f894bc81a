// Every way a config can be rejected, with the exact message an admin sees:
// "file:line: " first, then what is wrong, naming the bad token.
#include <doctest/doctest.h>
#include <mailstore/config.hpp>

#include <string>

using namespace mailstore;
using namespace mailstore::config;
using namespace std::literals;

namespace {

std::string error_of(std::string_view text) {
    auto r = Config::load_string(text, "loft.conf", "/nonexistent-loft-dir");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::invalid_argument);
    return r.status().message();
}

} // namespace

TEST_CASE("unknown settings name the key and the line") {
    CHECK(error_of("ssl = yes\n\nfoo_bar = 1\n") == "loft.conf:3: unknown setting 'foo_bar'");
    CHECK(error_of("service imap {\n  bogus = 1\n}\n") ==
          "loft.conf:2: unknown setting 'bogus' in 'service' section");
    CHECK(error_of("service imap {\n  inet_listener imap {\n    mode = 0600\n  }\n}\n") ==
          "loft.conf:3: unknown setting 'mode' in 'inet_listener' section");
    // Service settings are not global ones.
    CHECK(error_of("process_limit = 1\n") == "loft.conf:1: unknown setting 'process_limit'");
    CHECK(error_of("protocol imap {\n  port = 143\n}\n") ==
          "loft.conf:2: unknown setting 'port'");
}

TEST_CASE("bad values name the value, the setting and what was expected") {
    CHECK(error_of("default_vsz_limit = 12X\n") ==
          "loft.conf:1: invalid value '12X' for setting 'default_vsz_limit': expected a size "
          "like 512, 64k, 10M, 1G or 2T");
    CHECK(error_of("ssl = maybe\n") ==
          "loft.conf:1: invalid value 'maybe' for setting 'ssl': expected one of no, yes, "
          "required");
    CHECK(error_of("auth_debug = sometimes\n") ==
          "loft.conf:1: invalid value 'sometimes' for setting 'auth_debug': expected yes or no");
    CHECK(error_of("first_valid_uid = -1\n") ==
          "loft.conf:1: invalid value '-1' for setting 'first_valid_uid': expected a "
          "non-negative integer");
    CHECK(error_of("haproxy_timeout = 3 fortnights\n") ==
          "loft.conf:1: invalid value '3 fortnights' for setting 'haproxy_timeout': expected a "
          "time like 30s, 5 mins, 2h, 1d or 100ms");
    CHECK(error_of("service imap-login {\n  inet_listener imap {\n    ssl = required\n  }\n}\n") ==
          "loft.conf:3: invalid value 'required' for setting 'ssl': expected yes or no");
    CHECK(error_of("service imap {\n  vsz_limit = lots\n}\n") ==
          "loft.conf:2: invalid value 'lots' for setting 'vsz_limit': expected a size like 512, "
          "64k, 10M, 1G or 2T");
    CHECK(error_of("service auth {\n  unix_listener auth-userdb {\n    mode = 0968\n  }\n}\n") ==
          "loft.conf:3: invalid value '0968' for setting 'mode': expected an octal mode like 0600");
    CHECK(error_of("service auth {\n  unix_listener x {\n    mode = rw-rw----\n  }\n}\n") ==
          "loft.conf:3: invalid value 'rw-rw----' for setting 'mode': expected an octal mode "
          "like 0600");
    CHECK(error_of("auth_debug =\n") ==
          "loft.conf:1: invalid value '' for setting 'auth_debug': expected yes or no");
    CHECK(error_of("first_valid_uid = 99999999999999999999\n") ==
          "loft.conf:1: invalid value '99999999999999999999' for setting 'first_valid_uid': "
          "expected a non-negative integer");
}

TEST_CASE("unterminated sections name the line that opened the innermost one") {
    CHECK(error_of("ssl = yes\nservice imap {\n  process_limit = 1\n") ==
          "loft.conf:2: section 'service imap' starting here is not closed (missing '}')");
    CHECK(error_of("plugin {\n") ==
          "loft.conf:1: section 'plugin' starting here is not closed (missing '}')");
    // The inner block was closed: the outer one is missing its brace.
    CHECK(error_of("service a {\n  inet_listener b {\n  }\n") ==
          "loft.conf:1: section 'service a' starting here is not closed (missing '}')");
    // Both open: the brace is missing where the inner one ends.
    CHECK(error_of("service imap-login {\n  inet_listener imap {\n    port = 143\n") ==
          "loft.conf:2: section 'inet_listener imap' starting here is not closed (missing '}')");
    CHECK(error_of("protocol imap {\n  plugin {\n    quota = x\n") ==
          "loft.conf:2: section 'plugin' starting here is not closed (missing '}')");
}

TEST_CASE("a port out of range names the value") {
    CHECK(error_of("service imap-login {\n  inet_listener imap {\n    port = 99999\n  }\n}\n") ==
          "loft.conf:3: invalid value '99999' for setting 'port': expected an integer from 0 to "
          "65535");
    CHECK(error_of("service imap-login {\n  inet_listener imap {\n    port = -1\n  }\n}\n") ==
          "loft.conf:3: invalid value '-1' for setting 'port': expected an integer from 0 to "
          "65535");
}

TEST_CASE("a stray closing brace") {
    CHECK(error_of("ssl = yes\n}\n") == "loft.conf:2: unexpected '}' (no section is open)");
    CHECK(error_of("plugin {\n}\n}\n") == "loft.conf:3: unexpected '}' (no section is open)");
    CHECK(error_of("plugin {\n} extra\n") == "loft.conf:2: unexpected 'extra' after '}'");
}

TEST_CASE("unterminated quotes") {
    CHECK(error_of("login_greeting = \"hello\n") ==
          "loft.conf:1: unterminated quote in value of 'login_greeting'");
    CHECK(error_of("login_greeting = 'hello\n") ==
          "loft.conf:1: unterminated quote in value of 'login_greeting'");
    CHECK(error_of("namespace \"inbox {\n}\n") ==
          "loft.conf:1: unterminated quote in '\"inbox {'");
    CHECK(error_of("login_greeting = \"a\" b\n") ==
          "loft.conf:1: unexpected 'b' after quoted value of 'login_greeting'");
}

TEST_CASE("malformed statements") {
    CHECK(error_of("ssl\n") == "loft.conf:1: expected '=' or '{' after 'ssl'");
    CHECK(error_of("ssl yes\n") == "loft.conf:1: expected '{' after 'ssl yes'");
    CHECK(error_of("= yes\n") == "loft.conf:1: unexpected '='");
    CHECK(error_of("foo$bar = 1\n") == "loft.conf:1: invalid name 'foo$bar'");
    CHECK(error_of("!inclde x.conf\n") == "loft.conf:1: unknown directive '!inclde'");
    CHECK(error_of("!include\n") == "loft.conf:1: missing file name after !include");
    CHECK(error_of("ssl_cert = <\n") ==
          "loft.conf:1: missing file name after '<' in value of 'ssl_cert'");
    CHECK(error_of("a\0b = 1\n"sv) == "loft.conf:1: unexpected NUL byte");
}

TEST_CASE("section placement, names and types") {
    CHECK(error_of("servce imap {\n}\n") == "loft.conf:1: unknown section type 'servce'");
    CHECK(error_of("inet_listener imap {\n}\n") ==
          "loft.conf:1: section 'inet_listener' is not allowed at the top level");
    CHECK(error_of("service imap {\n  mailbox x {\n  }\n}\n") ==
          "loft.conf:2: section 'mailbox' is not allowed inside 'service'");
    CHECK(error_of("service {\n}\n") == "loft.conf:1: section 'service' needs a name");
    CHECK(error_of("protocol {\n}\n") == "loft.conf:1: section 'protocol' needs a name");
    CHECK(error_of("protocol imap {\n  protocol pop3 {\n  }\n}\n") ==
          "loft.conf:2: 'protocol' block inside another 'protocol' block");
    CHECK(error_of("remote 10.0.0.0/33 {\n}\n") ==
          "loft.conf:1: invalid IP address or network '10.0.0.0/33' in 'remote' block");
    CHECK(error_of("local mail.example.com {\n}\n") ==
          "loft.conf:1: invalid IP address or network 'mail.example.com' in 'local' block");
    CHECK(error_of("plugin {\n  nested {\n  }\n}\n") ==
          "loft.conf:2: unknown section type 'nested'");
}

TEST_CASE("bounds: nesting that the section types do not allow, and line length") {
    // Block types nest only where Dovecot lets them, which also bounds depth.
    std::string nested = "service a {\n";
    for (int i = 0; i < 20; ++i) {
        nested += "inet_listener x" + std::to_string(i) + " {\n";
    }
    CHECK(error_of(nested) == "loft.conf:3: section 'inet_listener' is not allowed inside "
                              "'inet_listener'");
    CHECK(error_of("protocol imap {\n local 10.0.0.1 {\n  local 10.0.0.2 {\n") ==
          "loft.conf:3: 'local' block inside another 'local' block");
    std::string long_line = "login_greeting = " + std::string(70000, 'x') + "\n";
    CHECK(error_of(long_line) == "loft.conf:1: line too long (more than 65536 bytes)");
    std::string continued = "login_greeting = \\\n";
    for (int i = 0; i < 2000; ++i) {
        continued += std::string(60, 'y') + " \\\n";
    }
    continued += "end\n";
    CHECK(error_of(continued) == "loft.conf:1: line too long (more than 65536 bytes)");
}

TEST_CASE("errors report the first problem and nothing loads") {
    auto r = Config::load_string("ssl = maybe\nfoo = 1\n", "x.conf");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().rfind("x.conf:1: ", 0) == 0);
}

TEST_CASE("a config file that does not exist") {
    auto r = Config::load_file("/nonexistent-loft-dir/loft.conf");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::not_found);
    CHECK(r.status().message() ==
          "/nonexistent-loft-dir/loft.conf: cannot read config file: No such file or directory");
}
