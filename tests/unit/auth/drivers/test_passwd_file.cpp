// passwd-file passdb and userdb on real files.
#include "auth/db/passwd_file.hpp"
#include "drivers_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace mailstore::auth;
using drv_test::args;
using drv_test::dump;
using drv_test::request;

namespace {

std::unique_ptr<PassdbDriver> passdb(const std::string& a) {
    auto r = make_passdb(args("passwd-file", a));
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return std::move(r).value();
}

std::unique_ptr<UserdbDriver> userdb(const std::string& a) {
    auto r = make_userdb(args("passwd-file", a));
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return std::move(r).value();
}

void set_mtime(const std::string& path, long sec) {
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    REQUIRE(utimensat(AT_FDCWD, path.c_str(), ts, 0) == 0);
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

const char* book =
    "bla@example.org:{PLAIN}test:10000:10000::/srv/vmail/example.org/bla::\n"
    "user:{plain}pass:10000:10000::/home/user::proxy=y host=127.0.0.1\n";

} // namespace

TEST_CASE("passwd-file: the book's lines through passdb and userdb") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", book);
    auto p = passdb(path);
    auto r = p->lookup(request("bla@example.org"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "{PLAIN}test");
    CHECK(r.default_scheme == "CRYPT");
    CHECK(dump(r.fields) == "");
    r = p->lookup(request("user"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "{plain}pass");
    CHECK(dump(r.fields) == "[proxy=y][host=127.0.0.1]");
    CHECK(p->lookup(request("nobody")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->lookup(request("BLA@example.org")).kind == PassdbResult::Kind::user_unknown);

    auto u = userdb(path);
    auto ur = u->lookup(request("bla@example.org"));
    CHECK(ur.kind == UserdbResult::Kind::ok);
    CHECK(dump(ur.fields) == "[uid=10000][gid=10000][home=/srv/vmail/example.org/bla]");
    ur = u->lookup(request("user"));
    CHECK(dump(ur.fields) == "[uid=10000][gid=10000][home=/home/user]"); // proxy/host are passdb fields
    CHECK(u->lookup(request("nobody")).kind == UserdbResult::Kind::user_unknown);
}

TEST_CASE("passwd-file: userdb_ extras, ':' inside extras, fewer fields") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd",
                          "bla:{PLAIN}t:1:2:Gecos Name:/h:/bin/sh:userdb_mail=maildir:~/M  userdb_x foo=bar nodelay\n"
                          "short:{PLAIN}s\n"
                          "bare\n"
                          "uidonly:pw:7\n");
    auto p = passdb(path);
    auto r = p->lookup(request("bla"));
    CHECK(dump(r.fields) == "[userdb_mail=maildir:~/M][userdb_x=][foo=bar][nodelay=]");
    auto u = userdb(path);
    CHECK(dump(u->lookup(request("bla")).fields) == "[uid=1][gid=2][home=/h][mail=maildir:~/M][x=]");

    r = p->lookup(request("short"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "{PLAIN}s");
    CHECK(r.fields.empty());
    auto ur = u->lookup(request("short"));
    CHECK(ur.kind == UserdbResult::Kind::ok);
    CHECK(ur.fields.empty());
    r = p->lookup(request("bare"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "");
    CHECK(dump(u->lookup(request("uidonly")).fields) == "[uid=7]");
}

TEST_CASE("passwd-file: uid and gid names resolve like getpwnam/getgrnam") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    loft_test::TempDir logdir;
    drv_test::LogCapture cap(logdir);
    auto path = dir.write("passwd", "a:x:root:root::/h\nb:x:loft-no-such-user-zz:0::/h\nc:x:0:loft-no-such-group-zz::/h\n"
                                    "d:x:4294967295:1\ne:x:-1:1\nf:x:12ab:1\n");
    auto u = userdb(path);
    CHECK(dump(u->lookup(request("a")).fields) == "[uid=0][gid=0][home=/h]");
    for (auto name : {"b", "c", "d", "e", "f"})
        CHECK(u->lookup(request(name)).kind == UserdbResult::Kind::user_unknown);
    auto log = cap.text();
    CHECK(log.find("auth: Warning: " + path + ":2: user b has invalid uid 'loft-no-such-user-zz'\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":3: user c has invalid gid 'loft-no-such-group-zz'\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":4: user d has invalid uid '4294967295'\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":5: user e has invalid uid '-1'\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":6: user f has invalid uid '12ab'\n") != std::string::npos);
}

TEST_CASE("passwd-file: malformed lines are reported once with file:line and skipped") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    loft_test::TempDir logdir;
    drv_test::LogCapture cap(logdir);
    std::string content = "# comment\n"
                          "\n"
                          "good:{PLAIN}one:1000:1000::/h1\r\n"
                          "good:{PLAIN}two:1001:1001::/h2\n"
                          ":{PLAIN}x:1:1::/h\n"
                          "long:" + std::string(70000, 'x') + "\n"
                          "nul:x" + std::string(1, '\0') + "y\n"
                          "   \t \n"
                          "  # indented comment\n"
                          "last:{PLAIN}l";
    auto path = dir.write("passwd", content);
    auto p = passdb(path);
    auto r = p->lookup(request("good"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "{PLAIN}one"); // the first line wins, CR stripped
    CHECK(p->lookup(request("last")).password == "{PLAIN}l");
    CHECK(p->lookup(request("long")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->lookup(request("nul")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->lookup(request("")).kind == PassdbResult::Kind::user_unknown);
    auto log = cap.text();
    CHECK(log.find("auth: Warning: " + path + ":4: user good exists more than once (the first line is used)\n") !=
          std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":5: empty user name\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":6: line longer than 65536 bytes\n") != std::string::npos);
    CHECK(log.find("auth: Warning: " + path + ":7: NUL byte in line\n") != std::string::npos);
    CHECK(count(log, "Warning") == 4); // once per load, not per lookup
}

TEST_CASE("passwd-file: parse() lists problems by line") {
    auto parsed = passwd_file::parse("a:1\n:x\nb:2\na:3\n");
    REQUIRE(parsed.entries.size() == 2);
    CHECK(parsed.entries[0].user == "a");
    CHECK(parsed.entries[1].user == "b");
    REQUIRE(parsed.problems.size() == 2);
    CHECK(parsed.problems[0].line == 2);
    CHECK(parsed.problems[0].reason == "empty user name");
    CHECK(parsed.problems[1].line == 4);
    CHECK(parsed.find("b")->password == "2");
    CHECK(parsed.find("c") == nullptr);
}

TEST_CASE("passwd-file: more than 100 problems are summed up in one line") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    loft_test::TempDir logdir;
    drv_test::LogCapture cap(logdir);
    std::string content;
    for (int i = 0; i < 150; ++i)
        content += ":empty\n";
    content += "ok:pw\n";
    auto path = dir.write("passwd", content);
    auto p = passdb(path);
    CHECK(p->lookup(request("ok")).kind == PassdbResult::Kind::ok);
    auto log = cap.text();
    CHECK(count(log, "empty user name") == 100);
    CHECK(log.find("auth: Warning: " + path + ": 50 more malformed lines skipped\n") != std::string::npos);
}

TEST_CASE("passwd-file: re-read when the file changes, generation bumps") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "alice:{PLAIN}one\n");
    set_mtime(path, 1000000000);
    auto p = passdb(path);
    CHECK(p->generation() == 1); // loaded at startup
    CHECK(p->lookup(request("alice")).password == "{PLAIN}one");
    CHECK(p->lookup(request("alice")).password == "{PLAIN}one");
    CHECK(p->generation() == 1);

    // Same size, new mtime.
    dir.write("passwd", "alice:{PLAIN}two\n");
    set_mtime(path, 1000000100);
    CHECK(p->lookup(request("alice")).password == "{PLAIN}two");
    CHECK(p->generation() == 2);

    // Replaced by rename (new inode), new user.
    auto tmp = dir.write("passwd.new", "alice:{PLAIN}three\nbob:{PLAIN}b\n");
    std::filesystem::rename(tmp, path);
    CHECK(p->lookup(request("bob")).kind == PassdbResult::Kind::ok);
    CHECK(p->lookup(request("alice")).password == "{PLAIN}three");
    CHECK(p->generation() == 3);

    // Deleted: a temporary failure, never "unknown user".
    std::filesystem::remove(path);
    auto r = p->lookup(request("alice"));
    CHECK(r.kind == PassdbResult::Kind::internal_failure);
    CHECK(r.error == path + ": No such file or directory");
    CHECK(p->generation() == 4); // losing the users is a change too
    // Back again.
    dir.write("passwd", "alice:{PLAIN}four\n");
    CHECK(p->lookup(request("alice")).password == "{PLAIN}four");
    CHECK(p->generation() == 5);
}

TEST_CASE("passwd-file: generation() notices a change without a lookup (the auth cache asks it)") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "alice:{PLAIN}one\n");
    auto p = passdb(path);
    CHECK(p->generation() == 1);
    CHECK(p->generation() == 1);
    dir.write("passwd", "alice:{PLAIN}changed\n");
    CHECK(p->generation() == 2);

    dir.write("d.example/passwd", "a@d.example:{PLAIN}one\n");
    auto t = userdb(dir.str() + "/%d/passwd");
    CHECK(t->lookup(request("a@d.example")).kind == UserdbResult::Kind::ok);
    CHECK(t->generation() == 1);
    dir.write("d.example/passwd", "a@d.example:{PLAIN}one:5\n");
    CHECK(t->generation() == 2);
    std::filesystem::remove(dir.path / "d.example" / "passwd");
    CHECK(t->generation() == 3);
    CHECK(t->lookup(request("a@d.example")).kind == UserdbResult::Kind::user_unknown);
}

TEST_CASE("passwd-file: changes are noticed only after the check interval") {
    passwd_file::set_check_interval(std::chrono::hours(1));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "alice:{PLAIN}one\n");
    auto p = passdb(path);
    dir.write("passwd", "alice:{PLAIN}two2\n");
    CHECK(p->lookup(request("alice")).password == "{PLAIN}one");
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    CHECK(p->lookup(request("alice")).password == "{PLAIN}two2");
}

TEST_CASE("passwd-file: per-domain files through %d in the path") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    loft_test::TempDir logdir;
    drv_test::LogCapture cap(logdir);
    dir.write("example.org/passwd", "bla@example.org:{PLAIN}org:1:1::/o\n");
    dir.write("example.net/passwd", "bla@example.net:{PLAIN}net:2:2::/n\n");
    dir.write("passwd", "x@..:{PLAIN}outside\n");
    const std::string tmpl = dir.str() + "/%d/passwd";
    auto p = passdb(tmpl); // a missing file for some domain is not an error at startup
    CHECK(p->generation() == 0);
    CHECK(p->lookup(request("bla@example.org")).password == "{PLAIN}org");
    CHECK(p->lookup(request("bla@example.net")).password == "{PLAIN}net");
    CHECK(p->generation() == 2);
    CHECK(p->lookup(request("bla@example.com")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->lookup(request("other@example.org")).kind == PassdbResult::Kind::user_unknown);
    // Values that would leave the directory never name a file.
    CHECK(p->lookup(request("x@..")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->lookup(request("x@a/../..")).kind == PassdbResult::Kind::user_unknown);
    auto log = cap.text();
    CHECK(log.find("auth: Info: missing passwd file: " + dir.str() + "/example.com/passwd\n") != std::string::npos);

    auto u = userdb(tmpl);
    CHECK(dump(u->lookup(request("bla@example.net")).fields) == "[uid=2][gid=2][home=/n]");
    CHECK_FALSE(u->can_iterate());
    auto it = u->iterate([](std::string_view) { return true; });
    CHECK_FALSE(it.is_ok());
    CHECK(it.message() == "passwd-file " + tmpl + ": cannot list users of a path with %variables");

    // An unreadable per-domain "file" is a temporary failure.
    std::filesystem::create_directories(dir.path / "dir.example" / "passwd");
    auto r = p->lookup(request("a@dir.example"));
    CHECK(r.kind == PassdbResult::Kind::internal_failure);
    CHECK(r.error == dir.str() + "/dir.example/passwd: not a regular file");
}

TEST_CASE("passwd-file: username_format= and scheme=") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "bla:secret:5:5::/h\n");
    auto p = passdb("scheme=SHA256 username_format=%Ln " + path);
    auto r = p->lookup(request("BLA@example.org"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "secret");
    CHECK(r.default_scheme == "SHA256");
    CHECK(p->cache_key() == "%Ln");
    CHECK(p->lookup(request("bla")).kind == PassdbResult::Kind::ok);
    CHECK(p->lookup(request("blax@example.org")).kind == PassdbResult::Kind::user_unknown);
    auto u = userdb("username_format=%n " + path);
    CHECK(dump(u->lookup(request("bla@x")).fields) == "[uid=5][gid=5][home=/h]");
    // A bad username_format fails the lookup (temporary), not the user.
    auto bad = passdb("username_format=%z " + path);
    auto br = bad->lookup(request("bla"));
    CHECK(br.kind == PassdbResult::Kind::internal_failure);
    CHECK(br.error == "username_format: unknown variable %z in \"%z\"");
}

TEST_CASE("passwd-file: iterate lists users in file order") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "zed:x\nalice:x\n:bad\nmid:x\n");
    auto u = userdb(path);
    CHECK(u->can_iterate());
    std::vector<std::string> seen;
    CHECK(u->iterate([&](std::string_view n) {
               seen.emplace_back(n);
               return true;
           }).is_ok());
    CHECK(seen == std::vector<std::string>{"zed", "alice", "mid"});
    seen.clear();
    CHECK(u->iterate([&](std::string_view n) {
               seen.emplace_back(n);
               return seen.size() < 2;
           }).is_ok());
    CHECK(seen == std::vector<std::string>{"zed", "alice"});
}

TEST_CASE("passwd-file: bad args and a missing fixed file fail at startup") {
    loft_test::TempDir dir;
    auto r = make_passdb(args("passwd-file", ""));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "/etc/loft/auth.conf:12: passwd-file: args must name the passwd-file PATH");
    r = make_passdb(args("passwd-file", "scheme=SHA1"));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "/etc/loft/auth.conf:12: passwd-file: args must name the passwd-file PATH");
    auto missing = dir.str() + "/nope";
    auto u = make_userdb(args("passwd-file", missing));
    REQUIRE_FALSE(u.is_ok());
    CHECK(u.status().code() == mailstore::Status::Code::not_found);
    CHECK(u.status().message() == "/etc/loft/auth.conf:12: passwd-file: " + missing + ": No such file or directory");
}

TEST_CASE("passwd-file: 100,000 users load into a hash map") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    std::string content;
    content.reserve(100000 * 80);
    for (int i = 0; i < 100000; ++i)
        content += "user" + std::to_string(i) + "@example.org:{PLAIN}pw" + std::to_string(i) + ":10000:10000::/srv/" +
                   std::to_string(i) + "::userdb_quota_rule=*:storage=1G\n";
    auto path = dir.write("passwd", content);
    auto p = passdb(path);
    CHECK(p->lookup(request("user99999@example.org")).password == "{PLAIN}pw99999");
    CHECK(p->lookup(request("user0@example.org")).password == "{PLAIN}pw0");
    CHECK(dump(p->lookup(request("user5@example.org")).fields) ==
          "[userdb_quota_rule=*:storage=1G]");
    CHECK(p->lookup(request("user100000@example.org")).kind == PassdbResult::Kind::user_unknown);
    CHECK(p->generation() == 1);
}

TEST_CASE("passwd-file: lookups from several threads while the file is replaced") {
    passwd_file::set_check_interval(std::chrono::milliseconds(0));
    loft_test::TempDir dir;
    auto path = dir.write("passwd", "alice:{PLAIN}v0\n");
    auto p = passdb(path);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    auto reader = [&] {
        while (!stop.load()) {
            auto r = p->lookup(request("alice"));
            // Every answer is one whole version of the file, never a torn one.
            if (r.kind != PassdbResult::Kind::ok || !r.password.starts_with("{PLAIN}v"))
                ++bad;
        }
    };
    std::thread t1(reader), t2(reader);
    for (int i = 1; i <= 50; ++i) {
        auto tmp = dir.write("passwd.new", "alice:{PLAIN}v" + std::to_string(i) + "\n");
        std::filesystem::rename(tmp, path); // atomic replace, as admins should
    }
    stop = true;
    t1.join();
    t2.join();
    CHECK(bad.load() == 0);
    CHECK(p->lookup(request("alice")).password == "{PLAIN}v50");
    CHECK(p->generation() >= 2);
}
