#include "auth/sql/sql_config.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

using namespace mailstore;
using namespace mailstore::auth::sql;

TEST_CASE("sql config: keys, comments, quotes and continuation lines") {
    auto c = parse_sql_config("# Loft SQL settings\n"
                              "driver = sqlite\n"
                              "  connect = \"/var/lib/loft/users db.sqlite\"\n"
                              "\n"
                              "default_pass_scheme = SHA512-CRYPT\n"
                              "password_query = SELECT username, domain, password \\\n"
                              "   FROM users \\\n"
                              "\tWHERE username = '%n' AND domain = '%d'\n"
                              "user_query = SELECT home FROM users WHERE userid = '%u'\n"
                              "iterate_query = \"SELECT userid AS user FROM \\\"users\\\"\"\n"
                              "update_query = UPDATE x SET y = 1\n",
                              "sql.conf");
    REQUIRE(c);
    CHECK(c->driver == "sqlite");
    CHECK(c->driver_line == 2);
    CHECK(c->connect == "/var/lib/loft/users db.sqlite");
    CHECK(c->default_pass_scheme == "SHA512-CRYPT");
    CHECK(c->password_query ==
          "SELECT username, domain, password FROM users WHERE username = '%n' AND domain = '%d'");
    CHECK(c->user_query == "SELECT home FROM users WHERE userid = '%u'");
    CHECK(c->iterate_query == "SELECT userid AS user FROM \"users\"");
}

TEST_CASE("sql config: Dovecot's defaults for unset queries and scheme") {
    auto c = parse_sql_config("driver = sqlite\nconnect = /x.db\n", "f");
    REQUIRE(c);
    CHECK(c->default_pass_scheme == "MD5");
    CHECK(c->password_query == "SELECT username, domain, password FROM users WHERE username = '%n' AND domain = '%d'");
    CHECK(c->user_query == "SELECT home, uid, gid FROM users WHERE username = '%n' AND domain = '%d'");
    CHECK(c->iterate_query == "SELECT username, domain FROM users");
}

TEST_CASE("sql config: errors name file:line") {
    auto check_error = [](std::string_view text, std::string_view expected) {
        auto c = parse_sql_config(text, "/etc/loft/sql.conf");
        REQUIRE_FALSE(c);
        CHECK(c.status().code() == Status::Code::invalid_argument);
        CHECK(c.status().message() == expected);
    };
    check_error("driver = sqlite\nconnect = /x\nbogus = 1\n", "/etc/loft/sql.conf:3: unknown setting 'bogus'");
    check_error("driver = sqlite\n\nno equals sign here\n",
                "/etc/loft/sql.conf:3: expected 'key = value', got 'no equals sign here'");
    // The logical line starts where the continuation started.
    check_error("driver = sqlite\nconnect = /x\npassword_query = a \\\n b\nwrong \\\n = 2\n",
                "/etc/loft/sql.conf:5: unknown setting 'wrong'");
    check_error("driver = sqlite\nconnect = \"/x\n", "/etc/loft/sql.conf:2: missing closing quote");
    check_error("driver = sqlite\nconnect = \"/x\" y\n",
                "/etc/loft/sql.conf:2: unexpected text after the closing quote");
    check_error("connect = /x\n", "/etc/loft/sql.conf: 'driver' is not set (sqlite, pgsql or mysql)");
    check_error("driver = sqlite\n", "/etc/loft/sql.conf: 'connect' is not set");
    check_error("driver = sqlite\nconnect =\n", "/etc/loft/sql.conf: 'connect' is not set");
    static constexpr char with_nul[] = "driver = sqlite\nconnect = /x\0y\n";
    check_error(std::string_view(with_nul, sizeof with_nul - 1), "/etc/loft/sql.conf:2: NUL byte in the file");
}

TEST_CASE("sql config: bounds") {
    std::string big(sql_config_max_bytes + 1, '#');
    auto c = parse_sql_config(big, "f");
    REQUIRE_FALSE(c);
    CHECK(c.status().message() == "f: file is larger than 1048576 bytes");
    // A continuation chain longer than the line limit.
    std::string chain = "driver = sqlite\npassword_query = ";
    for (int i = 0; i < 2000; ++i)
        chain += std::string(40, 'x') + " \\\n";
    chain += "end\n";
    c = parse_sql_config(chain, "f");
    REQUIRE_FALSE(c);
    CHECK(c.status().message() == "f:2: line longer than 65536 bytes");
}

TEST_CASE("sql config: load_sql_config reads the file, reports a missing one") {
    loft_test::TempDir dir;
    auto p = dir.write("sql.conf", "driver = sqlite\nconnect = /db\n");
    auto c = load_sql_config(p);
    REQUIRE(c);
    CHECK(c->path == p);
    CHECK(c->connect == "/db");
    auto missing = load_sql_config(dir.path("nope.conf"));
    REQUIRE_FALSE(missing);
    CHECK(missing.status().code() == Status::Code::not_found);
    CHECK(missing.status().message() == dir.path("nope.conf") + ": cannot read SQL settings: No such file or directory");
}
