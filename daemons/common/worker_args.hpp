// The command line every service worker (loft-imapd, loft-pop3d,
// loft-lmtpd, loft-authd) takes: loftd starts each one as
// `<worker> -c CONFIG --service NAME [--threads N]`, and an admin may start
// one by hand the same way. Parsed in one place so the four agree on
// --help, --version, the bounds and the exit codes (their man pages list
// the same options).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace loft {

struct WorkerArgs {
    std::string config_path;
    std::string service;     // preset to the worker's default service
    std::size_t threads = 0; // preset to the default; 0: decided from the config later
    // What --help says of --threads.
    std::string threads_help = "Threads that run storage and authentication calls";
};

// The most --threads accepts: threads are cheap next to what they wait for,
// and the bound keeps a typo from starting thousands.
inline constexpr std::size_t kMaxWorkerThreads = 256;

// Parses argv into `args` (whose fields hold the defaults). Returns the exit
// code when the program should stop: 0 after --help or --version (printed to
// stdout), 1 after a bad command line (the usage and the reason on stderr).
// `summary` is the one-line description --help starts with.
std::optional<int> parse_worker_args(int argc, char** argv, std::string_view program, std::string_view summary,
                                     WorkerArgs& args);

} // namespace loft
