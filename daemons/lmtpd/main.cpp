// loft-lmtpd: LMTP delivery (RFC 2033; docs/lmtp.md, docs/lmtpd.md). One
// lmtpd::Session per connection on the network runtime (daemons/common):
// the lmtp service's listeners (Dovecot's default: the unix socket
// base_dir/lmtp, mode 0666; inet listeners when configured).
//
//   loft-lmtpd -c CONFIG [--service NAME] [--threads N]
//
// Under loftd the sockets are inherited and the process already runs as the
// mail user; standalone it binds the listeners itself. Recipients are looked
// up through loft-authd's auth-userdb socket when there is one (LMTP needs
// no passwords), else through an in-process Authenticator built from the
// same config. One Deliverer (service "lmtp") serves every connection.
#include "lmtp_connection.hpp"

#include <daemon_config.hpp>
#include <login_backends.hpp>
#include <server.hpp>
#include <worker_args.hpp>

#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

// Deliveries and userdb lookups that may block at once (each delivery
// waits on fsync); more wait in the pool's queue. Enough for the 10
// parallel sessions an MTA typically opens, with room for lookups.
constexpr std::size_t kDefaultPoolThreads = 16;


// A Deliverer for `config`, or nullptr after logging why not.
std::shared_ptr<const mailstore::delivery::Deliverer>
make_deliverer(std::shared_ptr<const mailstore::config::Config> config, const mailstore::log::Logger& log) {
    auto deliverer = mailstore::delivery::Deliverer::create(std::move(config), "lmtp", mailstore::log::Logger("lmtp"));
    if (!deliverer) {
        log.errorf("Delivery settings: {}", deliverer.status().message());
        return nullptr;
    }
    return std::make_shared<const mailstore::delivery::Deliverer>(std::move(*deliverer));
}

} // namespace

int main(int argc, char** argv) {
    mailstore::log::init_process_title(argc, argv);
    loft::WorkerArgs args;
    args.service = "lmtp";
    args.threads = kDefaultPoolThreads;
    if (auto exit_code = loft::parse_worker_args(argc, argv, "loft-lmtpd", "The Loft LMTP delivery server", args))
        return *exit_code;
    const std::string& config_path = args.config_path;
    const std::string& service_name = args.service;
    const std::size_t threads = args.threads;
    auto config = loft::load_daemon_config(config_path, "lmtp", "loft-lmtpd");
    if (!config)
        return 1;
    mailstore::log::Logger log("lmtp");
    auto fail = [&log](const std::string& message) {
        log.fatal(message);
        mailstore::log::flush();
        std::fprintf(stderr, "loft-lmtpd: %s\n", message.c_str());
        return 1;
    };

    auto service = std::make_shared<lmtpd::LmtpService>();
    service->euid = ::geteuid();
    auto backend = loft::make_userdb_backend(*config, log);
    if (!backend)
        return fail(backend.status().message());
    std::weak_ptr<lmtpd::LmtpService> config_owner = service;
    service->userdb = lmtpd::uid_checking_userdb(
        std::move(*backend), service->euid, [config_owner]() -> std::shared_ptr<const mailstore::config::Config> {
            auto s = config_owner.lock();
            return s && s->server ? s->server->config() : nullptr;
        });
    auto deliverer = make_deliverer(std::make_shared<const mailstore::config::Config>(*config), log);
    if (!deliverer)
        return fail("the delivery settings are not valid (see the error above)");
    service->set_deliverer(std::move(deliverer));
    mailstore::log::set_process_title(service_name);

    loft::ServerOptions options;
    options.service = service_name;
    options.io_threads = 1;
    options.pool_threads = threads;
    options.pool_queue = 4096;
    std::weak_ptr<lmtpd::LmtpService> weak_service = service;
    options.on_reload = [weak_service](const mailstore::config::Config& cfg) {
        mailstore::log::Logger log("lmtp");
        if (auto st = mailstore::log::configure(mailstore::log::settings_from_config(cfg, "lmtp")); !st)
            log.errorf("Reload: logging not reconfigured: {}", st.message());
        // New transactions use the new delivery settings; one with a bad
        // setting keeps the old ones (logged), as a failed reload does.
        auto service = weak_service.lock();
        if (!service)
            return;
        if (auto d = make_deliverer(std::make_shared<const mailstore::config::Config>(cfg), log))
            service->set_deliverer(std::move(d));
        else
            log.error("Reload: delivery settings not changed");
    };
    loft::Protocol proto;
    proto.name = "lmtp";
    proto.serve = [service](std::shared_ptr<loft::Connection> conn) -> asio::awaitable<void> {
        return lmtpd::serve_connection(std::move(conn), service);
    };
    proto.too_many_connections_line = "421 4.7.0 Too many connections from your IP";

    loft::Server server(std::move(*config), std::move(proto), std::move(options));
    service->server = &server;
    if (auto st = server.start(); !st)
        return fail(st.message());
    server.run();
    service->server = nullptr;
    mailstore::log::flush();
    return 0;
}
