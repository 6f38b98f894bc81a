// The load generator's workloads: their options, their result (written as
// the JSON object of bench/loadgen/README.md), and a registry so each
// workload lives in its own file (mixed.cpp, logins.cpp, bigmailbox.cpp,
// idle.cpp, pop3.cpp) and registers itself:
//
//     static const bool registered = loadgen::register_workload(
//         "mixed", "webmail-like users sharing mailboxes", run_mixed);
//
// Workload files are compiled into the loft-loadgen executable itself (not
// into a static library, whose unreferenced objects the linker would drop
// together with their registration).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/latency.hpp"

namespace loadgen {

struct UserAccount {
    std::string user;
    std::string password;
};

struct WorkloadOptions {
    std::string host = "127.0.0.1";
    std::uint16_t imap_port = 143;
    std::uint16_t pop3_port = 110;
    // --lmtp=HOST:PORT sets lmtp_host/lmtp_port; --lmtp=unix:/path sets lmtp_socket.
    std::string lmtp_host;
    std::uint16_t lmtp_port = 0;
    std::string lmtp_socket;
    std::vector<UserAccount> users; // --users-file, lines "user:password"
    unsigned clients = 0;           // 0: the workload's default (mixed 50, logins 10)
    double duration_s = 30;
    std::uint64_t seed = 1;
    std::string mailbox = "INBOX";
    unsigned connections = 0; // idle
    unsigned deliveries = 0;  // idle
    unsigned messages = 0;    // pop3
    unsigned repeat = 0;      // bigmailbox: runs of each operation (0: default)
    unsigned threads = 1;     // io_context threads
    std::string server_label; // copied to the JSON's "server_label" when set
    bool verbose = false;
};

struct WorkloadResult {
    std::string workload;
    std::string server_label;
    double duration_s = 0;
    std::uint64_t ops = 0;
    std::uint64_t errors = 0;
    LatencyRecorder commands;
    // Workload-specific members of "extra", each value already JSON text
    // (use the set_extra helpers).
    std::vector<std::pair<std::string, std::string>> extra;

    void set_extra(std::string_view key, std::int64_t value);
    void set_extra(std::string_view key, std::uint64_t value);
    void set_extra(std::string_view key, int value) { set_extra(key, static_cast<std::int64_t>(value)); }
    void set_extra(std::string_view key, unsigned value) { set_extra(key, static_cast<std::uint64_t>(value)); }
    void set_extra(std::string_view key, double value);
    void set_extra_string(std::string_view key, std::string_view value);
    void set_extra_json(std::string_view key, std::string json);

    double ops_per_s() const { return duration_s > 0 ? static_cast<double>(ops) / duration_s : 0; }
    // {"workload": ..., "server_label": ..., "duration_s": ..., "ops": ...,
    //  "ops_per_s": ..., "errors": ..., "commands": {...}, "extra": {...}}
    std::string to_json() const;
};

// A workload runs to completion and returns its result; errors are counted in
// `errors` (and described on stderr by the workload). loft-loadgen exits 1
// when errors > 0 or the function throws.
using WorkloadFn = std::function<WorkloadResult(const WorkloadOptions&)>;

struct WorkloadInfo {
    std::string name;
    std::string description;
    WorkloadFn run;
};

// Registers a workload under `name`; returns true (for static initialisers).
bool register_workload(std::string name, std::string description, WorkloadFn fn);
const WorkloadInfo* find_workload(std::string_view name);
std::vector<const WorkloadInfo*> all_workloads(); // sorted by name

} // namespace loadgen
