// loft-echod: a tiny line protocol on the network runtime, for integration
// tests of what every Loft daemon shares (TLS, STARTTLS, limits, PROXY,
// shutdown, reload, admin socket, logging).
//
//   * OK echo ready             greeting
//   ECHO text      → * text
//   STARTTLS       → OK begin TLS, then the handshake
//   SLEEP n        → (a blocking-pool job of n ms) OK slept
//   WHOAMI         → * WHOAMI ip=.. port=.. local=.. tls=.. sni=.. cipher=.. verified=.. secured=.. cert=..
//   LOGIN user     → OK / NO when ssl = required and the connection is plaintext
//   QUIT           → OK bye
#include "server.hpp"

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

namespace {

using loft::Connection;
using loft::ReadStatus;

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

asio::awaitable<void> serve(std::shared_ptr<Connection> conn) {
    conn->log().infof("Connect from {} port {}", conn->remote_ip(), conn->remote_port());
    co_await conn->write_line("* OK echo ready");
    // (named results: GCC 12 mishandles co_await inside conditions)
    bool sent = co_await conn->flush();
    if (!sent)
        co_return;
    std::string line;
    for (;;) {
        ReadStatus st = co_await conn->read_line(line);
        switch (st) {
        case ReadStatus::ok: break;
        case ReadStatus::too_long:
            co_await conn->write_line("BAD line too long");
            co_return;
        case ReadStatus::shutdown:
            co_await conn->write_line("* BYE server shutting down");
            co_return;
        case ReadStatus::kicked:
            co_await conn->write_line("* BYE kicked by admin");
            co_return;
        case ReadStatus::timeout:
            co_await conn->write_line("* BYE idle timeout");
            co_return;
        default:
            conn->log().infof("Disconnected: {}", loft::to_string(st));
            co_return;
        }
        auto space = line.find(' ');
        std::string cmd = upper(line.substr(0, space));
        std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        if (cmd == "ECHO") {
            co_await conn->write_line("* " + arg);
        } else if (cmd == "STARTTLS") {
            if (!conn->starttls_available()) {
                co_await conn->write_line("BAD TLS not available");
            } else {
                co_await conn->write_line("OK begin TLS");
                bool upgraded = co_await conn->starttls();
                if (!upgraded)
                    co_return;
                continue;
            }
        } else if (cmd == "SLEEP") {
            long ms = std::strtol(arg.c_str(), nullptr, 10);
            conn->set_state("SLEEP");
            co_await conn->pool().run([ms] { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); });
            conn->set_state(conn->user().empty() ? "pre-login" : "logged-in");
            co_await conn->write_line("OK slept");
        } else if (cmd == "WHOAMI") {
            const auto& tls = conn->tls_info();
            co_await conn->write_line(fmt::format(
                "* WHOAMI ip={} port={} local={} tls={} sni={} cipher={} verified={} secured={} cert={}",
                conn->remote_ip(), conn->remote_port(), conn->local_ip(), conn->tls_active() ? "yes" : "no",
                tls.server_name, tls.cipher, tls.peer_verified ? "yes" : "no", conn->secured() ? "yes" : "no",
                tls.peer_subject));
        } else if (cmd == "LOGIN") {
            if (conn->ssl_required() && !conn->tls_active()) {
                co_await conn->write_line("NO [PRIVACYREQUIRED] TLS required (ssl = required)");
            } else if (arg.empty()) {
                co_await conn->write_line("BAD LOGIN needs a user");
            } else {
                conn->set_user(arg);
                conn->set_state("logged-in");
                conn->log().infof("Login: user=<{}>", arg);
                co_await conn->write_line("OK logged in");
            }
        } else if (cmd == "QUIT") {
            conn->log().info("Disconnected: Logged out");
            co_await conn->write_line("OK bye");
            co_return;
        } else {
            co_await conn->write_line("BAD unknown command");
        }
        bool flushed = co_await conn->flush();
        if (!flushed)
            co_return;
    }
}

void usage() {
    std::fprintf(stderr,
                 "usage: loft-echod -c CONFIG [--service NAME] [--protocol NAME] [--max-line BYTES]\n"
                 "                  [--idle-timeout SECS] [--threads N] [--shutdown-grace SECS]\n");
}

} // namespace

int main(int argc, char** argv) {
    mailstore::log::init_process_title(argc, argv);
    std::string config_path, service = "echo", protocol = "echo";
    // Limits come from the config (imap_max_line_length, ... for --protocol);
    // these flags override them.
    std::optional<std::size_t> max_line;
    std::optional<std::chrono::milliseconds> idle_timeout;
    loft::ServerOptions options;
    options.io_threads = 2;
    options.pool_threads = 4;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(1);
            }
            return argv[++i];
        };
        if (a == "-c")
            config_path = next();
        else if (a == "--service")
            service = next();
        else if (a == "--protocol")
            protocol = next();
        else if (a == "--max-line")
            max_line = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--idle-timeout")
            idle_timeout = std::chrono::seconds(std::strtol(next().c_str(), nullptr, 10));
        else if (a == "--threads")
            options.io_threads = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--shutdown-grace")
            options.shutdown_grace = std::chrono::seconds(std::strtol(next().c_str(), nullptr, 10));
        else {
            usage();
            return 1;
        }
    }
    auto config = config_path.empty() ? mailstore::Result<mailstore::config::Config>(mailstore::config::Config::defaults())
                                      : mailstore::config::Config::load_file(config_path);
    if (!config) {
        std::fprintf(stderr, "loft-echod: %s\n", config.status().message().c_str());
        return 1;
    }
    if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(*config, protocol)); !st) {
        std::fprintf(stderr, "loft-echod: %s\n", st.message().c_str());
        return 1;
    }
    for (const auto& w : config->warnings())
        mailstore::log::Logger("echod").warningf("{}: {}", w.where.to_string(), w.message);
    mailstore::log::set_process_title(service);

    options.service = service;
    options.on_reload = [protocol](const mailstore::config::Config& cfg) {
        if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(cfg, protocol)); !st)
            mailstore::log::Logger("echod").errorf("Reload: logging not reconfigured: {}", st.message());
    };
    loft::Protocol proto;
    proto.name = protocol;
    proto.serve = serve;
    proto.too_many_connections_line = "* BYE Too many connections from your IP";
    proto.max_line_length_override = max_line;
    proto.idle_timeout_override = idle_timeout;

    loft::Server server(std::move(*config), std::move(proto), std::move(options));
    if (auto st = server.start(); !st) {
        mailstore::log::Logger("echod").fatal(st.message());
        return 1;
    }
    server.run();
    mailstore::log::flush();
    return 0;
}
