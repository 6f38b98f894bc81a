#include "auth/db/drivers.hpp"
#include "auth/sql/sql_connection.hpp"
#include "auth/sql/sql_db.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

using namespace mailstore;
using namespace mailstore::auth;
using Kind = PassdbResult::Kind;
using UKind = UserdbResult::Kind;

namespace {

// Runs SQL on a database file (created when missing) with the C API.
void exec(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(h);
    REQUIRE(rc == SQLITE_OK);
}

const char* schema = "CREATE TABLE users (userid TEXT, username TEXT, domain TEXT, password TEXT, "
                     "home TEXT, uid INTEGER, gid INTEGER, quota TEXT, active TEXT);"
                     "INSERT INTO users VALUES ('alice@example.com', 'alice', 'example.com', "
                     "'{PLAIN}secret', '/srv/vmail/alice', 10000, 10001, '*:storage=1G', 'Y');"
                     "INSERT INTO users VALUES ('bob@example.com', 'bob', 'example.com', NULL, "
                     "'/srv/vmail/bob', 10002, 10002, NULL, 'Y');"
                     "INSERT INTO users VALUES ('o''brien@example.com', 'o''brien', 'example.com', "
                     "'{PLAIN}irish', NULL, 10003, 10003, NULL, 'Y');";

struct SqlFixture {
    loft_test::TempDir dir;
    std::string db = dir.path("users.sqlite");
    SqlFixture() { exec(db, schema); }

    // A settings file with these extra lines; returns DriverArgs for it.
    DriverArgs args(const std::string& lines, const std::string& driver = "sqlite") const {
        std::string conf = dir.write("sql.conf.ext", "driver = " + driver + "\nconnect = " + db + "\n" + lines);
        DriverArgs a;
        a.driver = "sql";
        a.args = conf;
        a.where = {"loft.conf", 12};
        return a;
    }
    std::unique_ptr<PassdbDriver> passdb(const std::string& lines) const {
        auto p = make_sql_passdb(args(lines));
        REQUIRE_MESSAGE(p, p.status().message());
        return std::move(*p);
    }
    std::unique_ptr<UserdbDriver> userdb(const std::string& lines) const {
        auto u = make_sql_userdb(args(lines));
        REQUIRE_MESSAGE(u, u.status().message());
        return std::move(*u);
    }
};

AuthRequest req(std::string user) {
    AuthRequest r;
    r.user = std::move(user);
    r.client.service = "imap";
    r.client.remote_ip = "192.0.2.7";
    return r;
}

std::vector<std::string> keys(const FieldList& f) {
    std::vector<std::string> k;
    for (const auto& [key, value] : f)
        k.push_back(key + "=" + value);
    return k;
}

} // namespace

TEST_CASE("sql passdb: row columns become the result") {
    SqlFixture fx;
    auto p = fx.passdb("default_pass_scheme = SHA512-CRYPT\n"
                       "password_query = SELECT userid AS user, password, home AS userdb_home, "
                       "uid AS userdb_uid, quota AS userdb_quota_rule, 'Y' AS nodelay, NULL AS proxy "
                       "FROM users WHERE userid = 'alice@example.com'\n");
    auto r = p->lookup(req("Alice@Example.COM"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}secret");
    CHECK(r.default_scheme == "SHA512-CRYPT");
    // `user` renames; userdb_ prefetch keeps its prefix; NULL is omitted.
    CHECK(keys(r.fields) == std::vector<std::string>{"userdb_home=/srv/vmail/alice", "userdb_uid=10000",
                                                     "userdb_quota_rule=*:storage=1G", "nodelay=Y",
                                                     "user=alice@example.com"});
    CHECK_FALSE(p->verifies_plaintext());
}

TEST_CASE("sql passdb: username and domain columns combine into user") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT username, domain, password FROM users WHERE userid = 'alice@example.com'\n");
    auto r = p->lookup(req("ALICE"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.fields.get("user") == "alice@example.com");
    CHECK_FALSE(r.fields.has("username"));
    CHECK_FALSE(r.fields.has("domain"));
    CHECK(r.default_scheme == "MD5");
    // username alone replaces the local part and keeps the domain.
    p = fx.passdb("password_query = SELECT 'carol' AS username, password FROM users WHERE userid = 'alice@example.com'\n");
    r = p->lookup(req("alice@example.org"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.fields.get("user") == "carol@example.org");
    // domain alone replaces the domain.
    p = fx.passdb("password_query = SELECT 'example.net' AS domain, password FROM users WHERE userid = 'alice@example.com'\n");
    r = p->lookup(req("alice@example.org"));
    CHECK(r.fields.get("user") == "alice@example.net");
}

TEST_CASE("sql passdb: NULL or empty password is no password; password_noscheme") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password, 'y' AS nopassword FROM users WHERE userid = 'bob@example.com'\n");
    auto r = p->lookup(req("bob@example.com"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password.empty());
    CHECK(r.fields.get("nopassword") == "y");
    p = fx.passdb("default_pass_scheme = PLAIN\n"
                  "password_query = SELECT '{weird}pass' AS password_noscheme\n");
    r = p->lookup(req("x"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}{weird}pass");
    CHECK(r.fields.empty());
}

TEST_CASE("sql passdb: no row is unknown; several rows or no password column is a failure") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password FROM users WHERE userid = 'nobody@example.com'\n");
    CHECK(p->lookup(req("nobody@example.com")).kind == Kind::user_unknown);

    p = fx.passdb("password_query = SELECT password FROM users WHERE domain = 'example.com'\n");
    auto r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: Password query returned multiple matches");

    p = fx.passdb("password_query = SELECT home FROM users WHERE userid = 'alice@example.com'\n");
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: Password query must return a field named 'password'");
}

TEST_CASE("sql passdb: SQL errors, a missing or corrupt database fail temporarily, never unknown") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password FROM no_such_table\n");
    auto r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db + ": query failed: no such table: no_such_table");

    std::filesystem::remove(fx.db);
    p = fx.passdb("password_query = SELECT password FROM users WHERE userid = 'alice@example.com'\n");
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db + ": cannot open database: unable to open database file");
    // The lookup must not have created an empty database.
    CHECK_FALSE(std::filesystem::exists(fx.db));

    fx.dir.write("users.sqlite", std::string(4096, 'j'));
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db + ": query failed: file is not a database");

    // Repaired: the same driver reopens the file and finds the user.
    std::filesystem::remove(fx.db);
    exec(fx.db, schema);
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}secret");

    // A new database renamed over the old one is read at the next query.
    exec(fx.dir.path("new.sqlite"), "CREATE TABLE users (userid TEXT, password TEXT);"
                                    "INSERT INTO users VALUES ('alice@example.com', '{PLAIN}renamed');");
    std::filesystem::rename(fx.dir.path("new.sqlite"), fx.db);
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}renamed");
}

TEST_CASE("sql passdb/userdb: creation errors name the file and line") {
    SqlFixture fx;
    auto p = make_sql_passdb(fx.args("", "pgsql"));
    REQUIRE_FALSE(p);
    CHECK(p.status().message() == fx.dir.path("sql.conf.ext") +
                                      ":1: driver pgsql is not available in this build; PostgreSQL and MariaDB come later");
    auto u = make_sql_userdb(fx.args("", "mysql"));
    REQUIRE_FALSE(u);
    CHECK(u.status().message() == fx.dir.path("sql.conf.ext") +
                                      ":1: driver mysql is not available in this build; PostgreSQL and MariaDB come later");
    u = make_sql_userdb(fx.args("", "oracle"));
    REQUIRE_FALSE(u);
    CHECK(u.status().message() == fx.dir.path("sql.conf.ext") + ":1: unknown SQL driver 'oracle' (sqlite, pgsql or mysql)");
    p = make_sql_passdb(fx.args("password_query SELECT\n"));
    REQUIRE_FALSE(p);
    CHECK(p.status().message() == fx.dir.path("sql.conf.ext") + ":3: expected 'key = value', got 'password_query SELECT'");

    DriverArgs a = fx.args("");
    a.args = fx.dir.path("missing.conf");
    p = make_sql_passdb(a);
    REQUIRE_FALSE(p);
    CHECK(p.status().message() == "loft.conf:12: " + fx.dir.path("missing.conf") +
                                      ": cannot read SQL settings: No such file or directory");
    a.args = "  ";
    p = make_sql_passdb(a);
    REQUIRE_FALSE(p);
    CHECK(p.status().message() == "loft.conf:12: sql: args must name the SQL settings file (dovecot-sql.conf.ext)");
    // A database that is missing at start is not a creation error.
    std::filesystem::remove(fx.db);
    CHECK(make_sql_passdb(fx.args("")));
}

TEST_CASE("sql: SQLite escaping doubles quotes and refuses NUL") {
    auto c = sql::make_sqlite_connection("/nonexistent");
    CHECK(*c->escape("o'brien") == "o''brien");
    CHECK(*c->escape("''") == "''''");
    CHECK(*c->escape("plain") == "plain");
    auto nul = c->escape(std::string_view("a\0b", 3));
    REQUIRE_FALSE(nul);
    CHECK(nul.status().message() == "value contains a NUL byte");

    // An escaped hostile value stays inside its literal.
    SqlFixture fx;
    auto db = sql::make_sqlite_connection(fx.db);
    std::string hostile = *db->escape("x' OR '1'='1");
    int rows = 0;
    REQUIRE(db->query("SELECT userid FROM users WHERE userid = '" + hostile + "'", [&](const sql::SqlRow&) {
        ++rows;
        return true;
    }));
    CHECK(rows == 0);
    std::string name;
    REQUIRE(db->query("SELECT userid FROM users WHERE userid = '" + *db->escape("o'brien@example.com") + "'",
                      [&](const sql::SqlRow& r) {
                          name = *r.values[0];
                          return true;
                      }));
    CHECK(name == "o'brien@example.com");
}

TEST_CASE("sql: connection rows keep NULL apart from empty, numbers as text") {
    SqlFixture fx;
    auto db = sql::make_sqlite_connection(fx.db);
    std::vector<std::optional<std::string>> got;
    std::vector<std::string> cols;
    REQUIRE(db->query("SELECT NULL AS a, '' AS b, 42 AS c, 1.5 AS d", [&](const sql::SqlRow& r) {
        got = r.values;
        cols = *r.columns;
        return true;
    }));
    CHECK(cols == std::vector<std::string>{"a", "b", "c", "d"});
    REQUIRE(got.size() == 4);
    CHECK_FALSE(got[0].has_value());
    CHECK(got[1] == "");
    CHECK(got[2] == "42");
    CHECK(got[3] == "1.5");
    // Stopping early is not an error.
    int n = 0;
    REQUIRE(db->query("SELECT userid FROM users", [&](const sql::SqlRow&) { return ++n < 2; }));
    CHECK(n == 2);
    auto st = db->query(std::string_view("SELECT 1\0", 9), [](const sql::SqlRow&) { return true; });
    CHECK_FALSE(st);
}

TEST_CASE("sql passdb/userdb: variables are expanded with every value escaped") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    auto r = p->lookup(req("o'brien@example.com"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}irish");
    CHECK(p->lookup(req("x' OR '1'='1")).kind == Kind::user_unknown);
    CHECK(p->lookup(req("alice@example.com' --")).kind == Kind::user_unknown);
    auto nul = p->lookup(req(std::string("alice@example.com\0x", 19)));
    CHECK(nul.kind == Kind::user_unknown);

    p = fx.passdb("password_query = SELECT username, domain, password FROM users "
                  "WHERE username = '%Ln' AND domain = '%Ld' AND active = 'Y'\n");
    r = p->lookup(req("Alice@Example.com"));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.fields.get("user") == "alice@example.com");

    auto u = fx.userdb("user_query = SELECT home, uid, gid FROM users WHERE userid = '%u'\n");
    auto ur = u->lookup(req("o'brien@example.com"));
    REQUIRE(ur.kind == UKind::ok);
    CHECK(keys(ur.fields) == std::vector<std::string>{"uid=10003", "gid=10003"});
    CHECK(u->lookup(req("' OR ''='")).kind == UKind::user_unknown);

    // A template the expander refuses is a configuration error.
    p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%{no_such_variable}'\n");
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error.rfind("sql: password_query: ", 0) == 0);
}

TEST_CASE("sql userdb: fields, unknown users, failures") {
    SqlFixture fx;
    auto u = fx.userdb("user_query = SELECT home, uid, gid, quota AS quota_rule, NULL AS mail "
                       "FROM users WHERE userid = 'alice@example.com'\n");
    auto r = u->lookup(req("alice@example.com"));
    REQUIRE(r.kind == UKind::ok);
    CHECK(keys(r.fields) == std::vector<std::string>{"home=/srv/vmail/alice", "uid=10000", "gid=10001",
                                                     "quota_rule=*:storage=1G"});
    u = fx.userdb("user_query = SELECT home FROM users WHERE userid = 'zed'\n");
    CHECK(u->lookup(req("zed")).kind == UKind::user_unknown);
    // Several rows: the first one counts.
    u = fx.userdb("user_query = SELECT userid AS user, uid FROM users ORDER BY uid\n");
    r = u->lookup(req("x"));
    REQUIRE(r.kind == UKind::ok);
    CHECK(keys(r.fields) == std::vector<std::string>{"uid=10000", "user=alice@example.com"});

    u = fx.userdb("user_query = SELEC home\n");
    r = u->lookup(req("alice@example.com"));
    CHECK(r.kind == UKind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db + ": query failed: near \"SELEC\": syntax error");
    std::filesystem::remove(fx.db);
    u = fx.userdb("");
    CHECK(u->lookup(req("alice@example.com")).kind == UKind::internal_failure);
}

TEST_CASE("sql userdb: iterate with user or username+domain columns") {
    SqlFixture fx;
    auto collect = [](UserdbDriver& u, Status& st) {
        std::vector<std::string> users;
        st = u.iterate([&](std::string_view name) {
            users.emplace_back(name);
            return true;
        });
        return users;
    };
    Status st;
    auto u = fx.userdb("iterate_query = SELECT userid AS user FROM users ORDER BY uid\n");
    CHECK(u->can_iterate());
    CHECK(collect(*u, st) == std::vector<std::string>{"alice@example.com", "bob@example.com", "o'brien@example.com"});
    CHECK(st);
    u = fx.userdb(""); // Dovecot's default: SELECT username, domain FROM users
    CHECK(collect(*u, st) == std::vector<std::string>{"alice@example.com", "bob@example.com", "o'brien@example.com"});
    CHECK(st);
    // Stopping early.
    int n = 0;
    CHECK(u->iterate([&](std::string_view) { return ++n < 2; }));
    CHECK(n == 2);

    u = fx.userdb("iterate_query = SELECT home FROM users\n");
    CHECK(collect(*u, st).empty());
    CHECK(st.code() == Status::Code::invalid_argument);
    CHECK(st.message() == fx.dir.path("sql.conf.ext") +
                              ": iterate_query must return a 'user' column or 'username' and 'domain' columns");
    // The open connection notices that the file is gone.
    std::filesystem::remove(fx.db);
    CHECK(collect(*u, st).empty());
    CHECK(st.code() == Status::Code::temporary_failure);
    CHECK(st.message() == "sql: sqlite " + fx.db + ": cannot open database: unable to open database file");
}

TEST_CASE("sql: concurrent lookups from many threads") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password, uid AS userdb_uid FROM users WHERE userid = 'alice@example.com'\n");
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto r = p->lookup(req("alice@example.com"));
                if (r.kind == Kind::ok && r.password == "{PLAIN}secret" && r.fields.get("userdb_uid") == "10000")
                    ++ok;
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(ok.load() == 1600);
}

TEST_CASE("sql: cache key lists the query's variables") {
    CHECK(sql::query_cache_key("SELECT password FROM users WHERE userid = '%u'") == "%u");
    CHECK(sql::query_cache_key("WHERE username = '%Ln' AND domain = '%Ld' OR x = '%Ln'") == "%Ln\t%Ld");
    CHECK(sql::query_cache_key("WHERE a = '%{rip}' AND b LIKE '100%%' AND c = '%{user}'") == "%{rip}\t%{user}");
    CHECK(sql::query_cache_key("SELECT 1") == "");
    SqlFixture fx;
    CHECK(fx.passdb("password_query = SELECT password FROM users WHERE userid = '%Lu' AND '%s' = 'imap'\n")->cache_key() ==
          "%Lu\t%s");
    CHECK(fx.userdb("")->cache_key() == "%n\t%d");
}

namespace {

// Another process writing the database: the sqlite3 shell, kept running
// between statements so it keeps the database open (and, in WAL mode, its
// changes in the -wal file). run() returns once the shell has executed the
// statements: it touches a flag file after them.
class SqliteShell {
public:
    SqliteShell(const loft_test::TempDir& dir, const std::string& db)
        : dir_(dir), pipe_(popen(("exec sqlite3 -batch " + db + " >/dev/null").c_str(), "w")) {}
    ~SqliteShell() { close(); }
    SqliteShell(const SqliteShell&) = delete;
    SqliteShell& operator=(const SqliteShell&) = delete;

    bool run(const std::string& sql) {
        if (pipe_ == nullptr)
            return false;
        std::string flag = dir_.path("shell-done-" + std::to_string(++runs_));
        std::fprintf(pipe_, "%s\n.shell touch %s\n", sql.c_str(), flag.c_str());
        std::fflush(pipe_);
        // Waits for the shell, at most 20 s (a bound, not a measurement).
        for (int i = 0; i < 2000 && !std::filesystem::exists(flag); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return std::filesystem::exists(flag);
    }
    // Ends the shell: it closes the database (checkpointing a WAL).
    int close() {
        int rc = pipe_ != nullptr ? pclose(pipe_) : -1;
        pipe_ = nullptr;
        return rc;
    }

private:
    const loft_test::TempDir& dir_;
    FILE* pipe_;
    int runs_ = 0;
};

std::size_t row_count(const std::string& db, const std::string& table) {
    std::size_t n = 0;
    auto c = sql::make_sqlite_connection(db);
    REQUIRE(c->query("SELECT COUNT(*) FROM " + table, [&](const sql::SqlRow& r) {
        n = std::stoul(*r.values[0]);
        return true;
    }));
    return n;
}

} // namespace

TEST_CASE("sql: the SQLite database is opened read-only; a query that writes fails and changes nothing") {
    SqlFixture fx;
    auto db = sql::make_sqlite_connection(fx.db);
    auto st = db->query("DELETE FROM users", [](const sql::SqlRow&) { return true; });
    REQUIRE_FALSE(st);
    CHECK(st.code() == Status::Code::temporary_failure);
    CHECK(st.message() == "sqlite " + fx.db + ": query failed: attempt to write a readonly database");
    st = db->query("CREATE TABLE extra (x TEXT)", [](const sql::SqlRow&) { return true; });
    REQUIRE_FALSE(st);
    CHECK(st.message() == "sqlite " + fx.db + ": query failed: attempt to write a readonly database");
    CHECK(row_count(fx.db, "users") == 3);

    // A password_query that writes (a typo, or one a hostile value turned
    // into a write) is an internal failure and leaves the data alone.
    auto p = fx.passdb("password_query = UPDATE users SET password = '{PLAIN}owned' WHERE userid = '%u' "
                       "RETURNING password\n");
    auto r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db + ": query failed: attempt to write a readonly database");
    p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}secret");
}

TEST_CASE("sql: a database another process updates in place is seen by the next lookup") {
    SqlFixture fx;
    auto p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    CHECK(p->lookup(req("alice@example.com")).password == "{PLAIN}secret");
    SqliteShell writer(fx.dir, fx.db);
    REQUIRE(writer.run("UPDATE users SET password = '{PLAIN}changed' WHERE username = 'alice';"));
    // The pooled connection stays open and reads the committed change.
    auto r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}changed");
    REQUIRE(writer.run("DELETE FROM users WHERE username = 'alice';"));
    CHECK(p->lookup(req("alice@example.com")).kind == Kind::user_unknown);
    CHECK(writer.close() == 0);
}

TEST_CASE("sql: a WAL-mode database written by another process is read with its -wal file") {
    SqlFixture fx;
    SqliteShell writer(fx.dir, fx.db);
    REQUIRE(writer.run("PRAGMA journal_mode = WAL; UPDATE users SET password = '{PLAIN}wal1' WHERE username = 'alice';"));
    // While the writer keeps the database open, the change is only in the
    // -wal file: a reader that ignored it would see '{PLAIN}secret'.
    REQUIRE(std::filesystem::exists(fx.db + "-wal"));
    CHECK(std::filesystem::file_size(fx.db + "-wal") > 0);
    auto p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    auto r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}wal1");

    // Later commits are seen by the same (pooled, still open) connection.
    REQUIRE(writer.run("UPDATE users SET password = '{PLAIN}wal2' WHERE username = 'alice';"
                       "INSERT INTO users (userid, password) VALUES ('carol@example.com', '{PLAIN}new');"));
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}wal2");
    r = p->lookup(req("carol@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}new");
    CHECK(writer.close() == 0);
    r = p->lookup(req("alice@example.com"));
    CHECK(r.password == "{PLAIN}wal2");
    p.reset();

    // A WAL database whose writer has gone (no -wal or -shm left) opens
    // read-only too: SQLite creates the files in the writable directory.
    SqliteShell again(fx.dir, fx.db);
    REQUIRE(again.run("UPDATE users SET password = '{PLAIN}wal3' WHERE username = 'alice';"));
    CHECK(again.close() == 0);
    CHECK_FALSE(std::filesystem::exists(fx.db + "-wal"));
    CHECK_FALSE(std::filesystem::exists(fx.db + "-shm"));
    p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    r = p->lookup(req("alice@example.com"));
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}wal3");
}

TEST_CASE("sql: a WAL database in a directory the auth process cannot write") {
    if (geteuid() != 0) {
        MESSAGE("skipped: switching to another user needs root");
        return;
    }
    SqlFixture fx;
    // The usual layout: the database and its directory belong to the
    // provisioning user; the auth process (here uid 65534) may only read.
    REQUIRE(chmod(fx.dir.path().c_str(), 0755) == 0);
    REQUIRE(chmod(fx.db.c_str(), 0644) == 0);
    SqliteShell writer(fx.dir, fx.db);
    REQUIRE(writer.run("PRAGMA journal_mode = WAL; UPDATE users SET password = '{PLAIN}wal1' WHERE username = 'alice';"));
    REQUIRE(std::filesystem::exists(fx.db + "-shm"));
    auto p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    // While the writer runs, the -wal and -shm files exist (0644): they are
    // read without being written.
    REQUIRE(seteuid(65534) == 0);
    auto r = p->lookup(req("alice@example.com"));
    REQUIRE(writer.run("UPDATE users SET password = '{PLAIN}wal2' WHERE username = 'alice';"));
    auto r2 = p->lookup(req("alice@example.com"));
    REQUIRE(seteuid(0) == 0);
    CHECK(r.kind == Kind::ok);
    CHECK(r.password == "{PLAIN}wal1");
    CHECK(r2.kind == Kind::ok);
    CHECK(r2.password == "{PLAIN}wal2");
    p.reset();
    CHECK(writer.close() == 0);

    // Without a writer the files are gone, and a process that cannot create
    // them cannot read a WAL database (SQLite's rule): a temporary failure.
    p = fx.passdb("password_query = SELECT password FROM users WHERE userid = '%u'\n");
    REQUIRE(seteuid(65534) == 0);
    r = p->lookup(req("alice@example.com"));
    REQUIRE(seteuid(0) == 0);
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "sql: sqlite " + fx.db +
                         ": query failed: attempt to write a readonly database (a WAL-mode database needs its -wal "
                         "and -shm files: let this process create them in the directory, keep them present and "
                         "readable, or use journal_mode=DELETE)");
}
