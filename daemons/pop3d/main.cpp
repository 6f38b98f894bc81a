// loft-pop3d: the POP3 server (docs/pop3d.md). One pop3proto::Session per
// connection on the network runtime (daemons/common): the pop3-login
// service's listeners (pop3: 110 with STLS, pop3s: 995 implicit TLS).
//
//   loft-pop3d -c CONFIG [--service NAME] [--threads N]
//
// Under loftd the sockets are inherited and the process already runs as the
// mail user; standalone it binds the listeners itself. Logins go through
// loft-authd's auth-login socket when it is reachable (workers cannot read
// shadow or PAM as the mail user), else through an in-process Authenticator
// built from the same config.
#include "pop3_connection.hpp"
#include <login_backends.hpp>

#include <daemon_config.hpp>
#include <server.hpp>
#include <worker_args.hpp>

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

// Storage and authentication calls that may block at once; more wait in
// the pool's queue.
constexpr std::size_t kDefaultPoolThreads = 8;


} // namespace

int main(int argc, char** argv) {
    mailstore::log::init_process_title(argc, argv);
    loft::WorkerArgs args;
    args.service = "pop3-login";
    args.threads = kDefaultPoolThreads;
    if (auto exit_code = loft::parse_worker_args(argc, argv, "loft-pop3d", "The Loft POP3 server", args))
        return *exit_code;
    const std::string& config_path = args.config_path;
    const std::string& service_name = args.service;
    const std::size_t threads = args.threads;
    auto config = loft::load_daemon_config(config_path, "pop3", "loft-pop3d");
    if (!config)
        return 1;
    mailstore::log::Logger log("pop3");

    auto service = std::make_shared<pop3d::Pop3Service>();
    service->euid = ::geteuid();
    auto backend = loft::make_login_backend(*config, log);
    if (!backend) {
        log.fatal(backend.status().message());
        mailstore::log::flush();
        std::fprintf(stderr, "loft-pop3d: %s\n", backend.status().message().c_str());
        return 1;
    }
    service->login = std::move(*backend);
    mailstore::log::set_process_title(service_name);

    loft::ServerOptions options;
    options.service = service_name;
    options.io_threads = 1;
    options.pool_threads = threads;
    options.pool_queue = 4096;
    options.on_reload = [](const mailstore::config::Config& cfg) {
        mailstore::log::Logger log("pop3");
        if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(cfg, "pop3")); !st)
            log.errorf("Reload: logging not reconfigured: {}", st.message());
    };
    loft::Protocol proto;
    proto.name = "pop3";
    proto.serve = [service](std::shared_ptr<loft::Connection> conn) -> asio::awaitable<void> {
        return pop3d::serve_connection(std::move(conn), service);
    };
    // RFC 2449 §8.1.2: SYS/TEMP marks a problem that may go away.
    proto.too_many_connections_line = "-ERR [SYS/TEMP] Too many connections from your IP";

    loft::Server server(std::move(*config), std::move(proto), std::move(options));
    service->server = &server;
    if (auto st = server.start(); !st) {
        log.fatal(st.message());
        mailstore::log::flush();
        std::fprintf(stderr, "loft-pop3d: %s\n", st.message().c_str());
        return 1;
    }
    server.run();
    service->server = nullptr;
    mailstore::log::flush();
    return 0;
}
