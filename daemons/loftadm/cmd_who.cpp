// loftadm who / kick: ask every worker's admin socket (docs/admin-socket.md)
// which users are connected, or to drop a user's connections — doveadm who
// and doveadm kick, without Dovecot's anvil process: each worker answers
// for the connections it holds.
#include "commands.hpp"
#include "output.hpp"

#include <admin_protocol.hpp>
#include <cidr.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fnmatch.h>
#include <iostream>
#include <map>
#include <set>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace loftadm {

namespace {

namespace fs = std::filesystem;

// Replies are small; a worker that does not answer within this is skipped.
constexpr int kSocketTimeoutSeconds = 5;
// A worker holds at most client_limit connections; this bounds one reply.
constexpr std::size_t kMaxReplyLines = 1000000;
constexpr std::size_t kMaxLineBytes = 4096 * 4;

struct AdminSocket {
    std::string path;
    std::string service; // "imap-login"
    long pid = 0;
};

// BASE_DIR/admin/SERVICE.PID.sock
std::vector<AdminSocket> find_sockets(const std::vector<std::string>& dirs, std::string& error) {
    std::vector<AdminSocket> out;
    for (const auto& dir : dirs) {
        std::error_code ec;
        fs::directory_iterator it(dir, ec);
        if (ec) {
            error = dir + ": " + ec.message();
            continue;
        }
        for (const auto& entry : it) {
            std::string name = entry.path().filename().string();
            if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".sock") != 0)
                continue;
            std::string stem = name.substr(0, name.size() - 5);
            auto dot = stem.rfind('.');
            if (dot == std::string::npos || dot == 0)
                continue;
            char* end = nullptr;
            long pid = std::strtol(stem.c_str() + dot + 1, &end, 10);
            if (!end || *end != '\0' || pid <= 0)
                continue;
            out.push_back({entry.path().string(), stem.substr(0, dot), pid});
        }
    }
    std::sort(out.begin(), out.end(), [](const AdminSocket& a, const AdminSocket& b) { return a.path < b.path; });
    return out;
}

class AdminClient {
public:
    ~AdminClient() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    // false: the worker is gone (a stale socket) or does not answer.
    bool connect(const std::string& path) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path.size() >= sizeof(addr.sun_path))
            return false;
        std::memcpy(addr.sun_path, path.data(), path.size());
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0)
            return false;
        timeval tv{kSocketTimeoutSeconds, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            return false;
        std::string hello;
        if (!read_line(hello) || hello.rfind("VERSION\tloft-admin\t1\t", 0) != 0)
            return false;
        return send(std::string(loft::admin::kHandshake) + "\n");
    }
    // The data lines of one request; false on ERROR or a broken connection.
    bool request(const std::vector<std::string>& fields, std::vector<std::vector<std::string>>& rows,
                 std::string& error) {
        if (!send(loft::admin::join(fields) + "\n")) {
            error = "cannot send the request";
            return false;
        }
        for (std::size_t n = 0; n < kMaxReplyLines; ++n) {
            std::string line;
            if (!read_line(line)) {
                error = "the worker closed the connection";
                return false;
            }
            if (line == "OK")
                return true;
            if (line.rfind("ERROR", 0) == 0) {
                auto f = loft::admin::split(line);
                error = f.size() > 1 ? f[1] : "error";
                return false;
            }
            rows.push_back(loft::admin::split(line));
        }
        error = "reply too long";
        return false;
    }

private:
    bool send(const std::string& data) {
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool read_line(std::string& line) {
        for (;;) {
            auto nl = buffer_.find('\n');
            if (nl != std::string::npos) {
                line = buffer_.substr(0, nl);
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                buffer_.erase(0, nl + 1);
                return true;
            }
            if (buffer_.size() > kMaxLineBytes)
                return false;
            char chunk[4096];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    int fd_ = -1;
    std::string buffer_;
};

std::vector<std::string> admin_dirs(const mailstore::config::Config& config, const std::vector<std::string>& given) {
    if (!given.empty())
        return given;
    return {config.get("base_dir") + "/admin"};
}

// doveadm who shows the protocol: imap-login's workers serve "imap".
std::string protocol_of(const std::string& service) {
    constexpr std::string_view suffix = "-login";
    if (service.size() > suffix.size() && service.compare(service.size() - suffix.size(), suffix.size(), suffix) == 0)
        return service.substr(0, service.size() - suffix.size());
    return service;
}

bool matches(const std::string& mask, const std::string& user, const std::string& ip) {
    if (mask.empty())
        return true;
    if (::fnmatch(mask.c_str(), user.c_str(), 0) == 0)
        return true;
    // doveadm who also takes an IP or a network as the mask.
    std::vector<std::string> bad;
    loft::NetworkList net({mask}, &bad);
    return bad.empty() && !ip.empty() && net.contains(ip);
}

} // namespace

int run_who(const mailstore::config::Config& config, const WhoOptions& options) {
    std::string error;
    auto sockets = find_sockets(admin_dirs(config, options.admin_dirs), error);
    if (sockets.empty() && !error.empty()) {
        std::cerr << "Error: " << error << "\n";
        return exit_tempfail;
    }
    struct Group {
        std::size_t connections = 0;
        std::set<long> pids;
        std::set<std::string> ips;
    };
    std::map<std::pair<std::string, std::string>, Group> groups; // (user, protocol)
    std::vector<std::vector<std::string>> each;                  // -1: one line per connection
    for (const auto& s : sockets) {
        AdminClient client;
        if (!client.connect(s.path))
            continue; // a worker that is gone leaves its socket behind
        std::vector<std::vector<std::string>> rows;
        std::string why;
        if (!client.request({"WHO"}, rows, why)) {
            std::cerr << "Warning: " << s.path << ": " << why << "\n";
            continue;
        }
        for (const auto& row : rows) {
            if (row.size() < 4 || row[2].empty())
                continue; // not logged in: doveadm who lists users only
            const std::string& ip = row[1];
            const std::string& user = row[2];
            if (!matches(options.mask, user, ip))
                continue;
            std::string proto = protocol_of(s.service);
            Group& g = groups[{user, proto}];
            ++g.connections;
            g.pids.insert(s.pid);
            if (!ip.empty())
                g.ips.insert(ip);
            each.push_back({user, proto, std::to_string(s.pid), ip, row[3], row.size() > 5 ? row[5] : ""});
        }
    }
    if (options.separate) {
        // doveadm who -1: username proto pid ip (Loft adds the state and session id)
        std::cout << "username proto pid ip state session\n";
        for (const auto& e : each)
            std::cout << e[0] << " " << e[1] << " " << e[2] << " " << e[3] << " " << e[4] << " " << e[5] << "\n";
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table;
    table.push_back({"username", "#", "proto", "(pids)", "(ips)"});
    for (const auto& [key, g] : groups) {
        std::string pids = "(", ips = "(";
        for (long p : g.pids)
            pids += (pids.size() > 1 ? " " : "") + std::to_string(p);
        for (const auto& ip : g.ips)
            ips += (ips.size() > 1 ? " " : "") + ip;
        table.push_back({key.first, std::to_string(g.connections), key.second, pids + ")", ips + ")"});
    }
    std::vector<std::size_t> width(5, 0);
    for (const auto& row : table)
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    for (const auto& row : table) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(width[i] - row[i].size() + 1, ' ');
        }
        std::cout << line << "\n";
    }
    return exit_ok;
}

int run_kick(const mailstore::config::Config& config, const KickOptions& options) {
    std::string error;
    auto sockets = find_sockets(admin_dirs(config, options.admin_dirs), error);
    if (sockets.empty() && !error.empty()) {
        std::cerr << "Error: " << error << "\n";
        return exit_tempfail;
    }
    std::map<std::string, std::size_t> kicked; // user -> connections
    bool failed = false;
    for (const auto& s : sockets) {
        AdminClient client;
        if (!client.connect(s.path))
            continue;
        std::vector<std::vector<std::string>> rows;
        std::string why;
        if (!client.request({"KICK", options.user}, rows, why)) {
            std::cerr << "Warning: " << s.path << ": " << why << "\n";
            failed = true;
            continue;
        }
        for (const auto& row : rows)
            ++kicked[row.size() > 2 && !row[2].empty() ? row[2] : options.user];
    }
    if (kicked.empty()) {
        std::cout << "no users kicked\n";
        return failed ? exit_tempfail : exit_ok;
    }
    std::cout << "kicked connections from the following users:\n";
    for (const auto& [user, n] : kicked)
        std::cout << user << " (" << n << (n == 1 ? " connection" : " connections") << ")\n";
    return failed ? exit_tempfail : exit_ok;
}

} // namespace loftadm
