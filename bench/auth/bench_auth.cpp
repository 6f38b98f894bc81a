// Successful PLAIN authentications per second (make bench-auth):
//   (a) in-process, Authenticator::verify_plain from N threads;
//   (b) through loft-authd's auth-client socket, M connections pipelining
//       AUTH requests;
// against 100,000 users in a passwd-file and in SQLite, with passwords in a
// cheap scheme (SSHA256) and in SHA512-CRYPT, with auth_cache_size = 0 and
// 10M. Prints a table; --markdown=FILE also writes it as a report.
#include "dataset.hpp"
#include "socket_load.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/utsname.h>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace bench_auth;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string cache_dir = "bench-cache/auth";
    std::string authd;    // loft-authd binary; empty: in-process only
    std::string markdown; // report file
    std::size_t users = 100000;
    double seconds = 3.0;
    std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t connections = 16;
    std::size_t in_flight = 8;
    bool keep = false; // keep the work directory (configs, loft-authd logs)
    // The second working set: this many active users, each authenticated
    // once before the timed window (so a cache has them), then drawn at
    // random. The first working set is every user, cold.
    std::size_t hot_users = 1000;
};

struct Row {
    std::string backend, scheme, cache, users, path;
    double rate = 0;
    std::uint64_t ok = 0, failed = 0;
    std::string note;
};

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&a](const char* name) -> const char* {
            std::string prefix = std::string(name) + "=";
            return a.rfind(prefix, 0) == 0 ? a.c_str() + prefix.size() : nullptr;
        };
        if (auto v = value("--cache-dir")) {
            o.cache_dir = v;
        } else if (auto v2 = value("--authd")) {
            o.authd = v2;
        } else if (auto v3 = value("--markdown")) {
            o.markdown = v3;
        } else if (auto v4 = value("--users")) {
            o.users = std::strtoul(v4, nullptr, 10);
        } else if (auto v5 = value("--seconds")) {
            o.seconds = std::strtod(v5, nullptr);
        } else if (auto v6 = value("--threads")) {
            o.threads = std::strtoul(v6, nullptr, 10);
        } else if (auto v7 = value("--connections")) {
            o.connections = std::strtoul(v7, nullptr, 10);
        } else if (auto v8 = value("--in-flight")) {
            o.in_flight = std::strtoul(v8, nullptr, 10);
        } else if (auto v9 = value("--hot-users")) {
            o.hot_users = std::strtoul(v9, nullptr, 10);
        } else if (a == "--keep") {
            o.keep = true;
        } else {
            std::cerr << "usage: bench_auth [--cache-dir=DIR] [--authd=PATH] [--markdown=FILE] [--users=N]\n"
                         "                  [--seconds=S] [--threads=N] [--connections=M] [--in-flight=P] [--hot-users=N] [--keep]\n";
            return false;
        }
    }
    return o.users >= 1 && o.users <= 10'000'000 && o.seconds > 0 && o.seconds <= 600 && o.threads >= 1 &&
           o.threads <= 256 && o.connections >= 1 && o.connections <= 1024 && o.in_flight >= 1 &&
           o.in_flight <= 256 && o.hot_users >= 1;
}

std::string sql_conf(const std::string& work, const Dataset& data, Scheme scheme) {
    std::string path = work + "/sql-" + scheme_name(scheme) + ".conf.ext";
    std::ofstream(path) << "driver = sqlite\nconnect = " << data.sqlite_file()
                        << "\npassword_query = SELECT userid AS user, " << Dataset::password_column(scheme)
                        << " AS password FROM users WHERE userid = '%u'\n"
                           "user_query = SELECT home, uid, gid FROM users WHERE userid = '%u'\n";
    return path;
}

std::string config_text(const std::string& work, const Dataset& data, bool sql, Scheme scheme,
                        const std::string& cache_size, const std::string& base_dir) {
    std::string db_block;
    if (sql) {
        std::string conf = sql_conf(work, data, scheme);
        db_block = "passdb {\n  driver = sql\n  args = " + conf + "\n}\nuserdb {\n  driver = sql\n  args = " + conf +
                   "\n}\n";
    } else {
        std::string file = data.passwd_file(scheme);
        db_block = "passdb {\n  driver = passwd-file\n  args = " + file +
                   "\n}\nuserdb {\n  driver = passwd-file\n  args = " + file + "\n}\n";
    }
    return "base_dir = " + base_dir + "\nlog_path = /dev/stderr\nauth_mechanisms = plain\n"
           "auth_failure_delay = 0\nauth_cache_size = " + cache_size + "\n" + db_block +
           "service auth {\n  unix_listener auth-client {\n    mode = 0600\n  }\n}\n";
}

Row run_in_process(const std::string& text, const Options& o, std::size_t pool, bool warm) {
    Row row;
    auto config = mailstore::config::Config::load_string(text, "bench.conf");
    if (!config) {
        row.note = config.status().message();
        return row;
    }
    auto auth = mailstore::auth::Authenticator::create(*config);
    if (!auth) {
        row.note = auth.status().message();
        return row;
    }
    const auto& authenticator = *auth;
    if (warm) {
        mailstore::auth::ClientInfo client;
        client.service = "imap";
        client.remote_ip = "127.0.0.1";
        client.secured = true;
        client.no_penalty = true;
        for (std::size_t u = 0; u < pool; ++u) {
            authenticator.verify_plain(user_name(u), password_of(u), client);
        }
    }
    auto warm_stats = authenticator.cache_stats();
    std::atomic<std::uint64_t> ok{0}, failed{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (std::size_t t = 0; t < o.threads; ++t) {
        threads.emplace_back([&, t] {
            mailstore::auth::ClientInfo client;
            client.service = "imap";
            client.remote_ip = "127.0.0.1";
            client.secured = true;
            client.no_penalty = true;
            std::uint64_t rng = 0x9E3779B97F4A7C15ull * (t + 1), mine_ok = 0, mine_failed = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                std::size_t u = static_cast<std::size_t>(rng % pool);
                auto reply = authenticator.verify_plain(user_name(u), password_of(u), client);
                if (reply.kind == mailstore::auth::AuthReply::Kind::success) {
                    ++mine_ok;
                } else {
                    ++mine_failed;
                }
            }
            ok += mine_ok;
            failed += mine_failed;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    stop = true;
    for (auto& th : threads) {
        th.join();
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    row.ok = ok;
    row.failed = failed;
    row.rate = static_cast<double>(row.ok) / secs;
    auto stats = authenticator.cache_stats();
    stats.hits -= warm_stats.hits;
    stats.misses -= warm_stats.misses;
    if (stats.hits + stats.misses > 0) {
        std::ostringstream note;
        note.precision(0);
        note << std::fixed << "cache hits " << 100.0 * static_cast<double>(stats.hits) /
                                                    static_cast<double>(stats.hits + stats.misses)
             << "%";
        row.note = note.str();
    }
    return row;
}

Row run_socket(const std::string& work, const std::string& text, const Options& o, std::size_t pool, bool warm) {
    Row row;
    AuthdProcess authd(o.authd, work, text);
    if (!authd.ready()) {
        row.note = authd.error();
        return row;
    }
    if (warm) {
        if (auto err = warm_socket(authd.socket_path(), pool); !err.empty()) {
            row.note = err;
            return row;
        }
    }
    auto result = run_socket_load(authd.socket_path(), o.connections, o.in_flight, pool,
                                  std::chrono::milliseconds(static_cast<long>(o.seconds * 1000)));
    row.ok = result.ok;
    row.failed = result.failed;
    row.rate = result.seconds > 0 ? static_cast<double>(result.ok) / result.seconds : 0;
    row.note = result.error;
    return row;
}

std::string format_rate(const Row& r) {
    if (r.ok == 0) {
        return "n/a";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", r.rate);
    return buf;
}

// The 1-minute load average: on a shared machine it says how much of the
// CPU the benchmark had.
std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    in >> one;
    return one.empty() ? "unknown" : one;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown CPU";
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_args(argc, argv, o)) {
        return 2;
    }
    Dataset data;
    if (auto err = prepare_dataset(o.cache_dir, o.users, data); !err.empty()) {
        std::cerr << "bench_auth: " << err << "\n";
        return 1;
    }
    char tmpl[] = "/tmp/loft-bench-auth-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        std::cerr << "bench_auth: mkdtemp failed\n";
        return 1;
    }
    std::string work = tmpl;

    std::string load_before = load_average();
    std::vector<Row> rows;
    std::size_t hot = std::min(o.hot_users, o.users);
    for (bool sql : {false, true}) {
        for (Scheme scheme : {Scheme::cheap, Scheme::sha512_crypt}) {
            for (const char* cache : {"0", "10M"}) {
                for (bool warm : {false, true}) {
                    std::size_t pool = warm ? hot : o.users;
                    Row base;
                    base.backend = sql ? "SQLite" : "passwd-file";
                    base.scheme = scheme_name(scheme);
                    base.cache = cache;
                    base.users = warm ? std::to_string(pool) + " hot" : std::to_string(pool) + " cold";
                    std::string run_dir = work + "/" + base.backend + "-" + base.scheme + "-" + cache +
                                          (warm ? "-hot" : "-cold");
                    fs::create_directories(run_dir);
                    std::string text = config_text(run_dir, data, sql, scheme, cache, run_dir + "/run");

                    auto report = [&rows, &base](Row r, const std::string& path) {
                        r.backend = base.backend, r.scheme = base.scheme, r.cache = base.cache;
                        r.users = base.users, r.path = path;
                        std::cerr << r.backend << " " << r.scheme << " cache=" << r.cache << " " << r.users
                                  << " " << r.path << ": " << format_rate(r) << "/s " << r.note << "\n";
                        rows.push_back(std::move(r));
                    };
                    report(run_in_process(text, o, pool, warm), "in-process, " + std::to_string(o.threads) +
                                                                    " threads");
                    if (!o.authd.empty()) {
                        report(run_socket(run_dir, text, o, pool, warm),
                               "loft-authd, " + std::to_string(o.connections) + " conns x " +
                                   std::to_string(o.in_flight) + " in flight");
                    }
                }
            }
        }
    }
    if (o.keep) {
        std::cerr << "work directory kept: " << work << "\n";
    } else {
        fs::remove_all(work);
    }

    std::ostringstream table;
    table << "| backend | scheme | auth_cache_size | users | path | successful auths/s | failed | note |\n"
          << "|---|---|---|---|---|---:|---:|---|\n";
    for (const auto& r : rows) {
        table << "| " << r.backend << " | " << r.scheme << " | " << r.cache << " | " << r.users << " | " << r.path
              << " | "
              << format_rate(r) << " | " << r.failed << " | " << r.note << " |\n";
    }
    std::cout << table.str();

    if (!o.markdown.empty()) {
        utsname un{};
        ::uname(&un);
        std::time_t now = std::time(nullptr);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
        std::ofstream md(o.markdown, std::ios::trunc);
        md << "# Auth benchmark, " << date << "\n\n"
           << "`make bench-auth` (bench/auth/): successful PLAIN authentications per second against "
           << o.users << " users, each measurement " << o.seconds << " s, users drawn uniformly at random.\n\n"
           << "- Machine: " << cpu_model() << ", " << std::thread::hardware_concurrency() << " cores, "
           << un.sysname << " " << un.release << "; load average " << load_before << " before the run, "
           << load_average() << " after (other work shares the machine: compare rows of one run, not runs)\n"
           << "- in-process: `Authenticator::verify_plain` from " << o.threads << " threads\n"
           << "- loft-authd: " << o.connections << " auth-client connections, " << o.in_flight
           << " AUTH PLAIN requests in flight on each, one poll() loop\n"
           << "- SHA512-CRYPT rows: 1000 distinct hashes (default 5000 rounds) shared round-robin by the users; "
              "verifying costs the same as with 100,000 distinct ones\n"
           << "- users: \"cold\" draws from all users with nothing cached beforehand; \"hot\" draws from the first "
           << hot << ", each authenticated once before the timed window (a cache holds them all); the cache "
              "hit rate of the timed window is in the note (in-process rows)\n\n"
           << table.str();
    }
    return 0;
}
