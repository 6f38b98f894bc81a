#include "socket_load.hpp"

#include "dataset.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace bench_auth {

namespace {

using Clock = std::chrono::steady_clock;

int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        ::close(fd);
        return -1;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string base64(const std::string& in) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

struct Conn {
    int fd = -1;
    std::string in;
    bool handshake_done = false;
    std::size_t outstanding = 0;
    std::uint32_t next_id = 1;
    std::uint64_t rng = 0;
};

std::size_t next_user(Conn& c, std::size_t users) {
    // xorshift64: a fixed, cheap, well-spread sequence per connection.
    c.rng ^= c.rng << 13;
    c.rng ^= c.rng >> 7;
    c.rng ^= c.rng << 17;
    return static_cast<std::size_t>(c.rng % users);
}

std::string auth_line(Conn& c, std::size_t users) {
    std::size_t u = next_user(c, users);
    std::string resp = std::string(1, '\0') + user_name(u) + std::string(1, '\0') + password_of(u);
    return "AUTH\t" + std::to_string(c.next_id++) + "\tPLAIN\tservice=imap\tsecured\tnopenalty\tresp=" +
           base64(resp) + "\n";
}

} // namespace

AuthdProcess::AuthdProcess(const std::string& binary, const std::string& dir, const std::string& config_text)
    : dir_(dir) {
    std::filesystem::create_directories(dir + "/run");
    std::ofstream(dir + "/loft.conf") << config_text;
    pid_t pid = ::fork();
    if (pid < 0) {
        error_ = "fork failed";
        return;
    }
    if (pid == 0) {
        std::string conf = dir + "/loft.conf";
        std::string log = dir + "/authd.log";
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
        }
        ::execl(binary.c_str(), binary.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    pid_ = pid;
    // Loading 100,000 users takes a moment; give it up to a minute.
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = "loft-authd exited; see " + dir + "/authd.log";
            return;
        }
        int fd = connect_unix(socket_path());
        if (fd >= 0) {
            ::close(fd);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "loft-authd did not open " + socket_path();
}

AuthdProcess::~AuthdProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

std::string warm_socket(const std::string& socket_path, std::size_t users) {
    int fd = connect_unix(socket_path);
    if (fd < 0 || !write_all(fd, "VERSION\t1\t2\nCPID\t99999\n")) {
        if (fd >= 0) {
            ::close(fd);
        }
        return "cannot connect to " + socket_path;
    }
    constexpr std::size_t batch = 8;
    std::string in;
    char buf[65536];
    bool handshake_done = false;
    std::size_t next = 0, pending = 0;
    std::uint32_t id = 1;
    std::string error;
    while (error.empty() && (next < users || pending > 0 || !handshake_done)) {
        if (handshake_done && pending == 0) {
            std::string out;
            for (; pending < batch && next < users; ++pending, ++next) {
                std::string resp = std::string(1, '\0') + user_name(next) + std::string(1, '\0') + password_of(next);
                out += "AUTH\t" + std::to_string(id++) + "\tPLAIN\tservice=imap\tsecured\tnopenalty\tresp=" +
                       base64(resp) + "\n";
            }
            if (!write_all(fd, out)) {
                error = "write to loft-authd failed";
                break;
            }
        }
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got <= 0) {
            error = "loft-authd closed the connection";
            break;
        }
        in.append(buf, static_cast<std::size_t>(got));
        std::size_t pos = 0;
        for (auto nl = in.find('\n'); nl != std::string::npos; nl = in.find('\n', pos)) {
            std::string_view line(in.data() + pos, nl - pos);
            pos = nl + 1;
            if (!handshake_done) {
                handshake_done = line == "DONE";
            } else if (line.substr(0, 3) == "OK\t" || line.substr(0, 5) == "FAIL\t") {
                --pending;
            }
        }
        in.erase(0, pos);
    }
    ::close(fd);
    return error;
}

LoadResult run_socket_load(const std::string& socket_path, std::size_t connections, std::size_t in_flight,
                           std::size_t users, std::chrono::milliseconds duration) {
    LoadResult result;
    std::vector<Conn> conns(connections);
    for (std::size_t i = 0; i < connections; ++i) {
        conns[i].fd = connect_unix(socket_path);
        conns[i].rng = 0x9E3779B97F4A7C15ull * (i + 1);
        if (conns[i].fd < 0 ||
            !write_all(conns[i].fd, "VERSION\t1\t2\nCPID\t" + std::to_string(100000 + i) + "\n")) {
            result.error = "cannot connect to " + socket_path;
            for (auto& c : conns) {
                if (c.fd >= 0) {
                    ::close(c.fd);
                }
            }
            return result;
        }
    }
    std::vector<pollfd> fds(connections);
    Clock::time_point start{};
    bool started = false;
    Clock::time_point end{};
    char buf[65536];
    for (;;) {
        auto now = Clock::now();
        bool sending = !started || now < end;
        bool any_outstanding = false;
        bool all_ready = true;
        for (std::size_t i = 0; i < connections; ++i) {
            Conn& c = conns[i];
            all_ready = all_ready && c.handshake_done;
            if (c.handshake_done && sending && started) {
                std::string out;
                while (c.outstanding < in_flight) {
                    out += auth_line(c, users);
                    ++c.outstanding;
                }
                if (!out.empty() && !write_all(c.fd, out)) {
                    result.error = "write to loft-authd failed";
                }
            }
            any_outstanding = any_outstanding || c.outstanding > 0 || !c.handshake_done;
            fds[i] = {c.fd, POLLIN, 0};
        }
        if (!result.error.empty()) {
            break;
        }
        if (!started && all_ready) {
            started = true;
            start = Clock::now();
            end = start + duration;
            continue;
        }
        if (started && !sending && !any_outstanding) {
            break;
        }
        int n = ::poll(fds.data(), fds.size(), 1000);
        if (n < 0 && errno != EINTR) {
            result.error = "poll failed";
            break;
        }
        for (std::size_t i = 0; i < connections && n > 0; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            Conn& c = conns[i];
            ssize_t got = ::read(c.fd, buf, sizeof buf);
            if (got <= 0) {
                result.error = "loft-authd closed a connection";
                break;
            }
            c.in.append(buf, static_cast<std::size_t>(got));
            std::size_t pos = 0;
            for (;;) {
                auto nl = c.in.find('\n', pos);
                if (nl == std::string::npos) {
                    break;
                }
                std::string_view line(c.in.data() + pos, nl - pos);
                pos = nl + 1;
                if (!c.handshake_done) {
                    c.handshake_done = line == "DONE";
                } else if (line.substr(0, 3) == "OK\t") {
                    ++result.ok;
                    --c.outstanding;
                } else if (line.substr(0, 5) == "FAIL\t") {
                    ++result.failed;
                    --c.outstanding;
                }
            }
            c.in.erase(0, pos);
        }
        if (!result.error.empty()) {
            break;
        }
    }
    // Replies that arrived after the end of the window were requests sent
    // inside it: count the time until the last of them.
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& c : conns) {
        ::close(c.fd);
    }
    return result;
}

} // namespace bench_auth
