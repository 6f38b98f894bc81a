// A scripted IMAP server for the load generator's unit tests: a thread with a
// plain loopback socket that sends exact bytes and expects exact bytes, in
// order, so the client's reader meets precisely the response shapes of
// RFC 3501 (split literals, interleaved untagged data, continuations).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace loadgen_test {

struct Step {
    enum Kind { Send, Expect, Pause, Close, ExpectNothing } kind;
    std::string data;
    int ms = 0;
};
inline Step send(std::string s) { return {Step::Send, std::move(s), 0}; }
inline Step expect(std::string s) { return {Step::Expect, std::move(s), 0}; }
inline Step pause(int ms) { return {Step::Pause, {}, ms}; }
// After `ms`, nothing more has arrived from the client.
inline Step expect_nothing(int ms) { return {Step::ExpectNothing, {}, ms}; }
inline Step close_conn() { return {Step::Close, {}, 0}; }

class FakeServer {
public:
    explicit FakeServer(std::vector<Step> script) : script_(std::move(script)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 1) != 0)
            throw std::runtime_error("fake server: bind/listen failed");
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeServer() {
        join();
        ::close(listen_fd_);
    }
    void join() {
        if (thread_.joinable())
            thread_.join();
    }
    std::uint16_t port() const { return port_; }
    // Empty when every step went as scripted.
    const std::string& error() const { return error_; }

private:
    void run() {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) {
            error_ = "accept failed";
            return;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        for (const Step& s : script_) {
            if (s.kind == Step::Send) {
                if (::send(fd, s.data.data(), s.data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.data.size())) {
                    error_ = "send failed";
                    break;
                }
                // Let the client read this piece on its own.
                std::this_thread::sleep_for(std::chrono::milliseconds(15));
            } else if (s.kind == Step::Expect) {
                std::string got;
                while (got.size() < s.data.size()) {
                    char buf[4096];
                    ssize_t n = ::recv(fd, buf, std::min(sizeof buf, s.data.size() - got.size()), 0);
                    if (n <= 0)
                        break;
                    got.append(buf, static_cast<std::size_t>(n));
                }
                if (got != s.data) {
                    error_ = "expected [" + s.data + "] got [" + got + "]";
                    break;
                }
            } else if (s.kind == Step::ExpectNothing) {
                std::this_thread::sleep_for(std::chrono::milliseconds(s.ms));
                char c;
                if (::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) > 0) {
                    error_ = "the client sent more than expected";
                    break;
                }
            } else if (s.kind == Step::Pause) {
                std::this_thread::sleep_for(std::chrono::milliseconds(s.ms));
            } else {
                break;
            }
        }
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
    }

    std::vector<Step> script_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string error_;
};

} // namespace loadgen_test
