// Listeners loftd binds: Dovecot's built-in listeners merged with the
// config, addresses (hostnames, the IPv6 wildcard on hosts without IPv6).
#include "default_services.hpp"
#include "listeners.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <netdb.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace {

mailstore::config::Config load(const std::string& text) {
    auto config = mailstore::config::Config::load_string(text, "loft.conf");
    REQUIRE_MESSAGE(config.is_ok(), config.status().message());
    return *config;
}

std::vector<std::string> describe(const std::vector<loft::ListenerSpec>& specs) {
    std::vector<std::string> out;
    for (const auto& l : specs)
        out.push_back(l.name + ":" +
                      (l.kind == loft::ListenerSpec::Kind::inet ? std::to_string(l.port) + (l.ssl ? "+ssl" : "")
                                                                : l.path));
    return out;
}

std::set<std::string> addresses_of(const std::vector<loft::BoundListener>& bound) {
    std::set<std::string> out;
    for (const auto& b : bound)
        out.insert(b.address);
    return out;
}

void close_all(const std::vector<loft::BoundListener>& bound) {
    for (const auto& b : bound)
        ::close(b.fd);
}

int no_ipv6_socket(int domain, int type, int protocol) {
    if (domain == AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    return ::socket(domain, type, protocol);
}

struct NoIpv6 {
    NoIpv6() { loft::testing::inet_socket = &no_ipv6_socket; }
    ~NoIpv6() { loft::testing::inet_socket = nullptr; }
};

} // namespace

TEST_CASE("the built-in table has Dovecot's default listeners") {
    auto* imap = loft::find_default_service("imap-login");
    REQUIRE(imap);
    REQUIRE(imap->listeners.size() == 2);
    CHECK(imap->listeners[1].name == "imaps");
    CHECK(imap->listeners[1].port == 993);
    CHECK(imap->listeners[1].ssl);
    auto* lmtp = loft::find_default_service("lmtp");
    REQUIRE(lmtp);
    REQUIRE(lmtp->listeners.size() == 1);
    CHECK(lmtp->listeners[0].kind == loft::DefaultListener::Kind::unix_socket);
    CHECK(loft::find_default_service("managesieve-login")->listeners[0].port == 4190);
    CHECK(loft::find_default_service("echo") == nullptr);
}

TEST_CASE("listeners merge the built-in ones with the config's") {
    // Nothing configured: the built-in listeners; the TLS ones once there
    // is a certificate, and never with ssl = no.
    CHECK(describe(loft::listeners_for_service(load("listen = *\nssl_cert = cert.pem\n"), "imap-login")) ==
          std::vector<std::string>{"imap:143", "imaps:993+ssl"});
    CHECK(describe(loft::listeners_for_service(load("listen = *\nssl_cert = cert.pem\n"), "pop3-login")) ==
          std::vector<std::string>{"pop3:110", "pop3s:995+ssl"});
    CHECK(describe(loft::listeners_for_service(load("listen = *\n"), "imap-login")) ==
          std::vector<std::string>{"imap:143"});
    CHECK(describe(loft::listeners_for_service(
              load("ssl = no\nssl_cert = cert.pem\nservice imap-login {\n inet_listener imaps {\n }\n}\n"),
              "imap-login")) == std::vector<std::string>{"imap:143"});
    // Mentioned in the config, a TLS listener is kept (the worker then
    // says that the certificate is missing).
    CHECK(describe(loft::listeners_for_service(load("service imap-login {\n inet_listener imaps {\n }\n}\n"),
                                               "imap-login")) == std::vector<std::string>{"imap:143", "imaps:993+ssl"});
    CHECK(describe(loft::listeners_for_service(load(""), "lmtp")) == std::vector<std::string>{"lmtp:lmtp"});
    CHECK(loft::listeners_for_service(load(""), "imap").empty());

    // A block without port keeps the built-in one; a port replaces it;
    // port 0 disables; ssl can be changed; an extra listener is added.
    auto config = load("service imap-login {\n inet_listener imap {\n  address = 127.0.0.1\n }\n"
                       " inet_listener imaps {\n  port = 0\n }\n inet_listener extra {\n  port = 1143\n  ssl = yes\n }\n"
                       " inet_listener noport {\n }\n}\n"
                       "service pop3-login {\n inet_listener pop3s {\n  port = 1995\n }\n}\n"
                       "service lmtp {\n inet_listener lmtp {\n  port = 24\n }\n unix_listener lmtp {\n"
                       "  mode = 0600\n }\n}\n");
    auto imap = loft::listeners_for_service(config, "imap-login");
    CHECK(describe(imap) == std::vector<std::string>{"imap:143", "extra:1143+ssl"});
    CHECK(imap[0].addresses == std::vector<std::string>{"127.0.0.1"});
    CHECK(describe(loft::listeners_for_service(config, "pop3-login")) ==
          std::vector<std::string>{"pop3:110", "pop3s:1995+ssl"});
    auto lmtp = loft::listeners_for_service(config, "lmtp");
    CHECK(describe(lmtp) == std::vector<std::string>{"lmtp:lmtp", "lmtp:24"});
    CHECK(lmtp[0].mode == 0600);
    CHECK(loft::find_default_service("lmtp")->listeners[0].mode == 0666);
}

TEST_CASE("a port out of range is an error with file:line, never a wrapped port") {
    // The registry bounds `port` (0..65535); a value past it never reaches
    // the listeners as a truncated number.
    auto bad = mailstore::config::Config::load_string("service echo {\n inet_listener a {\n  port = 99999\n }\n}\n",
                                                      "loft.conf");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message().rfind("loft.conf:3: ", 0) == 0);
    CHECK(bad.status().message().find("99999") != std::string::npos);
    auto edge = load("service echo {\n inet_listener a {\n  port = 65535\n }\n}\n");
    auto checked = loft::checked_listeners_for_service(edge, "echo");
    REQUIRE_MESSAGE(checked.is_ok(), checked.status().message());
    CHECK(describe(*checked) == std::vector<std::string>{"a:65535"});
}

TEST_CASE("a hostname binds every address it resolves to, each once") {
    loft::ListenerSpec spec;
    spec.service = "echo";
    spec.name = "e";
    spec.addresses = {"localhost", "127.0.0.1"};
    auto addresses = loft::resolve_listener_addresses(spec);
    REQUIRE_MESSAGE(addresses.is_ok(), addresses.status().message());
    // What the resolver says localhost is, without duplicates.
    std::set<std::string> expected{"127.0.0.1"};
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    REQUIRE(getaddrinfo("localhost", nullptr, &hints, &res) == 0);
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        char host[NI_MAXHOST];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
            expected.insert(host);
    }
    freeaddrinfo(res);
    CHECK(std::set<std::string>(addresses->begin(), addresses->end()) == expected);
    CHECK(addresses->size() == expected.size());

    spec.addresses = {"localhost", "127.0.0.1"};
    auto bound = loft::bind_listener(spec, "/tmp");
    REQUIRE_MESSAGE(bound.is_ok(), bound.status().message());
    std::set<std::string> expected_without_duplicates = expected;
    CHECK(addresses_of(*bound) == expected_without_duplicates);
    CHECK(bound->size() == expected.size());
    close_all(*bound);

    spec.addresses = {"no-such-host.invalid"};
    auto bad = loft::resolve_listener_addresses(spec);
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message().find("listener echo/e: cannot resolve address no-such-host.invalid") == 0);
}

TEST_CASE("without IPv6, '::' is skipped with a warning while an explicit IPv6 address fails") {
    NoIpv6 no_ipv6;
    loft::ListenerSpec spec;
    spec.service = "echo";
    spec.name = "e";
    spec.addresses = {"127.0.0.1", "::"};
    auto bound = loft::bind_listener(spec, "/tmp");
    REQUIRE_MESSAGE(bound.is_ok(), bound.status().message());
    CHECK(addresses_of(*bound) == std::set<std::string>{"127.0.0.1"});
    close_all(*bound);

    spec.addresses = {"::"};
    auto only_v6 = loft::bind_listener(spec, "/tmp");
    REQUIRE_MESSAGE(only_v6.is_ok(), only_v6.status().message());
    CHECK(only_v6->empty());

    // What loftd binds for a hostname, address by address: its ::1.
    spec.addresses = {"::1"};
    spec.ipv6_optional = true;
    auto from_hostname = loft::bind_listener(spec, "/tmp");
    REQUIRE_MESSAGE(from_hostname.is_ok(), from_hostname.status().message());
    CHECK(from_hostname->empty());
    CHECK(loft::ipv6_is_optional_for("localhost"));
    CHECK(loft::ipv6_is_optional_for("::"));
    CHECK(loft::ipv6_is_optional_for("[::]"));
    CHECK_FALSE(loft::ipv6_is_optional_for("::1"));
    CHECK_FALSE(loft::ipv6_is_optional_for("127.0.0.1"));

    spec.ipv6_optional = false;
    spec.addresses = {"::1"};
    auto explicit_v6 = loft::bind_listener(spec, "/tmp");
    REQUIRE_FALSE(explicit_v6.is_ok());
    CHECK(explicit_v6.status().message().find("listener echo/e: socket() for ::1: ") == 0);
}
