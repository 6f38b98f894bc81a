// AuthRequest::expand and the driver log prefix.
#include "auth/request.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <unistd.h>

using mailstore::auth::AuthRequest;

namespace {
AuthRequest make() {
    AuthRequest r;
    r.user = "a@b@example.org";
    r.original_user = "Orig@Example.ORG";
    r.mechanism = "PLAIN";
    r.password = "secret";
    r.home = "/srv/a";
    r.client.service = "imap";
    r.client.remote_ip = "192.0.2.1";
    r.client.local_ip = "198.51.100.2";
    r.client.remote_port = 51000;
    r.client.local_port = 993;
    r.client.secured = true;
    r.client.session_id = "sess1";
    r.passdb_fields.set("foo", "bar");
    r.userdb_fields.set("uid", "1000");
    return r;
}
std::string ex(const AuthRequest& r, std::string_view t) {
    auto v = r.expand(t);
    REQUIRE_MESSAGE(v.is_ok(), v.status().message());
    return *v;
}
} // namespace

TEST_CASE("request: %n and %d split at the first '@' as Dovecot does") {
    auto r = make();
    CHECK(ex(r, "%u|%n|%d") == "a@b@example.org|a|b@example.org");
    r.user = "plain";
    CHECK(ex(r, "[%n][%d]") == "[plain][]");
}

TEST_CASE("request: client, session and mechanism variables") {
    auto r = make();
    CHECK(ex(r, "%s %r %l %h %w %m %c %a %b") == "imap 192.0.2.1 198.51.100.2 /srv/a secret PLAIN secured 993 51000");
    CHECK(ex(r, "%{service} %{rip} %{lip} %{rport} %{lport} %{home} %{password} %{mech} %{secured} %{session}") ==
          "imap 192.0.2.1 198.51.100.2 51000 993 /srv/a secret PLAIN secured sess1");
    CHECK(ex(r, "%{orig_user} %{orig_username} %{orig_domain}") == "Orig@Example.ORG Orig Example.ORG");
    r.client.secured = false;
    r.client.remote_port = 0;
    CHECK(ex(r, "[%c][%{rport}]") == "[][]");
}

TEST_CASE("request: master user variables") {
    auto r = make();
    CHECK(ex(r, "[%{master_user}][%{auth_user}]") == "[][a@b@example.org]");
    r.master_user = "admin@example.org";
    CHECK(ex(r, "[%{master_user}][%{auth_user}][%{auth_domain}][%{login_user}]") ==
          "[admin@example.org][admin@example.org][example.org][a@b@example.org]");
}

TEST_CASE("request: %{passdb:X}, %{userdb:X}, %{env:X} with defaults") {
    auto r = make();
    CHECK(ex(r, "%{passdb:foo}|%{passdb:none}|%{passdb:none:dflt}|%{userdb:uid}|%U{passdb:foo}") ==
          "bar||dflt|1000|BAR");
    setenv("LOFT_TEST_VAR_EXPAND", "envval", 1);
    CHECK(ex(r, "%{env:LOFT_TEST_VAR_EXPAND}|%{env:LOFT_TEST_VAR_UNSET_X}") == "envval|");
    unsetenv("LOFT_TEST_VAR_EXPAND");
}

TEST_CASE("request: %{hostname}") {
    char host[256] = {};
    REQUIRE(gethostname(host, sizeof host - 1) == 0);
    CHECK(ex(make(), "%{hostname}") == std::string(host));
}

TEST_CASE("request: unknown variables and escaping") {
    auto r = make();
    auto bad = r.expand("%{nosuch}");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() == "unknown variable %{nosuch} in \"%{nosuch}\"");
    CHECK_FALSE(r.expand("%z").is_ok());
    auto quote = [](std::string_view v) { return "<" + std::string(v) + ">"; };
    CHECK(*r.expand("%n %Ed", quote) == "a <b@example.org>");
    CHECK(*r.expand("%n %d", quote, true) == "<a> <b@example.org>");
}

TEST_CASE("request: driver_log_prefix has Dovecot's shape") {
    auto r = make();
    CHECK(mailstore::auth::driver_log_prefix("passwd-file", r) == "passwd-file(a@b@example.org,192.0.2.1,<sess1>)");
    r.client.session_id.clear();
    CHECK(mailstore::auth::driver_log_prefix("passwd-file", r) == "passwd-file(a@b@example.org,192.0.2.1)");
    r.client.remote_ip.clear();
    CHECK(mailstore::auth::driver_log_prefix("static", r) == "static(a@b@example.org)");
    r.master_user = "admin";
    CHECK(mailstore::auth::driver_log_prefix("static", r) == "static(a@b@example.org,master=admin)");
}
