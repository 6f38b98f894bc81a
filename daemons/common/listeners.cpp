#include "listeners.hpp"

#include "default_services.hpp"
#include "socket_address.hpp"

#include <mailstore/log.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <optional>
#include <set>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace loft {

using mailstore::Result;
using mailstore::Status;
using mailstore::config::Config;
using mailstore::config::Section;

namespace {

std::string errno_text() { return std::strerror(errno); }

// Dovecot's `listen` uses "*" for every IPv4 and "::" for every IPv6 address.
std::string normalize_address(const std::string& address) {
    if (address == "*")
        return "0.0.0.0";
    if (address == "[::]")
        return "::";
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        return address.substr(1, address.size() - 2);
    return address;
}

mode_t parse_mode(const std::string& text, mode_t fallback) {
    if (text.empty())
        return fallback;
    char* end = nullptr;
    unsigned long value = std::strtoul(text.c_str(), &end, 8);
    if (!end || *end != '\0' || value > 07777)
        return fallback;
    return static_cast<mode_t>(value);
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(sep, start);
        if (end == std::string::npos)
            end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool is_ipv6_wildcard(const std::string& address) { return address == "::"; }

bool is_numeric_address(const std::string& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    if (getaddrinfo(address.c_str(), nullptr, &hints, &res) != 0)
        return false;
    freeaddrinfo(res);
    return true;
}

// The host has no IPv6 (socket() says so, or there is no IPv6 address to
// bind to).
bool ipv6_missing_error(int err) { return err == EAFNOSUPPORT || err == EADDRNOTAVAIL; }

Result<std::vector<BoundListener>> bind_inet(const ListenerSpec& spec) {
    std::vector<BoundListener> out;
    auto fail = [&](std::string message) {
        for (auto& l : out)
            ::close(l.fd);
        return Status::io("listener " + spec.id() + ": " + message);
    };
    auto make_socket = testing::inet_socket ? testing::inet_socket : &::socket;
    bool skipped = false;
    std::set<std::string> seen; // "localhost, 127.0.0.1" binds 127.0.0.1 once
    for (const auto& raw : spec.addresses) {
        std::string configured = normalize_address(raw);
        if (configured.empty())
            continue;
        // A hostname binds every address it has; a literal only itself.
        bool hostname = !is_numeric_address(configured);
        ListenerSpec one = spec;
        one.addresses = {raw};
        auto addresses = resolve_listener_addresses(one);
        if (!addresses) {
            for (auto& l : out)
                ::close(l.fd);
            return addresses.status();
        }
        for (const auto& address : *addresses) {
            if (!seen.insert(address).second)
                continue;
            // An IPv6 address the admin did not write out may be missing
            // on this host: "::" from `listen = *, ::`, or a hostname's.
            bool optional_v6 = address.find(':') != std::string::npos &&
                               (hostname || is_ipv6_wildcard(address) || spec.ipv6_optional);
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
            addrinfo* res = nullptr;
            std::string port = std::to_string(spec.port);
            int rc = getaddrinfo(address.c_str(), port.c_str(), &hints, &res);
            if (rc != 0)
                return fail("cannot resolve address " + address + ": " + gai_strerror(rc));
            int fd = make_socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                int err = errno;
                freeaddrinfo(res);
                if (optional_v6 && ipv6_missing_error(err)) {
                    mailstore::log::write(mailstore::log::Level::warning, mailstore::log::Category::general,
                                          spec.service,
                                          "listener " + spec.id() + ": not listening on " + address + " port " +
                                              port + ": this host has no IPv6 (" + std::strerror(err) + ")");
                    skipped = true;
                    continue;
                }
                return fail("socket() for " + address + ": " + std::strerror(err));
            }
            int one_flag = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one_flag, sizeof one_flag);
            if (res->ai_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one_flag, sizeof one_flag);
            if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
                int err = errno;
                freeaddrinfo(res);
                ::close(fd);
                if (optional_v6 && ipv6_missing_error(err)) {
                    mailstore::log::write(mailstore::log::Level::warning, mailstore::log::Category::general,
                                          spec.service,
                                          "listener " + spec.id() + ": not listening on " + address + " port " +
                                              port + ": " + std::strerror(err));
                    skipped = true;
                    continue;
                }
                return fail("cannot bind " + address + " port " + port + ": " + std::strerror(err));
            }
            freeaddrinfo(res);
            if (::listen(fd, SOMAXCONN) != 0) {
                std::string err = errno_text();
                ::close(fd);
                return fail("listen() on " + address + " port " + port + ": " + err);
            }
            out.push_back(BoundListener{spec, local_address(fd).ip, fd});
        }
    }
    if (out.empty() && !skipped)
        return Status::invalid("listener " + spec.id() + ": no address to listen on");
    return out;
}

Result<std::vector<BoundListener>> bind_unix(const ListenerSpec& spec, const std::string& base_dir) {
    std::string path = spec.path;
    if (!path.empty() && path.front() != '/')
        path = base_dir + "/" + path;
    auto fail = [&](std::string message) { return Status::io("listener " + spec.id() + " (" + path + "): " + message); };
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return fail("path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(std::string("socket(): ") + errno_text());
    // A socket file left by a crashed process is removed; one a live process
    // still accepts on is not stolen.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool alive = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0)
            ::close(probe);
        if (alive) {
            ::close(fd);
            return fail("another process is listening on it");
        }
        ::unlink(path.c_str());
    }
    // umask must not widen or narrow what `mode` asks for: bind with 0077
    // so the socket is never briefly reachable, then chmod.
    mode_t old_mask = ::umask(0077);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old_mask);
    if (rc != 0) {
        std::string err = errno_text();
        ::close(fd);
        return fail("bind(): " + err);
    }
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!spec.user.empty()) {
        passwd* pw = ::getpwnam(spec.user.c_str());
        if (!pw) {
            ::close(fd);
            return fail("unknown user " + spec.user);
        }
        uid = pw->pw_uid;
    }
    if (!spec.group.empty()) {
        group* gr = ::getgrnam(spec.group.c_str());
        if (!gr) {
            ::close(fd);
            return fail("unknown group " + spec.group);
        }
        gid = gr->gr_gid;
    }
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::chown(path.c_str(), uid, gid) != 0) {
        std::string err = errno_text();
        ::close(fd);
        return fail("chown(): " + err);
    }
    if (::chmod(path.c_str(), spec.mode) != 0) {
        std::string err = errno_text();
        ::close(fd);
        return fail("chmod(): " + err);
    }
    if (::listen(fd, SOMAXCONN) != 0) {
        std::string err = errno_text();
        ::close(fd);
        return fail("listen(): " + err);
    }
    return std::vector<BoundListener>{BoundListener{spec, path, fd}};
}

} // namespace

namespace {

// The blocks of one listener (a service may be given in several blocks, and
// a listener in each); the last block that sets a key wins.
struct ListenerBlocks {
    ListenerSpec::Kind kind;
    std::string name;
    std::vector<Section> blocks;

    std::optional<std::string> raw(std::string_view key) const {
        std::optional<std::string> value;
        for (const auto& b : blocks)
            if (auto v = b.raw(key))
                value = v;
        return value;
    }
    const Section* block_of(std::string_view key) const {
        const Section* found = nullptr;
        for (const auto& b : blocks)
            if (b.raw(key))
                found = &b;
        return found;
    }
};

// One listener in the order they are reported, with the error that keeps it
// out when there is one.
struct ListenerResult {
    std::optional<ListenerSpec> spec; // nullopt: disabled
    std::string error;
};

std::vector<ListenerResult> collect_listeners(const Config& config, std::string_view service) {
    std::vector<ListenerBlocks> configured;
    auto add = [&](ListenerSpec::Kind kind, const Section& block) {
        for (auto& c : configured)
            if (c.kind == kind && c.name == block.name()) {
                c.blocks.push_back(block);
                return;
            }
        configured.push_back({kind, block.name(), {block}});
    };
    for (const Section& svc : config.sections("service")) {
        if (svc.name() != service)
            continue;
        for (const Section& l : svc.children("inet_listener"))
            add(ListenerSpec::Kind::inet, l);
        for (const Section& l : svc.children("unix_listener"))
            add(ListenerSpec::Kind::unix_socket, l);
    }
    auto find_configured = [&](ListenerSpec::Kind kind, std::string_view name) -> const ListenerBlocks* {
        for (const auto& c : configured)
            if (c.kind == kind && c.name == name)
                return &c;
        return nullptr;
    };

    std::vector<std::string> global_listen = config.get_list("listen");
    auto make_inet = [&](const std::string& name, const ListenerBlocks* blocks,
                         const DefaultListener* builtin) -> ListenerResult {
        ListenerSpec spec;
        spec.service = std::string(service);
        spec.name = name;
        spec.kind = ListenerSpec::Kind::inet;
        std::uint64_t port = builtin ? builtin->port : 0;
        spec.ssl = builtin && builtin->ssl;
        spec.addresses = global_listen;
        if (blocks) {
            if (auto text = blocks->raw("port")) {
                auto value = mailstore::config::parse_uint(*text);
                std::string where;
                if (const Section* b = blocks->block_of("port"))
                    if (auto loc = b->location_of("port"))
                        where = loc->to_string() + ": ";
                if (!value || *value > 65535)
                    return {std::nullopt, where + "service " + std::string(service) + " inet_listener " + name +
                                              ": port " + *text +
                                              " is not a TCP port (1-65535, or 0 to disable the listener)"};
                port = *value;
            }
            for (const auto& b : blocks->blocks)
                if (b.raw("address"))
                    spec.addresses = b.get_list("address");
            for (const auto& b : blocks->blocks) {
                if (b.raw("ssl"))
                    spec.ssl = b.get_bool("ssl");
                if (b.raw("haproxy"))
                    spec.haproxy = b.get_bool("haproxy");
            }
        }
        spec.port = static_cast<std::uint16_t>(port);
        if (spec.port == 0)
            return {};
        return {std::move(spec), {}};
    };
    auto make_unix = [&](const std::string& name, const ListenerBlocks* blocks,
                         const DefaultListener* builtin) -> ListenerResult {
        ListenerSpec spec;
        spec.service = std::string(service);
        spec.name = name;
        spec.kind = ListenerSpec::Kind::unix_socket;
        // Dovecot names a unix_listener by its path.
        spec.path = builtin && !builtin->path.empty() ? std::string(builtin->path) : name;
        spec.mode = builtin ? builtin->mode : 0600;
        if (blocks) {
            for (const auto& b : blocks->blocks) {
                if (b.raw("path"))
                    spec.path = b.get("path");
                if (b.raw("mode"))
                    spec.mode = parse_mode(b.get("mode"), spec.mode);
                if (b.raw("user"))
                    spec.user = b.get("user");
                if (b.raw("group"))
                    spec.group = b.get("group");
            }
        }
        if (spec.path.empty())
            return {};
        return {std::move(spec), {}};
    };

    // Implicit-TLS listeners need TLS: with `ssl = no` they are not bound
    // (as in Dovecot), and a built-in one the config does not mention is
    // left out while no certificate is configured, rather than starting
    // workers that cannot serve it.
    const bool ssl_off = config.get("ssl") == "no";
    const bool have_cert = !config.get("ssl_cert").empty();
    std::vector<ListenerResult> out;
    const DefaultService* defaults = find_default_service(service);
    if (defaults) {
        for (const auto& builtin : defaults->listeners) {
            std::string name(builtin.name);
            if (builtin.kind == DefaultListener::Kind::inet) {
                const ListenerBlocks* blocks = find_configured(ListenerSpec::Kind::inet, name);
                if (builtin.ssl && !blocks && !have_cert)
                    continue;
                out.push_back(make_inet(name, blocks, &builtin));
            } else
                out.push_back(make_unix(name, find_configured(ListenerSpec::Kind::unix_socket, name), &builtin));
        }
    }
    auto is_builtin = [&](ListenerSpec::Kind kind, const std::string& name) {
        if (!defaults)
            return false;
        for (const auto& builtin : defaults->listeners) {
            bool same_kind = (builtin.kind == DefaultListener::Kind::inet) == (kind == ListenerSpec::Kind::inet);
            if (same_kind && builtin.name == name)
                return true;
        }
        return false;
    };
    for (const auto& c : configured) {
        if (is_builtin(c.kind, c.name))
            continue;
        out.push_back(c.kind == ListenerSpec::Kind::inet ? make_inet(c.name, &c, nullptr)
                                                         : make_unix(c.name, &c, nullptr));
    }
    if (ssl_off)
        for (auto& r : out)
            if (r.spec && r.spec->kind == ListenerSpec::Kind::inet && r.spec->ssl)
                r.spec.reset();
    return out;
}

} // namespace

std::vector<ListenerSpec> listeners_for_service(const Config& config, std::string_view service) {
    std::vector<ListenerSpec> out;
    for (auto& r : collect_listeners(config, service))
        if (r.spec)
            out.push_back(std::move(*r.spec));
    return out;
}

Result<std::vector<ListenerSpec>> checked_listeners_for_service(const Config& config, std::string_view service) {
    std::vector<ListenerSpec> out;
    for (auto& r : collect_listeners(config, service)) {
        if (!r.error.empty())
            return Status::invalid(r.error);
        if (r.spec)
            out.push_back(std::move(*r.spec));
    }
    return out;
}

bool ipv6_is_optional_for(const std::string& configured_address) {
    std::string address = normalize_address(configured_address);
    return is_ipv6_wildcard(address) || (!address.empty() && !is_numeric_address(address));
}

Result<std::vector<std::string>> resolve_listener_addresses(const ListenerSpec& spec) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& raw : spec.addresses) {
        std::string address = normalize_address(raw);
        if (address.empty())
            continue;
        if (is_numeric_address(address)) {
            if (seen.insert(address).second)
                out.push_back(address);
            continue;
        }
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        addrinfo* res = nullptr;
        int rc = getaddrinfo(address.c_str(), nullptr, &hints, &res);
        if (rc != 0)
            return Status::io("listener " + spec.id() + ": cannot resolve address " + address + ": " +
                              gai_strerror(rc));
        for (addrinfo* ai = res; ai; ai = ai->ai_next) {
            char text[INET6_ADDRSTRLEN] = {};
            const void* bytes = nullptr;
            if (ai->ai_family == AF_INET)
                bytes = &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
            else if (ai->ai_family == AF_INET6)
                bytes = &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
            if (!bytes || !inet_ntop(ai->ai_family, bytes, text, sizeof text))
                continue;
            if (seen.insert(text).second)
                out.push_back(text);
        }
        freeaddrinfo(res);
    }
    return out;
}

Result<std::vector<BoundListener>> bind_listener(const ListenerSpec& spec, const std::string& base_dir) {
    if (spec.kind == ListenerSpec::Kind::unix_socket)
        return bind_unix(spec, base_dir);
    return bind_inet(spec);
}

Status pass_listeners_to_exec(const std::vector<BoundListener>& listeners) {
    const int count = static_cast<int>(listeners.size());
    // Two steps so that a listener already sitting on a target fd (3..) is
    // not overwritten before it has been moved.
    std::vector<int> temp;
    const int floor = 3 + count + 16;
    for (const auto& l : listeners) {
        int fd = ::fcntl(l.fd, F_DUPFD_CLOEXEC, floor);
        if (fd < 0)
            return Status::io(std::string("dup of listener fd: ") + errno_text());
        temp.push_back(fd);
    }
    std::string names;
    for (int i = 0; i < count; ++i) {
        int target = 3 + i;
        if (::dup2(temp[i], target) < 0)
            return Status::io(std::string("dup2 of listener fd: ") + errno_text());
        int flags = ::fcntl(target, F_GETFD);
        ::fcntl(target, F_SETFD, flags & ~FD_CLOEXEC);
        if (!names.empty())
            names.push_back(':');
        names += listeners[i].spec.id();
    }
    for (int fd : temp)
        ::close(fd);
    ::setenv("LISTEN_FDS", std::to_string(count).c_str(), 1);
    ::setenv("LISTEN_FDNAMES", names.c_str(), 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    return Status::ok();
}

std::vector<BoundListener> inherited_listeners(const Config& config) {
    std::vector<BoundListener> out;
    const char* pid_env = std::getenv("LISTEN_PID");
    const char* fds_env = std::getenv("LISTEN_FDS");
    const char* names_env = std::getenv("LISTEN_FDNAMES");
    std::string names_text = names_env ? names_env : "";
    bool ours = pid_env && fds_env && std::strtol(pid_env, nullptr, 10) == static_cast<long>(::getpid());
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    if (!ours)
        return out;
    long count = std::strtol(fds_env, nullptr, 10);
    if (count <= 0 || count > 4096)
        return out;
    std::vector<std::string> names = names_text.empty() ? std::vector<std::string>{} : split(names_text, ':');
    for (long i = 0; i < count; ++i) {
        int fd = 3 + static_cast<int>(i);
        int flags = ::fcntl(fd, F_GETFD);
        if (flags < 0)
            continue;
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        int listening = 0;
        socklen_t optlen = sizeof listening;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening)
            continue; // not a listening socket: a stray fd, never accept() on it
        std::string name = i < static_cast<long>(names.size()) ? names[i] : "";
        BoundListener l;
        l.fd = fd;
        SocketAddress addr = local_address(fd);
        l.address = addr.ip;
        auto slash = name.find('/');
        std::string service = slash == std::string::npos ? std::string() : name.substr(0, slash);
        std::string listener = slash == std::string::npos ? name : name.substr(slash + 1);
        bool found = false;
        if (!service.empty()) {
            for (auto& spec : listeners_for_service(config, service)) {
                bool same_kind = (spec.kind == ListenerSpec::Kind::unix_socket) == addr.is_unix;
                if (spec.name == listener && same_kind) {
                    l.spec = spec;
                    found = true;
                    break;
                }
            }
        }
        if (!found) {
            // A socket systemd passed under a name we do not know: serve it
            // as a plain listener rather than dropping it.
            l.spec.service = service;
            l.spec.name = listener.empty() ? "fd" + std::to_string(fd) : listener;
            l.spec.kind = addr.is_unix ? ListenerSpec::Kind::unix_socket : ListenerSpec::Kind::inet;
            l.spec.port = static_cast<std::uint16_t>(addr.port);
            if (addr.is_unix)
                l.spec.path = addr.ip;
            else
                l.spec.addresses = {addr.ip};
        }
        out.push_back(std::move(l));
    }
    return out;
}

namespace testing {
int (*inet_socket)(int domain, int type, int protocol) = nullptr;
} // namespace testing

} // namespace loft
