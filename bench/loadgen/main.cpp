// loft-loadgen: the IMAP/POP3/LMTP load generator of `make bench`.
//
//   loft-loadgen WORKLOAD [options] --json=FILE
//
// Runs one workload (see README.md and `loft-loadgen --help`), writes its
// result as one JSON object to --json, and exits 0 only if the run had no
// error: any unexpected response or failed cross-check is described on
// stderr (naming the client, user, command and response) and exits 1.
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "workload.hpp"

namespace {

// Lines "user:password" (the password may hold ':'); blank lines and lines
// starting with '#' are skipped.
std::vector<loadgen::UserAccount> read_users(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read --users-file " + path);
    std::vector<loadgen::UserAccount> users;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        std::size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0)
            throw std::runtime_error("--users-file " + path + ": not user:password: " + line);
        users.push_back({line.substr(0, colon), line.substr(colon + 1)});
        if (users.size() > 10'000'000)
            throw std::runtime_error("--users-file " + path + ": more than 10 million users");
    }
    return users;
}

// --lmtp=HOST:PORT or --lmtp=unix:/path
void parse_lmtp(const std::string& spec, loadgen::WorkloadOptions& o) {
    if (spec.starts_with("unix:")) {
        o.lmtp_socket = spec.substr(5);
        return;
    }
    std::size_t colon = spec.rfind(':');
    if (colon == std::string::npos)
        throw std::runtime_error("--lmtp: HOST:PORT or unix:/path, not " + spec);
    o.lmtp_host = spec.substr(0, colon);
    int port = std::stoi(spec.substr(colon + 1));
    if (port <= 0 || port > 65535)
        throw std::runtime_error("--lmtp: bad port in " + spec);
    o.lmtp_port = static_cast<std::uint16_t>(port);
}

// Many connections (idle) need many descriptors: the soft limit up to the hard one.
void raise_nofile() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

} // namespace

int main(int argc, char** argv) {
    loadgen::WorkloadOptions o;
    std::string workload, json_path, users_file, lmtp;
    std::ostringstream names;
    for (const auto* w : loadgen::all_workloads())
        names << "\n  " << w->name << ": " << w->description;
    CLI::App app{"loft-loadgen: IMAP/POP3/LMTP load generator (bench/loadgen/README.md). Workloads:" + names.str()};
    app.add_option("workload", workload, "the workload to run")->required();
    app.add_option("--json", json_path, "write the result (one JSON object) to this file");
    app.add_option("--host", o.host, "server address")->capture_default_str();
    app.add_option("--imap-port", o.imap_port, "IMAP port")->capture_default_str();
    app.add_option("--pop3-port", o.pop3_port, "POP3 port")->capture_default_str();
    app.add_option("--lmtp", lmtp, "LMTP server: HOST:PORT or unix:/path");
    app.add_option("--users-file", users_file, "accounts, one user:password a line");
    app.add_option("--clients", o.clients, "concurrent clients (mixed: 50, logins: 10)");
    app.add_option("--duration", o.duration_s, "seconds the workload runs")->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    app.add_option("--seed", o.seed, "random seed")->capture_default_str();
    app.add_option("--mailbox", o.mailbox, "mailbox")->capture_default_str();
    app.add_option("--connections", o.connections, "idle: IDLE connections");
    app.add_option("--deliveries", o.deliveries, "idle: LMTP deliveries");
    app.add_option("--messages", o.messages, "pop3: messages to download");
    app.add_option("--repeat", o.repeat, "bigmailbox: runs of each operation");
    app.add_option("--threads", o.threads, "threads running the event loop")->capture_default_str()
        ->check(CLI::Range(1u, 64u));
    app.add_option("--server-label", o.server_label, "copied to the JSON's server_label");
    app.add_flag("--verbose", o.verbose, "say more on stderr");
    CLI11_PARSE(app, argc, argv);

    const loadgen::WorkloadInfo* w = loadgen::find_workload(workload);
    if (!w) {
        std::fprintf(stderr, "loft-loadgen: unknown workload %s (see --help)\n", workload.c_str());
        return 2;
    }
    loadgen::WorkloadResult res;
    int rc = 0;
    try {
        if (!users_file.empty())
            o.users = read_users(users_file);
        if (!lmtp.empty())
            parse_lmtp(lmtp, o);
        raise_nofile();
        res = w->run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loft-loadgen %s: %s\n", workload.c_str(), e.what());
        res.errors += 1;
        rc = 1;
    }
    res.workload = workload;
    res.server_label = o.server_label;
    // The load generator's own CPU time, so a report can show the client
    // was not what limited the rate.
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        res.set_extra("loadgen_cpu_s", cpu);
    }
    if (res.errors > 0)
        rc = 1;
    if (!json_path.empty()) {
        std::ofstream out(json_path, std::ios::trunc);
        out << res.to_json();
        out.close();
        if (!out) {
            std::fprintf(stderr, "loft-loadgen: cannot write %s\n", json_path.c_str());
            return 1;
        }
    }
    std::fprintf(stderr, "loft-loadgen %s: %llu ops in %.1f s (%.0f/s), %llu errors\n", workload.c_str(),
                 static_cast<unsigned long long>(res.ops), res.duration_s, res.ops_per_s(),
                 static_cast<unsigned long long>(res.errors));
    return rc;
}
