// Override blocks: protocol, local, remote and local_name, and which wins.
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

LookupContext proto(std::string p) {
    LookupContext ctx;
    ctx.protocol = std::move(p);
    return ctx;
}

} // namespace

TEST_CASE("protocol blocks override for their protocol only") {
    Config c = load("login_greeting = global\n"
                    "protocol imap {\n  login_greeting = imap\n}\n"
                    "protocol pop3 {\n  imap_max_line_length = 1k\n}\n");
    CHECK(c.get("login_greeting") == "global");
    CHECK(c.get("login_greeting", proto("imap")) == "imap");
    CHECK(c.get("login_greeting", proto("pop3")) == "global");
    CHECK(c.get("login_greeting", proto("lmtp")) == "global");
    CHECK(c.get_size("imap_max_line_length", proto("pop3")) == 1024u);
    CHECK(c.get_size("imap_max_line_length", proto("imap")) == 65536u);
    CHECK(c.is_set("login_greeting", proto("imap")));
    CHECK_FALSE(c.is_set("imap_max_line_length", proto("imap")));
    CHECK(c.is_set("imap_max_line_length", proto("pop3")));
    CHECK(c.location_of("login_greeting", proto("imap"))->line == 3);
    CHECK_FALSE(c.location_of("ssl").has_value());
}

TEST_CASE("an override without a global value falls back to the default elsewhere") {
    Config c = load("protocol imap {\n  ssl = required\n}\n");
    CHECK(c.get("ssl") == "yes");
    CHECK(c.get("ssl", proto("imap")) == "required");
    CHECK_FALSE(c.is_set("ssl"));
}

TEST_CASE("local and remote blocks match IPv4 and IPv6 addresses and networks") {
    Config c = load("login_greeting = g\n"
                    "remote 192.168.0.0/16 {\n  login_greeting = lan\n}\n"
                    "remote 2001:db8::/32 {\n  login_greeting = doc6\n}\n"
                    "remote 10.1.2.3 {\n  login_greeting = host\n}\n"
                    "local 127.0.0.1 {\n  ssl = no\n}\n"
                    "local ::1 {\n  ssl = required\n}\n");
    LookupContext ctx;
    ctx.remote_ip = "192.168.44.2";
    CHECK(c.get("login_greeting", ctx) == "lan");
    ctx.remote_ip = "192.169.0.1";
    CHECK(c.get("login_greeting", ctx) == "g");
    ctx.remote_ip = "2001:db8:1::7";
    CHECK(c.get("login_greeting", ctx) == "doc6");
    ctx.remote_ip = "2001:db9::7";
    CHECK(c.get("login_greeting", ctx) == "g");
    ctx.remote_ip = "10.1.2.3";
    CHECK(c.get("login_greeting", ctx) == "host");
    ctx.remote_ip = "10.1.2.4";
    CHECK(c.get("login_greeting", ctx) == "g");
    ctx.remote_ip = "not an ip";
    CHECK(c.get("login_greeting", ctx) == "g");
    ctx.remote_ip.clear();
    CHECK(c.get("login_greeting", ctx) == "g");

    LookupContext local;
    local.local_ip = "127.0.0.1";
    CHECK(c.get("ssl", local) == "no");
    local.local_ip = "::1";
    CHECK(c.get("ssl", local) == "required");
    local.local_ip = "127.0.0.2";
    CHECK(c.get("ssl", local) == "yes");
}

TEST_CASE("an IPv4 network also matches the IPv4-mapped IPv6 form") {
    Config c = load("remote 10.0.0.0/8 {\n  login_greeting = ten\n}\n");
    LookupContext ctx;
    ctx.remote_ip = "::ffff:10.9.8.7";
    CHECK(c.get("login_greeting", ctx) == "ten");
}

TEST_CASE("local_name blocks match the SNI name, exactly or by *.domain") {
    Config c = load("ssl_cert = default\n"
                    "local_name mail.example.com {\n  ssl_cert = mail\n}\n"
                    "local_name *.example.org {\n  ssl_cert = wild\n}\n"
                    "local_name imap.example.org {\n  ssl_cert = exact\n}\n");
    LookupContext ctx;
    CHECK(c.get("ssl_cert", ctx) == "default");
    ctx.local_name = "mail.example.com";
    CHECK(c.get("ssl_cert", ctx) == "mail");
    ctx.local_name = "MAIL.Example.COM";
    CHECK(c.get("ssl_cert", ctx) == "mail");
    ctx.local_name = "other.example.com";
    CHECK(c.get("ssl_cert", ctx) == "default");
    ctx.local_name = "pop.example.org";
    CHECK(c.get("ssl_cert", ctx) == "wild");
    ctx.local_name = "imap.example.org"; // exact beats the wildcard, wherever it is written
    CHECK(c.get("ssl_cert", ctx) == "exact");
    ctx.local_name = "example.org"; // *.example.org needs a label before the domain
    CHECK(c.get("ssl_cert", ctx) == "default");
}

TEST_CASE("nested filters need all their conditions") {
    Config c = load("login_greeting = g\n"
                    "local 10.0.0.0/8 {\n"
                    "  login_greeting = internal\n"
                    "  protocol imap {\n"
                    "    login_greeting = internal imap\n"
                    "  }\n"
                    "}\n");
    LookupContext ctx;
    ctx.local_ip = "10.0.0.1";
    CHECK(c.get("login_greeting", ctx) == "internal");
    ctx.protocol = "imap";
    CHECK(c.get("login_greeting", ctx) == "internal imap");
    ctx.local_ip = "192.0.2.1";
    CHECK(c.get("login_greeting", ctx) == "g");
    CHECK(c.get("login_greeting", proto("imap")) == "g");
}

TEST_CASE("most specific wins: remote over local over local_name over protocol") {
    Config c = load("protocol imap {\n  login_greeting = by protocol\n}\n"
                    "remote 192.0.2.0/24 {\n  login_greeting = by remote\n}\n"
                    "local_name mail.example.com {\n  login_greeting = by name\n}\n"
                    "local 10.0.0.1 {\n  login_greeting = by local\n}\n");
    LookupContext ctx;
    ctx.protocol = "imap";
    CHECK(c.get("login_greeting", ctx) == "by protocol");
    ctx.local_name = "mail.example.com";
    CHECK(c.get("login_greeting", ctx) == "by name");
    ctx.local_ip = "10.0.0.1";
    CHECK(c.get("login_greeting", ctx) == "by local");
    ctx.remote_ip = "192.0.2.9";
    CHECK(c.get("login_greeting", ctx) == "by remote");
}

TEST_CASE("a longer prefix is more specific; equal ones go to the later block") {
    Config c = load("remote 10.0.0.0/8 {\n  login_greeting = eight\n}\n"
                    "remote 10.1.0.0/16 {\n  login_greeting = sixteen\n}\n"
                    "remote 10.0.0.0/8 {\n  login_greeting = eight again\n}\n"
                    "protocol imap {\n  instance_name = first\n}\n"
                    "local 10.0.0.0/8 {\n  protocol imap {\n    instance_name = nested\n  }\n}\n");
    LookupContext ctx;
    ctx.remote_ip = "10.1.2.3";
    CHECK(c.get("login_greeting", ctx) == "sixteen");
    ctx.remote_ip = "10.2.0.1";
    // The second "remote 10.0.0.0/8" block continues the first.
    CHECK(c.get("login_greeting", ctx) == "eight again");
    LookupContext n;
    n.protocol = "imap";
    n.local_ip = "10.0.0.5";
    CHECK(c.get("instance_name", n) == "nested");
}

TEST_CASE("override blocks hold only global settings but may hold sections") {
    Config c = load("protocol lda {\n  mail_plugins = sieve\n}\n"
                    "protocol imap {\n  plugin {\n    x = 1\n  }\n}\n");
    CHECK(c.get("mail_plugins", proto("lda")) == "sieve");
    auto protocols = c.sections("protocol");
    REQUIRE(protocols.size() == 2);
    CHECK(protocols[1].name() == "imap");
    CHECK(protocols[1].children("plugin").at(0).raw("x") == "1");
    CHECK(c.sections("plugin").empty());
}

TEST_CASE("a Config is a cheap shared handle") {
    Config a = load("login_greeting = shared\n");
    Config b = a;
    CHECK(b.get("login_greeting") == "shared");
    Section root = a.root();
    CHECK(root.type().empty());
    CHECK(root.get("login_greeting") == "shared");
    CHECK(root.get("ssl") == "yes");
}

TEST_CASE("protocol !name applies to every other protocol") {
    Config c = load("protocol !indexer-worker {\n  mail_debug = yes\n}\n");
    CHECK(c.get_bool("mail_debug", proto("imap")));
    CHECK_FALSE(c.get_bool("mail_debug", proto("indexer-worker")));
}

TEST_CASE("a lookup without a protocol sees the global value, not a protocol !name block") {
    // Dovecot semantics: doveconf without -f shows the global value; a
    // protocol block (negated or not) only applies to a lookup for a protocol.
    Config c = load("auth_verbose = yes\nprotocol !pop3 {\n  auth_verbose = no\n}\n");
    CHECK(c.get("auth_verbose") == "yes");
    CHECK(c.get_bool("auth_verbose", proto("")));
    CHECK(c.location_of("auth_verbose")->line == 1);
    CHECK_FALSE(c.get_bool("auth_verbose", proto("imap")));
    CHECK(c.get_bool("auth_verbose", proto("pop3")));
    // Not by way of another condition either.
    Config d = load("auth_verbose = yes\nremote 10.0.0.0/8 {\n  protocol !pop3 {\n"
                    "    auth_verbose = no\n  }\n}\n");
    LookupContext lan;
    lan.remote_ip = "10.1.2.3";
    CHECK(d.get_bool("auth_verbose", lan));
    lan.protocol = "imap";
    CHECK_FALSE(d.get_bool("auth_verbose", lan));
}
