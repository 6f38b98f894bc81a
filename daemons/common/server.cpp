#include "server.hpp"

#include "socket_address.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <csignal>
#include <functional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace loft {

using mailstore::Status;
using mailstore::config::Config;
using mailstore::config::LookupContext;

struct Server::Acceptor {
    BoundListener listener;
    GenericAcceptor acceptor;
    Acceptor(asio::io_context& io, BoundListener l) : listener(std::move(l)), acceptor(io) {}
};

Server::Server(Config config, Protocol protocol, ServerOptions options)
    : strand_(asio::make_strand(io_)),
      log_(protocol.name.empty() ? options.service : protocol.name),
      protocol_(std::move(protocol)),
      options_(std::move(options)),
      config_(std::make_shared<const Config>(std::move(config))),
      signals_(strand_),
      slot_free_(strand_),
      all_closed_(strand_) {
    pool_ = std::make_unique<BlockingPool>(options_.pool_threads, options_.pool_queue);
}

Server::~Server() {
    if (!admin_path_.empty())
        ::unlink(admin_path_.c_str());
    if (pool_)
        pool_->stop();
}

std::shared_ptr<const Config> Server::config() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return config_;
}

std::shared_ptr<TlsContextSet> Server::tls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return tls_;
}

std::vector<std::shared_ptr<Connection>> Server::connections() const {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, weak] : connections_)
        if (auto conn = weak.lock())
            out.push_back(std::move(conn));
    return out;
}

ConnectionLimits limits_from_config(const Config& config, std::string_view protocol) {
    ConnectionLimits limits;
    LookupContext ctx;
    ctx.protocol = std::string(protocol);
    auto time_of = [&](std::string_view name, std::chrono::milliseconds fallback) {
        auto t = config.get_time(name, ctx);
        return t.count() > 0 ? t : fallback;
    };
    std::string_view line_setting, session_timeout;
    bool login_phase = true;
    if (protocol == "imap") {
        line_setting = "imap_max_line_length";
        session_timeout = "imap_inactivity_timeout";
    } else if (protocol == "pop3") {
        session_timeout = "pop3_inactivity_timeout";
    } else if (protocol == "lmtp") {
        session_timeout = "lmtp_inactivity_timeout";
        login_phase = false;
    } else if (protocol == "sieve" || protocol == "managesieve") {
        line_setting = "managesieve_max_line_length";
        session_timeout = "managesieve_inactivity_timeout";
    }
    if (!line_setting.empty()) {
        auto n = config.get_size(line_setting, ctx);
        if (n > 0)
            limits.max_line_length = static_cast<std::size_t>(n);
    }
    if (login_phase)
        limits.idle_timeout = time_of("login_inactivity_timeout", limits.idle_timeout);
    else
        limits.idle_timeout = time_of(session_timeout, limits.idle_timeout);
    if (login_phase && !session_timeout.empty())
        limits.logged_in_idle_timeout = time_of(session_timeout, limits.idle_timeout);
    return limits;
}

namespace {
// Whether a client waits in the listening socket's backlog.
bool connection_waiting(int listen_fd) {
    pollfd p{};
    p.fd = listen_fd;
    p.events = POLLIN;
    return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}
} // namespace

void Server::apply_limits() {
    auto cfg = config();
    limits_ = limits_from_config(*cfg, protocol_.name);
    if (protocol_.max_line_length_override)
        limits_.max_line_length = *protocol_.max_line_length_override;
    if (protocol_.idle_timeout_override) {
        limits_.idle_timeout = *protocol_.idle_timeout_override;
        limits_.logged_in_idle_timeout = *protocol_.idle_timeout_override;
    }
    LookupContext ctx;
    ctx.protocol = protocol_.name;
    unsigned limit = 0;
    for (const auto& svc : cfg->sections("service"))
        if (svc.name() == options_.service)
            limit = static_cast<unsigned>(svc.get_uint("client_limit"));
    if (limit == 0)
        limit = static_cast<unsigned>(cfg->get_uint("default_client_limit", ctx));
    client_limit_ = limit == 0 ? 1000 : limit;
    per_ip_limit_ = static_cast<unsigned>(cfg->get_uint("login_max_connections_per_ip", ctx));
    std::vector<std::string> bad;
    haproxy_trusted_ = NetworkList(cfg->get_list("haproxy_trusted_networks", ctx), &bad);
    for (const auto& entry : bad)
        log_.warningf("haproxy_trusted_networks: ignoring bad network {}", entry);
    haproxy_timeout_ = cfg->get_time("haproxy_timeout", ctx);
    if (haproxy_timeout_.count() <= 0)
        haproxy_timeout_ = std::chrono::seconds(3);
}

Status Server::start() {
    // Handlers first: once a listener is bound, clients (and supervisors
    // that poll the port) may think we are up and send SIGHUP, whose
    // default action would kill us.
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.add(SIGUSR1);
    signals_.add(SIGUSR2);
    auto cfg = config();
    apply_limits();
    LookupContext ctx;
    ctx.protocol = protocol_.name;
    std::string base_dir = cfg->get("base_dir", ctx);
    if (!base_dir.empty())
        ::mkdir(base_dir.c_str(), 0755);

    // Listeners: loftd (or systemd) hands them over; standalone we bind them.
    bool inherited = false;
    for (auto& l : inherited_listeners(*cfg)) {
        inherited = true;
        if (l.spec.service.empty() || l.spec.service == options_.service)
            listeners_.push_back(std::move(l));
        else
            ::close(l.fd);
    }
    if (!inherited) {
        // The checked form: a bad listener is an error here, not a listener
        // that silently goes missing.
        auto specs = checked_listeners_for_service(*cfg, options_.service);
        if (!specs)
            return specs.status();
        for (const auto& spec : *specs) {
            auto bound = bind_listener(spec, base_dir);
            if (!bound)
                return bound.status();
            for (auto& l : *bound)
                listeners_.push_back(std::move(l));
        }
    }
    if (listeners_.empty())
        return Status::invalid("service " + options_.service + " has no enabled listener (set a port or path)");

    auto tls = TlsContextSet::build(*cfg, protocol_.name);
    if (!tls)
        return tls.status();
    tls_ = *tls;
    for (const auto& l : listeners_) {
        if (l.spec.ssl && !tls_->available())
            return Status::invalid("listener " + l.spec.id() + " has ssl = yes, but " +
                                   (tls_->mode() == SslMode::no ? std::string("ssl = no")
                                                                : std::string("ssl_cert is not set")));
    }

    ip_limiter_ = std::make_unique<IpLimiter>(base_dir.empty() ? std::string()
                                                               : base_dir + "/loft-" + options_.service + ".ipconn",
                                              !inherited);
    if (!ip_limiter_->shared() && per_ip_limit_ > 0)
        log_.warning("per-IP connection counts are per process: cannot map the table under base_dir");

    raise_fd_limit(static_cast<std::size_t>(client_limit_) + 128, log_);

    for (auto& l : listeners_) {
        auto acc = std::make_shared<Acceptor>(io_, l);
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(l.fd, reinterpret_cast<sockaddr*>(&ss), &len);
        std::error_code ec;
        acc->acceptor.assign(asio::generic::stream_protocol(ss.ss_family, 0), l.fd, ec);
        if (ec)
            return Status::io("listener " + l.spec.id() + ": " + ec.message());
        acceptors_.push_back(acc);
    }

    if (options_.admin_socket && !base_dir.empty()) {
        std::string dir = base_dir + "/admin";
        ::mkdir(dir.c_str(), 0700);
        ListenerSpec spec;
        spec.service = options_.service;
        spec.name = "admin";
        spec.kind = ListenerSpec::Kind::unix_socket;
        spec.path = dir + "/" + options_.service + "." + std::to_string(::getpid()) + ".sock";
        spec.mode = 0600;
        auto bound = bind_listener(spec, base_dir);
        if (!bound) {
            log_.warningf("admin socket disabled: {}", bound.status().message());
        } else {
            admin_ = std::make_unique<GenericAcceptor>(strand_);
            std::error_code ec;
            admin_->assign(asio::generic::stream_protocol(AF_UNIX, 0), (*bound)[0].fd, ec);
            admin_path_ = spec.path;
        }
    }

    asio::co_spawn(strand_, signal_loop(), asio::detached);
    for (auto& acc : acceptors_) {
        asio::co_spawn(strand_, accept_loop(acc), asio::detached);
        log_.infof("Listening on {} ({}{}{})", acc->listener.spec.kind == ListenerSpec::Kind::unix_socket
                                                   ? acc->listener.address
                                                   : acc->listener.address + " port " +
                                                         std::to_string(local_address(acc->listener.fd).port),
                   acc->listener.spec.id(), acc->listener.spec.ssl ? ", TLS" : "",
                   acc->listener.spec.haproxy ? ", PROXY protocol" : "");
    }
    if (admin_)
        asio::co_spawn(strand_, admin_loop(), asio::detached);
    return Status::ok();
}

void Server::run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < options_.io_threads; ++i)
        threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : threads)
        t.join();
    // From here on nobody waits for signals, but a supervisor may still send
    // some (a second SIGTERM to the process group). Their default action
    // would kill a process that is exiting cleanly, and asio restores it when
    // the last signal_set holding a signal goes away; so a process-lifetime
    // set keeps them caught (and unanswered) until exit.
    static auto* exit_io = new asio::io_context;
    static auto* exit_signals = new asio::signal_set(*exit_io);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) {
        std::error_code ec;
        exit_signals->add(sig, ec);
    }
    pool_->stop();
    if (!admin_path_.empty()) {
        ::unlink(admin_path_.c_str());
        admin_path_.clear();
    }
}

void Server::stop() {
    asio::post(strand_, [this] {
        if (!stopping_.exchange(true))
            asio::co_spawn(strand_, shutdown_sequence(), asio::detached);
    });
}

void Server::retire() {
    asio::post(strand_, [this] {
        if (stopping_ || retiring_.exchange(true))
            return;
        log_.infof("Retiring: listeners closed, serving {} open connection(s) until they end",
                   active_.load());
        for (auto& acc : acceptors_) {
            std::error_code ec;
            acc->acceptor.close(ec);
        }
        slot_free_.cancel();
        if (active_.load() == 0)
            stop();
    });
}

asio::awaitable<void> Server::signal_loop() {
    // Runs on strand_, like shutdown_sequence: once that has finished
    // (signals_done_), no new wait is started, or a signal that arrived
    // during the shutdown would keep io_context::run() busy forever.
    while (!signals_done_) {
        std::error_code ec;
        int sig = co_await signals_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec || signals_done_)
            co_return;
        switch (sig) {
        case SIGTERM:
        case SIGINT:
            log_.infof("Received {}, {}", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                       stopping_ ? "already shutting down" : "shutting down");
            stop();
            break;
        case SIGHUP: reload(); break;
        case SIGUSR1:
            mailstore::log::reopen();
            if (!mailstore::log::forwarding_to_pipe())
                log_.info("Log files reopened");
            break;
        case SIGUSR2:
            // loftd replaces this generation of workers (a reload changed
            // listeners, user or program): stop accepting, let the clients
            // we have finish, then exit.
            log_.info("Received SIGUSR2, retiring");
            retire();
            break;
        default: break;
        }
    }
}

asio::awaitable<void> Server::accept_loop(std::shared_ptr<Acceptor> acc) {
    while (!stopping_ && !retiring_) {
        if (active_.load() >= client_limit_ && !stopping_ && !retiring_ && !saturated_) {
            // Once per episode: it ends when no client waits in the backlog.
            saturated_ = true;
            log_.warningf("service {}: client_limit ({}) reached, new connections wait; raise client_limit "
                          "or process_limit",
                          options_.service, client_limit_);
        }
        while (active_.load() >= client_limit_ && !stopping_ && !retiring_) {
            // Full: stop accepting; the kernel backlog holds new clients
            // until a connection ends (connection_ended cancels this wait).
            std::error_code ec;
            slot_free_.expires_after(std::chrono::seconds(1));
            co_await slot_free_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (stopping_ || retiring_)
            break;
        if (saturated_ && !connection_waiting(acc->listener.fd)) {
            // The backlog has drained: the saturation episode is over.
            saturated_ = false;
        }
        auto conn_strand = asio::make_strand(io_);
        std::error_code ec;
        // The peer address as accept() returned it: a client that has already
        // reset the connection makes getpeername() fail (ENOTCONN).
        asio::generic::stream_protocol::endpoint peer_endpoint;
        auto socket = co_await acc->acceptor.async_accept(conn_strand, peer_endpoint,
                                                          asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopping_ || retiring_ || ec == asio::error::operation_aborted || !acc->acceptor.is_open())
                break;
            if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
                log_.warningf("accept() on {}: {}; pausing", acc->listener.spec.id(), ec.message());
                asio::steady_timer pause(strand_, std::chrono::milliseconds(200));
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            continue;
        }
        int fd = socket.native_handle();
        SocketAddress peer = decode_sockaddr(peer_endpoint.data(), static_cast<socklen_t>(peer_endpoint.size()));
        if (!peer.is_unix && peer.ip.empty()) {
            errno = 0;
            peer = peer_address(fd);
            if (!peer.is_unix && peer.ip.empty()) {
                int err = errno;
                log_.debugf("Connection on {} ended before it could be served: cannot read the peer address: {}",
                            acc->listener.spec.id(), err != 0 ? std::strerror(err) : "unknown address family");
                std::error_code close_ec;
                socket.close(close_ec);
                continue;
            }
        }
        if (!peer.is_unix) {
            // A reply often leaves in several writes (untagged data, then
            // the tagged line): with Nagle's algorithm the last small write
            // waits for the client's delayed ACK, 40 ms on Linux, after
            // every such command. Output is already batched per reply.
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        SocketAddress local = local_address(fd);
        std::uint64_t id = next_id_++;
        ++active_;
        auto conn = std::make_shared<Connection>(Connection::Socket(std::move(socket)), conn_strand, id,
                                                 protocol_.name, limits_, tls(), *pool_, this);
        conn->set_addresses(peer.is_unix ? "" : peer.ip, peer.port, local.is_unix ? "" : local.ip, local.port, false);
        conn->set_listener(acc->listener.spec.id());
        {
            std::lock_guard<std::mutex> lock(mutex_);
            connections_[id] = conn;
        }
        update_title();
        asio::co_spawn(conn_strand, serve_connection(conn, acc->listener), asio::detached);
    }
}

asio::awaitable<void> Server::serve_connection(std::shared_ptr<Connection> conn, BoundListener listener) {
    conn->start_watchdog();
    bool counted = false;
    try {
        bool ok = true;
        if (listener.spec.haproxy) {
            if (!haproxy_trusted_.contains(conn->remote_ip())) {
                conn->log().infof("Refused PROXY protocol connection from {}: not in haproxy_trusted_networks",
                                  conn->remote_ip());
                ok = false;
            } else {
                std::string error;
                bool have_header = co_await conn->read_proxy_header(haproxy_timeout_, error);
                if (!have_header) {
                    // A peer that just resets (a load balancer's probe, an RST
                    // flood) is not worth an Info line each.
                    if (error == kProxyClosedEarly)
                        conn->log().debugf("PROXY protocol from {}: {}", conn->remote_ip(), error);
                    else
                        conn->log().infof("PROXY protocol from {}: {}", conn->remote_ip(), error);
                    ok = false;
                }
            }
        }
        if (ok && !conn->shutting_down()) {
            if (!ip_limiter_->acquire(conn->remote_ip(), per_ip_limit_)) {
                conn->log().infof("Refused connection from {}: too many connections from this IP (limit {})",
                                  conn->remote_ip(), per_ip_limit_);
                bool can_talk = true;
                if (listener.spec.ssl)
                    can_talk = co_await conn->start_implicit_tls();
                if (can_talk && !protocol_.too_many_connections_line.empty()) {
                    co_await conn->write_line(protocol_.too_many_connections_line);
                    co_await conn->flush();
                }
            } else {
                counted = true;
                bool ready = true;
                if (listener.spec.ssl)
                    ready = co_await conn->start_implicit_tls();
                if (ready)
                    co_await protocol_.serve(conn);
                co_await conn->flush();
            }
        }
    } catch (const std::exception& e) {
        conn->log().errorf("Connection handler failed: {}", e.what());
    }
    conn->close();
    if (counted)
        ip_limiter_->release(conn->remote_ip());
    connection_ended(conn->id());
}

void Server::update_title() {
    // Like Dovecot's login processes: ps shows how busy each worker is.
    if (mailstore::log::verbose_process_title())
        mailstore::log::set_process_title(options_.service + " [" + std::to_string(active_.load()) + " connections]");
}

void Server::connection_ended(std::uint64_t id) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        connections_.erase(id);
    }
    --active_;
    update_title();
    asio::post(strand_, [this] {
        slot_free_.cancel();
        all_closed_.cancel();
        if (retiring_ && !stopping_ && active_.load() == 0) {
            log_.info("Retired: last connection ended");
            stop();
        }
    });
}

asio::awaitable<void> Server::shutdown_sequence() {
    log_.infof("Shutting down: {} connection(s) open", active_.load());
    for (auto& acc : acceptors_) {
        std::error_code ec;
        acc->acceptor.close(ec);
    }
    slot_free_.cancel();
    if (admin_) {
        std::error_code ec;
        admin_->close(ec);
    }
    for (auto& weak : admin_clients_) {
        if (auto socket = weak.lock()) {
            std::error_code ec;
            socket->close(ec);
        }
    }
    admin_clients_.clear();
    for (auto& conn : connections())
        conn->request_shutdown();
    auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
    while (active_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        all_closed_.expires_at(deadline);
        co_await all_closed_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (active_.load() > 0) {
        log_.warningf("Shutdown grace time over: closing {} connection(s)", active_.load());
        for (auto& conn : connections())
            conn->force_close();
        auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (active_.load() > 0 && std::chrono::steady_clock::now() < hard) {
            std::error_code ec;
            all_closed_.expires_after(std::chrono::milliseconds(100));
            co_await all_closed_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (active_.load() > 0) {
            // A handler stuck in the blocking pool: nothing more to wait for.
            log_.error("Connections did not end; exiting anyway");
            io_.stop();
        }
    }
    signals_done_ = true;
    std::error_code ec;
    signals_.cancel(ec);
    log_.info("Shutdown complete");
}

namespace {
struct Loaded {
    std::optional<Config> config;
    std::shared_ptr<TlsContextSet> tls;
    std::string error;
};

Loaded load_config_and_tls(const std::string& path, const std::string& protocol) {
    Loaded out;
    auto cfg = Config::load_file(path);
    if (!cfg) {
        out.error = cfg.status().message();
        return out;
    }
    auto tls = TlsContextSet::build(*cfg, protocol);
    if (!tls) {
        out.error = tls.status().message();
        return out;
    }
    out.config.emplace(std::move(*cfg));
    out.tls = *tls;
    return out;
}
} // namespace

void Server::reload() { asio::co_spawn(strand_, reload_task(), asio::detached); }

asio::awaitable<void> Server::reload_task() {
    std::string path = config()->path();
    if (path.empty()) {
        log_.warning("SIGHUP: running on built-in defaults, nothing to reload");
        co_return;
    }
    // Reading files and parsing certificates may block: not on an I/O thread.
    auto job = std::bind(load_config_and_tls, path, protocol_.name);
    Loaded loaded = co_await pool_->run(std::move(job));
    if (!loaded.config) {
        log_.errorf("Reload failed, keeping the running configuration: {}", loaded.error);
        co_return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        config_ = std::make_shared<const Config>(*loaded.config);
        tls_ = loaded.tls;
    }
    apply_limits();
    if (options_.on_reload)
        options_.on_reload(*loaded.config);
    log_.info("Configuration reloaded");
}

} // namespace loft
