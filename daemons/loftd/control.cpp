#include "control.hpp"

#include "pidfile.hpp"

#include <chrono>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <thread>

namespace loftd {

namespace {

// How long `loftd stop` waits: loftd itself gives its workers 30s before
// SIGKILL, so this covers a full graceful shutdown.
constexpr auto kStopWait = std::chrono::seconds(45);

std::optional<std::pair<pid_t, std::string>> find_instance(const ConfigSource& source) {
    auto base_dir = source.base_dir();
    if (!base_dir) {
        fmt::print(stderr, "loftd: {}\n", base_dir.status().message());
        return std::nullopt;
    }
    std::string path = *base_dir + "/master.pid";
    auto pid = loft::running_pid(path);
    if (!pid) {
        fmt::print(stderr, "loftd is not running ({} has no live pid file at {})\n", source.describe(), path);
        return std::nullopt;
    }
    return std::pair{*pid, path};
}

} // namespace

int stop_running_instance(const ConfigSource& source) {
    auto instance = find_instance(source);
    if (!instance)
        return 1;
    auto [pid, path] = *instance;
    if (::kill(pid, SIGTERM) != 0) {
        fmt::print(stderr, "loftd: cannot signal pid {}: {}\n", pid, std::strerror(errno));
        return 1;
    }
    auto deadline = std::chrono::steady_clock::now() + kStopWait;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!loft::running_pid(path)) {
            fmt::print("loftd (pid {}) stopped\n", pid);
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    fmt::print(stderr, "loftd (pid {}) is still running {}s after SIGTERM\n", pid, kStopWait.count());
    return 1;
}

int reload_running_instance(const ConfigSource& source) {
    auto instance = find_instance(source);
    if (!instance)
        return 1;
    auto [pid, path] = *instance;
    if (::kill(pid, SIGHUP) != 0) {
        fmt::print(stderr, "loftd: cannot signal pid {}: {}\n", pid, std::strerror(errno));
        return 1;
    }
    fmt::print("loftd (pid {}) is reloading its configuration\n", pid);
    return 0;
}

} // namespace loftd
