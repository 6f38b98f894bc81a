// loft-authd: Dovecot's auth protocols on unix sockets over libmailstore's
// Authenticator (docs/authd.md). The listener a connection came in on picks
// the protocol: auth-userdb and auth-master (and listeners whose names start
// with them) speak the master protocol, every other listener (auth-client,
// Postfix's private/auth, ...) the auth-client protocol.
//
//   loft-authd -c CONFIG [--service auth]
//
// Under loftd the sockets are inherited (LISTEN_FDS); standalone it binds the
// service's unix listeners itself. SIGHUP builds a new Authenticator from the
// reloaded config; requests already running finish on the old one.
#include "authd_state.hpp"
#include "auth_protocol.hpp"
#include "client_session.hpp"
#include "master_session.hpp"
#include "daemon_config.hpp"
#include "server.hpp"
#include "worker_args.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <memory>
#include <string>
#include <string_view>

namespace {

// `listener` is the listener's id, "SERVICE/NAME" (NAME being the
// unix_listener's name as written, possibly a path).
bool speaks_master(std::string_view listener, std::string_view service) {
    if (listener.size() > service.size() && listener.substr(0, service.size()) == service &&
        listener[service.size()] == '/')
        listener.remove_prefix(service.size() + 1);
    return listener.rfind("auth-userdb", 0) == 0 || listener.rfind("auth-master", 0) == 0;
}

std::size_t pool_threads(const mailstore::config::Config& config, mailstore::log::Logger& log) {
    std::uint64_t n = config.get_uint("auth_worker_max_count");
    if (n == 0)
        n = 1;
    if (n > loft::kMaxWorkerThreads) {
        log.warningf("auth_worker_max_count = {} lowered to {}", n, loft::kMaxWorkerThreads);
        n = loft::kMaxWorkerThreads;
    }
    return static_cast<std::size_t>(n);
}

constexpr std::size_t kThreadStackSize = 2 * 1024 * 1024;

void set_thread_stack_size(mailstore::log::Logger& log) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return;
    int rc = pthread_attr_setstacksize(&attr, kThreadStackSize);
    if (rc == 0)
        rc = pthread_setattr_default_np(&attr);
    if (rc != 0)
        log.warningf("thread stack size not set: {}", std::strerror(rc));
    pthread_attr_destroy(&attr);
}

} // namespace

int main(int argc, char** argv) {
    mailstore::log::init_process_title(argc, argv);
    loft::WorkerArgs args;
    args.service = "auth";
    args.threads_help = "Threads that run authentication calls (default: auth_worker_max_count)";
    if (auto exit_code = loft::parse_worker_args(argc, argv, "loft-authd", "The Loft authentication service", args))
        return *exit_code;
    const std::string& config_path = args.config_path;
    const std::string& service = args.service;
    loft::ServerOptions options;
    options.io_threads = 1;
    // Every Authenticator call blocks a pool thread (PAM conversations, SQL
    // queries, crypt hashing): the pool has auth_worker_max_count threads
    // (Dovecot's limit on its auth worker processes, default 30), so a slow
    // backend holds some threads while the others keep answering.
    // --threads overrides it.
    options.pool_queue = 4096;
    options.shutdown_grace = std::chrono::seconds(10);
    auto config = loft::load_daemon_config(config_path, "auth", "loft-authd");
    if (!config)
        return 1;
    mailstore::log::Logger log("auth");
    auto auth = mailstore::auth::Authenticator::create(*config);
    if (!auth) {
        log.fatal(auth.status().message());
        mailstore::log::flush();
        std::fprintf(stderr, "loft-authd: %s\n", auth.status().message().c_str());
        return 1;
    }
    options.pool_threads = args.threads > 0 ? args.threads : pool_threads(*config, log);
    // Threads would get RLIMIT_STACK (8 MB) of address space each: 30 of
    // them do not fit under vsz_limit (default_vsz_limit = 256M), and the
    // pool's threads need far less (crypt, PAM and SQL client calls).
    set_thread_stack_size(log);
    auto state = std::make_shared<authd::AuthdState>(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
    mailstore::log::set_process_title(service);

    options.service = service;
    options.on_reload = [state](const mailstore::config::Config& cfg) {
        mailstore::log::Logger log("auth");
        if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(cfg, "auth")); !st)
            log.errorf("Reload: logging not reconfigured: {}", st.message());
        auto fresh = mailstore::auth::Authenticator::create(cfg);
        if (!fresh) {
            log.errorf("Reload: keeping the previous passdb/userdb settings: {}", fresh.status().message());
            return;
        }
        state->replace(std::make_shared<const mailstore::auth::Authenticator>(std::move(*fresh)));
        log.info("Reload: new passdb/userdb settings in use");
    };
    loft::Protocol proto;
    proto.name = "auth";
    proto.serve = [state, service](std::shared_ptr<loft::Connection> conn) -> asio::awaitable<void> {
        if (speaks_master(conn->listener_name(), service))
            return authd::serve_master(std::move(conn), state);
        return authd::serve_client(std::move(conn), state);
    };
    proto.too_many_connections_line = "";
    proto.max_line_length_override = loft::authproto::kMaxLineLength;
    // Dovecot's auth server never drops an idle client: Postfix's smtpd and
    // the mail workers keep their connection for their whole life.
    proto.idle_timeout_override = std::chrono::hours(24);

    loft::Server server(std::move(*config), std::move(proto), std::move(options));
    if (auto st = server.start(); !st) {
        log.fatal(st.message());
        mailstore::log::flush();
        std::fprintf(stderr, "loft-authd: %s\n", st.message().c_str());
        return 1;
    }
    server.run();
    mailstore::log::flush();
    return 0;
}
