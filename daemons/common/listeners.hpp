// Listeners: what `service NAME { inet_listener X { } unix_listener Y { } }`
// blocks ask for, binding them, and handing bound sockets from loftd to the
// worker processes.
//
// loftd (root) binds every listener and starts the workers with the sockets
// inherited, announced the way systemd socket activation does it
// (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; fds start at 3), so a worker can
// equally be socket-activated by systemd. LISTEN_FDNAMES entries are
// "SERVICE/LISTENER" (e.g. "imap-login/imaps").
#pragma once

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace loft {

struct ListenerSpec {
    enum class Kind { inet, unix_socket };

    std::string service; // "imap-login"
    std::string name;    // "imaps"
    Kind kind = Kind::inet;

    // inet_listener
    std::vector<std::string> addresses; // from `address`, else the global `listen`
    std::uint16_t port = 0;             // 0 = disabled
    bool ssl = false;                   // implicit TLS
    bool haproxy = false;               // expects a PROXY v1/v2 header
    // Set by loftd when it binds the addresses of a hostname or "::" one
    // by one: an IPv6 address that the host lacks is skipped, not fatal.
    bool ipv6_optional = false;

    // unix_listener
    std::string path; // relative paths are under base_dir
    mode_t mode = 0600;
    std::string user;
    std::string group;

    // "imap-login/imaps"
    std::string id() const { return service + "/" + name; }
};

// The enabled listeners of `service`: Dovecot's built-in listeners of the
// service (default_services.hpp) merged with the config's. A listener the
// config does not mention keeps its built-in port; one it mentions without
// `port` gets the built-in port (or stays disabled when it has none);
// `port = 0` disables it. Port 0 and empty paths are left out, and so are
// listeners with an invalid port (checked_listeners_for_service reports them).
std::vector<ListenerSpec> listeners_for_service(const mailstore::config::Config& config,
                                                std::string_view service);

// Same, but a port above 65535 is an error naming the listener and the
// file:line of its `port`.
mailstore::Result<std::vector<ListenerSpec>>
checked_listeners_for_service(const mailstore::config::Config& config, std::string_view service);

// The numeric addresses `spec` (inet) binds: "*" is 0.0.0.0, "::" (or
// "[::]") is the IPv6 wildcard, a literal stays as it is, and a hostname
// becomes every address it resolves to, each once, in resolver order.
// Fails naming the listener and the name that does not resolve.
mailstore::Result<std::vector<std::string>> resolve_listener_addresses(const ListenerSpec& spec);

// Whether `address` as written in `listen`/`address` ("::", a hostname) may
// be left out on a host without IPv6, unlike an explicit IPv6 address.
bool ipv6_is_optional_for(const std::string& configured_address);

// A bound, listening socket.
struct BoundListener {
    ListenerSpec spec;
    std::string address; // the one address this fd is bound to ("127.0.0.1", "::1", or a path)
    int fd = -1;
};

// Bind every address of `spec` (SO_REUSEADDR, IPV6_V6ONLY for v6, listen()),
// chown/chmod unix sockets. Errors name the listener and the address.
// A host without IPv6 is not an error for the IPv6 wildcard ("::") or for
// the IPv6 addresses of a hostname: those are skipped with a warning (the
// result may then be empty). An explicit IPv6 address still fails.
mailstore::Result<std::vector<BoundListener>> bind_listener(const ListenerSpec& spec,
                                                            const std::string& base_dir);

// In the child before exec: move `listeners` to fds 3.. and set LISTEN_FDS,
// LISTEN_FDNAMES and LISTEN_PID (= getpid()) in the environment.
mailstore::Status pass_listeners_to_exec(const std::vector<BoundListener>& listeners);

// In a worker: the listeners passed by loftd (or systemd), matched back to
// their specs in `config`; empty when not socket-activated. Clears the
// environment variables so children do not inherit them.
std::vector<BoundListener> inherited_listeners(const mailstore::config::Config& config);

namespace testing {
// Unit tests replace socket() for inet listeners with this (nullptr: the
// real one) to act out a host without IPv6.
extern int (*inet_socket)(int domain, int type, int protocol);
} // namespace testing

} // namespace loft
