#include "listeners.hpp"

#include "socket_address.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
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

Result<std::vector<BoundListener>> bind_inet(const ListenerSpec& spec) {
    std::vector<BoundListener> out;
    auto fail = [&](std::string message) {
        for (auto& l : out)
            ::close(l.fd);
        return Status::io("listener " + spec.id() + ": " + message);
    };
    for (const auto& raw : spec.addresses) {
        std::string address = normalize_address(raw);
        if (address.empty())
            continue;
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        addrinfo* res = nullptr;
        std::string port = std::to_string(spec.port);
        int rc = getaddrinfo(address.c_str(), port.c_str(), &hints, &res);
        if (rc != 0)
            return fail("cannot resolve address " + address + ": " + gai_strerror(rc));
        int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            std::string err = errno_text();
            freeaddrinfo(res);
            return fail("socket() for " + address + ": " + err);
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (res->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
            std::string err = errno_text();
            freeaddrinfo(res);
            ::close(fd);
            return fail("cannot bind " + address + " port " + port + ": " + err);
        }
        freeaddrinfo(res);
        if (::listen(fd, SOMAXCONN) != 0) {
            std::string err = errno_text();
            ::close(fd);
            return fail("listen() on " + address + " port " + port + ": " + err);
        }
        out.push_back(BoundListener{spec, local_address(fd).ip, fd});
    }
    if (out.empty())
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

std::vector<ListenerSpec> listeners_for_service(const Config& config, std::string_view service) {
    std::vector<ListenerSpec> out;
    std::vector<std::string> global_listen = config.get_list("listen");
    for (const Section& svc : config.sections("service")) {
        if (svc.name() != service)
            continue;
        for (const Section& l : svc.children("inet_listener")) {
            ListenerSpec spec;
            spec.service = std::string(service);
            spec.name = l.name();
            spec.kind = ListenerSpec::Kind::inet;
            spec.port = static_cast<std::uint16_t>(l.get_uint("port"));
            if (spec.port == 0)
                continue;
            spec.addresses = l.raw("address") ? l.get_list("address") : global_listen;
            spec.ssl = l.get_bool("ssl");
            spec.haproxy = l.get_bool("haproxy");
            out.push_back(std::move(spec));
        }
        for (const Section& l : svc.children("unix_listener")) {
            ListenerSpec spec;
            spec.service = std::string(service);
            spec.name = l.name();
            spec.kind = ListenerSpec::Kind::unix_socket;
            // Dovecot names a unix_listener by its path.
            spec.path = l.raw("path") ? l.get("path") : l.name();
            if (spec.path.empty())
                continue;
            spec.mode = parse_mode(l.get("mode"), 0600);
            spec.user = l.get("user");
            spec.group = l.get("group");
            out.push_back(std::move(spec));
        }
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
                if (spec.name == listener) {
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

} // namespace loft
