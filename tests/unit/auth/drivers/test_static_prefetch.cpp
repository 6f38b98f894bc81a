// static passdb/userdb, prefetch userdb and the driver factory.
#include "drivers_support.hpp"

#include <doctest/doctest.h>

using namespace mailstore::auth;
using drv_test::args;
using drv_test::dump;
using drv_test::request;

TEST_CASE("static passdb: password and fields, %variables per request") {
    auto p = make_passdb(args("static", "password=pw-%n nopassword=%d allow_nets=127.0.0.0/8 proxy"));
    REQUIRE(p.is_ok());
    auto r = (*p)->lookup(request("bob@example.org"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "pw-bob");
    CHECK(r.default_scheme == "PLAIN");
    CHECK(dump(r.fields) == "[nopassword=example.org][allow_nets=127.0.0.0/8][proxy=]");
    CHECK((*p)->cache_key() == "");

    auto nopw = make_passdb(args("static", "nopassword"));
    REQUIRE(nopw.is_ok());
    r = (*nopw)->lookup(request("x"));
    CHECK(r.kind == PassdbResult::Kind::ok);
    CHECK(r.password == "");
    CHECK(dump(r.fields) == "[nopassword=]");

    auto bad = make_passdb(args("static", "password=%z"));
    REQUIRE(bad.is_ok());
    r = (*bad)->lookup(request("x"));
    CHECK(r.kind == PassdbResult::Kind::internal_failure);
    CHECK(r.error == "static: failed to expand args: unknown variable %z in \"%z\"");
}

TEST_CASE("static userdb with allow_all_users=yes answers every user") {
    auto u = make_userdb(args("static", "uid=vmail gid=8 home=/srv/vmail/%d/%n allow_all_users=yes"));
    REQUIRE(u.is_ok());
    auto r = (*u)->lookup(request("bob@example.org"));
    CHECK(r.kind == UserdbResult::Kind::ok);
    CHECK(dump(r.fields) == "[uid=vmail][gid=8][home=/srv/vmail/example.org/bob]");
    auto bad = make_userdb(args("static", "home=/%{nosuch} allow_all_users=yes"));
    REQUIRE(bad.is_ok());
    auto br = (*bad)->lookup(request("bob"));
    CHECK(br.kind == UserdbResult::Kind::internal_failure);
    CHECK(br.error == "static: failed to expand args: home: unknown variable %{nosuch} in \"/%{nosuch}\"");
}

TEST_CASE("static userdb without allow_all_users confirms the user through the passdbs") {
    auto a = args("static", "uid=1000 gid=1000 home=/home/%u");
    std::vector<std::string> asked;
    a.passdb_lookup = [&](const AuthRequest& req) {
        asked.push_back(req.user);
        PassdbResult r;
        if (req.user == "known")
            r.kind = PassdbResult::Kind::ok;
        else if (req.user == "broken") {
            r.kind = PassdbResult::Kind::internal_failure;
            r.error = "db down";
        } else
            r.kind = PassdbResult::Kind::user_unknown;
        return r;
    };
    auto u = make_userdb(a);
    REQUIRE(u.is_ok());
    auto r = (*u)->lookup(request("known"));
    CHECK(r.kind == UserdbResult::Kind::ok);
    CHECK(dump(r.fields) == "[uid=1000][gid=1000][home=/home/known]");
    CHECK((*u)->lookup(request("stranger")).kind == UserdbResult::Kind::user_unknown);
    r = (*u)->lookup(request("broken"));
    CHECK(r.kind == UserdbResult::Kind::internal_failure);
    CHECK(r.error == "static userdb: passdb lookup failed: db down");
    CHECK(asked == std::vector<std::string>{"known", "stranger", "broken"});

    auto no = make_userdb(args("static", "uid=1 allow_all_users=no"));
    REQUIRE(no.is_ok());
    r = (*no)->lookup(request("x"));
    CHECK(r.kind == UserdbResult::Kind::internal_failure);
    CHECK(r.error == "static userdb: no passdb to confirm the user exists (set allow_all_users=yes)");

    auto bad = make_userdb(args("static", "uid=1 allow_all_users=maybe"));
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() ==
          "/etc/loft/auth.conf:12: static userdb: allow_all_users must be yes or no, not 'maybe'");
}

TEST_CASE("prefetch userdb returns what the passdb gave, else user_unknown") {
    auto u = make_userdb(args("prefetch", ""));
    REQUIRE(u.is_ok());
    auto req = request("bob");
    CHECK((*u)->lookup(req).kind == UserdbResult::Kind::user_unknown);
    req.userdb_fields.set("uid", "10000");
    req.userdb_fields.set("home", "/srv/bob");
    auto r = (*u)->lookup(req);
    CHECK(r.kind == UserdbResult::Kind::ok);
    CHECK(dump(r.fields) == "[uid=10000][home=/srv/bob]");
    CHECK((*u)->cache_key() == "");
    auto bad = make_userdb(args("prefetch", "x=y"));
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() == "/etc/loft/auth.conf:12: prefetch userdb takes no args");
}

TEST_CASE("factory: unsupported and unknown drivers name the config line") {
    auto p = make_passdb(args("ldap", "/etc/dovecot/dovecot-ldap.conf.ext"));
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message() == "/etc/loft/auth.conf:12: passdb driver ldap is not supported yet");
    auto u = make_userdb(args("checkpassword", "/bin/true"));
    REQUIRE_FALSE(u.is_ok());
    CHECK(u.status().message() == "/etc/loft/auth.conf:12: userdb driver checkpassword is not supported yet");
    p = make_passdb(args("bogus", ""));
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message() == "/etc/loft/auth.conf:12: unknown passdb driver 'bogus'");
    p = make_passdb(args("prefetch", ""));
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message() == "/etc/loft/auth.conf:12: prefetch is a userdb driver, not a passdb driver");
    u = make_userdb(args("shadow", ""));
    REQUIRE_FALSE(u.is_ok());
    CHECK(u.status().message() == "/etc/loft/auth.conf:12: shadow is a passdb driver, not a userdb driver");
}
