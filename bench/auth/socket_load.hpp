// Load through loft-authd's auth-client socket: M connections, each
// keeping several AUTH PLAIN requests in flight (pipelined, as a busy
// Postfix smtpd or login process does), driven by one poll() loop so the
// load generator stays cheap next to the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace bench_auth {

// A loft-authd started for one measurement and stopped (SIGTERM, waited
// for) by the destructor.
class AuthdProcess {
public:
    // Writes `config_text` to `dir`/loft.conf and starts `binary` on it;
    // waits until `dir`/run/auth-client accepts connections.
    AuthdProcess(const std::string& binary, const std::string& dir, const std::string& config_text);
    ~AuthdProcess();
    AuthdProcess(const AuthdProcess&) = delete;
    AuthdProcess& operator=(const AuthdProcess&) = delete;

    bool ready() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::string socket_path() const { return dir_ + "/run/auth-client"; }

private:
    std::string dir_;
    int pid_ = -1;
    std::string error_;
};

struct LoadResult {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    double seconds = 0;
    std::string error; // not empty: the run broke (connection refused, closed, ...)
};

// Authenticates users 0..users-1 once each over one connection, eight
// requests in flight (fills the auth cache before a measurement). Returns
// an error message, or "".
std::string warm_socket(const std::string& socket_path, std::size_t users);

// Runs for `duration` over users 0..users-1 in a fixed pseudo-random order.
LoadResult run_socket_load(const std::string& socket_path, std::size_t connections, std::size_t in_flight,
                           std::size_t users, std::chrono::milliseconds duration);

} // namespace bench_auth
