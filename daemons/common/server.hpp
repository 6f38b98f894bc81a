// A protocol-agnostic server process: the listeners of one service (inherited
// from loftd / systemd, or bound here when run standalone), an io_context run
// by N I/O threads, a blocking pool, limits (client_limit, per-IP cap), TLS,
// PROXY protocol, the admin socket, and signals: SIGTERM/SIGINT stop
// gracefully, SIGHUP reloads config and certificates, SIGUSR1 reopens logs,
// SIGUSR2 retires (close listeners, finish open connections, exit).
//
// A protocol plugs in a Protocol: a coroutine that serves one Connection.
#pragma once

#include "connection.hpp"
#include "ip_limiter.hpp"
#include "listeners.hpp"
#include "tls_context.hpp"

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <asio/awaitable.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace loft {

using GenericAcceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

struct Protocol {
    // Used for config lookups (`protocol NAME { }`) and log prefixes.
    std::string name;
    // Serves one connection; returning closes it.
    std::function<asio::awaitable<void>(std::shared_ptr<Connection>)> serve;
    // The line (CRLF added) a client gets when its IP has too many
    // connections, e.g. "* BYE Too many connections from your IP".
    std::string too_many_connections_line;
    // Line length and idle timeouts come from the config (limits_from_config)
    // at start and after every reload; these override them when set (tests,
    // special daemons).
    std::optional<std::size_t> max_line_length_override;
    std::optional<std::chrono::milliseconds> idle_timeout_override;
};

// The connection limits `protocol` gets from `config` (with `protocol NAME { }`
// overrides applied):
//   imap:        imap_max_line_length, login_inactivity_timeout before login,
//                imap_inactivity_timeout after
//   pop3:        login_inactivity_timeout / pop3_inactivity_timeout
//   lmtp:        lmtp_inactivity_timeout
//   sieve, managesieve: managesieve_max_line_length, login_inactivity_timeout /
//                managesieve_inactivity_timeout
//   anything else: login_inactivity_timeout
// Lines are 64k where the protocol has no setting; a zero setting keeps the
// built-in value.
ConnectionLimits limits_from_config(const mailstore::config::Config& config, std::string_view protocol);

struct ServerOptions {
    std::string service;       // "imap-login": whose listeners to serve
    std::size_t io_threads = 1;
    std::size_t pool_threads = 8;
    std::size_t pool_queue = 4096;
    // How long a graceful shutdown waits for in-flight commands.
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(30)};
    bool admin_socket = true;
    // Called after a successful SIGHUP reload with the new config.
    std::function<void(const mailstore::config::Config&)> on_reload;
};

class Server {
public:
    Server(mailstore::config::Config config, Protocol protocol, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Take the listeners (inherited, else bind them), build TLS, open the
    // admin socket. Errors name what failed.
    mailstore::Status start();
    // Serve until stopped; returns once every connection has ended.
    void run();
    // Begin a graceful shutdown (what SIGTERM does). Thread-safe.
    void stop();
    // Reload config and certificates from the config file (what SIGHUP does).
    void reload();
    // Close the listeners and keep serving the open connections; exit
    // (run() returns) when the last one ends, or earlier through stop().
    // What SIGUSR2 does: loftd retires an old generation of workers this way
    // when a reload changes listeners, user or program. Thread-safe.
    void retire();

    std::shared_ptr<const mailstore::config::Config> config() const;
    std::shared_ptr<TlsContextSet> tls() const;
    const std::vector<BoundListener>& listeners() const { return listeners_; }
    std::size_t active_connections() const { return active_.load(); }
    const std::string& admin_socket_path() const { return admin_path_; }

    // Snapshot of live connections, for the admin socket.
    std::vector<std::shared_ptr<Connection>> connections() const;

private:
    struct Acceptor;
    asio::awaitable<void> accept_loop(std::shared_ptr<Acceptor> acceptor);
    asio::awaitable<void> serve_connection(std::shared_ptr<Connection> conn, BoundListener listener);
    asio::awaitable<void> signal_loop();
    asio::awaitable<void> reload_task();
    asio::awaitable<void> shutdown_sequence();
    asio::awaitable<void> admin_loop();
    asio::awaitable<void> admin_client(std::shared_ptr<asio::generic::stream_protocol::socket> socket);
    std::vector<std::string> admin_command(const std::vector<std::string>& request);
    void connection_ended(std::uint64_t id);
    void update_title();
    void apply_limits();

    asio::io_context io_;
    asio::strand<asio::io_context::executor_type> strand_; // server state: acceptors, shutdown
    mailstore::log::Logger log_;
    Protocol protocol_;
    ServerOptions options_;
    std::unique_ptr<BlockingPool> pool_;

    mutable std::mutex mutex_; // guards config_, tls_, connections_
    std::shared_ptr<const mailstore::config::Config> config_;
    std::shared_ptr<TlsContextSet> tls_;
    std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;

    std::vector<BoundListener> listeners_;
    std::vector<std::shared_ptr<Acceptor>> acceptors_;
    std::unique_ptr<IpLimiter> ip_limiter_;
    NetworkList haproxy_trusted_;
    std::chrono::milliseconds haproxy_timeout_{3000};
    unsigned client_limit_ = 1000;
    unsigned per_ip_limit_ = 0;
    ConnectionLimits limits_; // for new connections; strand_ only
    bool saturated_ = false;  // strand_ only: client_limit warning given for this episode

    asio::signal_set signals_;
    asio::steady_timer slot_free_;   // accept loops wait here while at client_limit
    asio::steady_timer all_closed_;  // the shutdown sequence waits here
    std::unique_ptr<GenericAcceptor> admin_;
    std::string admin_path_;
    // Open admin clients (touched on strand_ only), closed at shutdown.
    std::vector<std::weak_ptr<asio::generic::stream_protocol::socket>> admin_clients_;

    std::atomic<std::size_t> active_{0};
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> retiring_{false};
    bool signals_done_ = false; // strand_ only: shutdown finished, stop waiting for signals
};

// Raise RLIMIT_NOFILE to at least `needed` (as far as the hard limit, or
// beyond it when privileged); logs a warning when it cannot.
void raise_fd_limit(std::size_t needed, const mailstore::log::Logger& log);

} // namespace loft
