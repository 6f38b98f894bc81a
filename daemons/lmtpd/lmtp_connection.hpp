// One LMTP connection: an lmtpd::Session driven by a coroutine on the
// connection's strand. The session is sans-I/O and its run() blocks on
// userdb lookups and deliveries (fsync), so every run() goes to the blocking
// pool, one call at a time; output goes out through Connection::write with
// its backpressure (docs/lmtpd.md).
#pragma once

#include <user_limits.hpp>

#include <connection.hpp>
#include <server.hpp>

#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/status.hpp>

#include <asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>

namespace lmtpd {

// What every connection of the process shares. Deliveries run in parallel:
// nothing here is locked around a delivery, only around swapping or
// counting (the Deliverer is thread-safe).
class LmtpService {
public:
    loft::Server* server = nullptr; // set before Server::start()
    // Recipient lookups: loft-authd's auth-userdb socket, or an in-process
    // Authenticator (main.cpp decides at start).
    std::shared_ptr<mailstore::auth::LoginBackend> userdb;
    uid_t euid = 0; // the only uid a userdb may give (workers run as one user)

    // The Deliverer of the current config; replaced after a reload, while
    // deliveries in flight keep the one they started with.
    std::shared_ptr<const mailstore::delivery::Deliverer> deliverer() const;
    void set_deliverer(std::shared_ptr<const mailstore::delivery::Deliverer> deliverer);

    // lmtp_user_concurrency_limit: deliveries to one user at once in this
    // process (Dovecot counts them server-wide; Loft per worker process, as
    // mail_max_userip_connections). 0: no limit.
    mailstore::Status acquire_user(const std::string& user, std::uint64_t limit);
    void release_user(const std::string& user);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const mailstore::delivery::Deliverer> deliverer_;
    loft::UserIpLimits users_; // keyed by user, with an empty IP
};

// The current config (after a reload, the new one); nullptr before the
// server has one.
using ConfigSource = std::function<std::shared_ptr<const mailstore::config::Config>()>;

// A LoginBackend that refuses recipients whose uid (the userdb's, else
// mail_uid, else the process's) is 0, outside first_valid_uid ..
// last_valid_uid, or not this process's: a worker runs as one mail user and
// cannot write another uid's Maildir (Dovecot's "Mail access for users with
// UID n not permitted"). Such a recipient is a temporary failure
// (451 4.3.0): the admin fixes the userdb or mail_uid, the mail waits in
// the client's queue meanwhile.
std::shared_ptr<mailstore::auth::LoginBackend> uid_checking_userdb(std::shared_ptr<mailstore::auth::LoginBackend> inner,
                                                                   uid_t euid, ConfigSource config);

asio::awaitable<void> serve_connection(std::shared_ptr<loft::Connection> conn, std::shared_ptr<LmtpService> service);

} // namespace lmtpd
