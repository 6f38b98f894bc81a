#include "lmtp_connection.hpp"

#include <cidr.hpp>

#include "lmtp_session.hpp"

#include <mailstore/log.hpp>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <pwd.h>
#include <string>
#include <unistd.h>

namespace lmtpd {

namespace {

using loft::Connection;
using loft::ReadStatus;
using mailstore::Status;
namespace auth = mailstore::auth;

// Bytes taken from the socket per read. The session bounds what it has not
// parsed yet (command lines); DATA and BDAT bytes go on to the spool file.
constexpr std::size_t kReadChunk = 64 * 1024;

// A userdb uid, numeric or a user name (as Dovecot's userdb allows).
std::optional<uid_t> parse_uid(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(text.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0')
        return static_cast<uid_t>(n);
    passwd pw{};
    passwd* found = nullptr;
    char buf[4096];
    if (getpwnam_r(text.c_str(), &pw, buf, sizeof buf, &found) == 0 && found)
        return found->pw_uid;
    return std::nullopt;
}

class UidCheckingUserdb final : public auth::LoginBackend {
public:
    UidCheckingUserdb(std::shared_ptr<auth::LoginBackend> inner, uid_t euid, ConfigSource config)
        : inner_(std::move(inner)), euid_(euid), config_(std::move(config)) {}

    std::vector<auth::MechanismInfo> mechanisms() const override { return {}; }
    mailstore::Result<std::unique_ptr<auth::SaslExchange>> begin(std::string_view, const auth::ClientInfo&) override {
        return Status::not_found("LMTP has no logins");
    }
    auth::AuthReply verify_plain(std::string_view, std::string_view, const auth::ClientInfo&) override {
        auth::AuthReply reply;
        reply.kind = auth::AuthReply::Kind::failure;
        return reply;
    }
    auth::LookupResult lookup_user(std::string_view user, const auth::ClientInfo& client) override {
        auth::LookupResult result = inner_->lookup_user(user, client);
        if (result.kind != auth::LookupResult::Kind::found)
            return result;
        const auto log = mailstore::log::Logger::session("lmtp", result.user, client.session_id);
        auto refuse = [](std::string error) {
            auth::LookupResult refused;
            refused.kind = auth::LookupResult::Kind::temporary_failure;
            refused.error = std::move(error);
            return refused;
        };
        // The uid the files would be written as: the userdb's, else
        // mail_uid, else this process's own (workers do not change uid).
        std::string source = "userdb lookup";
        std::optional<uid_t> uid;
        std::optional<std::string> uid_text = result.fields.get("uid");
        const std::shared_ptr<const mailstore::config::Config> config = config_ ? config_() : nullptr;
        if (!uid_text && config) {
            mailstore::config::LookupContext ctx;
            ctx.protocol = "lmtp";
            if (std::string mail_uid = config->get("mail_uid", ctx); !mail_uid.empty()) {
                uid_text = mail_uid;
                source = "mail_uid setting";
            }
        }
        if (uid_text) {
            uid = parse_uid(*uid_text);
            if (!uid) {
                log.errorf("Mail access for users with UID {} not permitted: no such user", *uid_text);
                return refuse("Mail access for users with UID " + *uid_text + " not permitted");
            }
        } else {
            uid = euid_;
            source = "process uid";
        }
        // Dovecot's first_valid_uid/last_valid_uid check, with its wording
        // (loft-lda's too): with the default first_valid_uid (500) neither
        // root nor a system account; uid 0 only where the admin set
        // first_valid_uid = 0. A userdb that names such a uid is a
        // configuration error, answered 451 4.3.0 so the mail waits while
        // the admin fixes it.
        const unsigned long n = static_cast<unsigned long>(*uid);
        const unsigned long first = config ? config->get_uint("first_valid_uid") : 500;
        const unsigned long last = config ? config->get_uint("last_valid_uid") : 0;
        if ((n == 0 && first != 0) || n < first || (last != 0 && n > last)) {
            const std::string message = "Mail access for users with UID " + std::to_string(n) +
                                        " not permitted (see first_valid_uid in config file, uid from " + source + ")";
            log.error(message);
            return refuse(message);
        }
        if (*uid != euid_) {
            log.errorf("Mail access for users with UID {} not permitted: this server runs as UID {} "
                       "(mail_uid) and delivers only to users of that UID",
                       n, static_cast<unsigned long>(euid_));
            return refuse("Mail access for users with UID " + std::to_string(n) + " not permitted");
        }
        return result;
    }

private:
    std::shared_ptr<auth::LoginBackend> inner_;
    uid_t euid_;
    ConfigSource config_;
};

// "127.0.0.1", or "local" for a unix-socket client, as Dovecot's
// "Connect from ..." line says.
std::string peer_name(const Connection& conn) { return conn.remote_ip().empty() ? "local" : conn.remote_ip(); }

asio::awaitable<bool> send_output(Connection& conn, Session& session) {
    while (session.has_output()) {
        std::string_view chunk = session.output_front();
        // write() copies the bytes before it may suspend.
        bool ok = co_await conn.write(chunk);
        session.output_consume(chunk.size());
        if (!ok)
            co_return false;
    }
    bool flushed = co_await conn.flush();
    co_return flushed;
}

class ConnectionLoop {
public:
    ConnectionLoop(std::shared_ptr<Connection> conn, std::shared_ptr<LmtpService> service)
        : conn_(std::move(conn)), service_(std::move(service)) {}

    asio::awaitable<void> run();

private:
    SessionOptions options();
    bool xclient_allowed(const mailstore::config::Config& config);

    std::shared_ptr<Connection> conn_;
    std::shared_ptr<LmtpService> service_;
};

bool ConnectionLoop::xclient_allowed(const mailstore::config::Config& config) {
    // XCLIENT sets the address and names the Received header shows, so
    // only a trusted client may send it. On the unix socket (mode 0666,
    // any local user can connect): root, this server's own uid, and the
    // users named by lmtp_xclient_trusted_users (Postfix's lmtp client
    // runs as "postfix"), told by the kernel (SO_PEERCRED). TCP clients
    // only from login_trusted_networks, as Dovecot.
    if (conn_->remote_ip().empty()) {
        const std::optional<uid_t> uid = conn_->peer_uid();
        if (!uid)
            return false;
        if (*uid == 0 || *uid == ::geteuid())
            return true;
        for (const std::string& name : config.get_list("lmtp_xclient_trusted_users"))
            if (auto trusted = parse_uid(name); trusted && *trusted == *uid)
                return true;
        return false;
    }
    loft::NetworkList trusted(config.get_list("login_trusted_networks"));
    return trusted.contains(conn_->remote_ip());
}

SessionOptions ConnectionLoop::options() {
    SessionOptions o;
    o.config = service_->server->config();
    o.client.service = "lmtp";
    o.client.remote_ip = conn_->remote_ip();
    o.client.local_ip = conn_->local_ip();
    o.client.remote_port = conn_->remote_port();
    o.client.local_port = conn_->local_port();
    o.client.secured = conn_->secured();
    o.client.session_id = conn_->session_id();
    o.userdb = service_->userdb;
    o.deliverer = service_->deliverer();
    o.xclient_allowed = xclient_allowed(*o.config);
    if (conn_->remote_ip().empty())
        o.xclient_refusal = "5.7.0 You are not a trusted local user";
    o.starttls_available = conn_->starttls_available();
    o.tls_active = conn_->tls_active();
    o.log = mailstore::log::Logger::session("lmtp", "", conn_->session_id());
    const std::uint64_t limit = o.config->get_uint("lmtp_user_concurrency_limit");
    // Called from Session::run() on a pool thread, one call at a time per
    // session; the service outlives every session (the connection holds
    // it). A connection delivers one message at a time, so two addresses
    // of one user in a transaction (alice+a, alice+b) count once: only
    // the first hold of a user takes a slot.
    auto service = service_;
    auto held = std::make_shared<std::map<std::string, std::size_t>>();
    o.acquire_user = [service, limit, held](const std::string& user) {
        auto it = held->find(user);
        if (it != held->end()) {
            ++it->second;
            return Status::ok();
        }
        Status st = service->acquire_user(user, limit);
        if (st)
            held->emplace(user, 1);
        return st;
    };
    o.release_user = [service, held](const std::string& user) {
        auto it = held->find(user);
        if (it == held->end())
            return;
        if (--it->second == 0) {
            held->erase(it);
            service->release_user(user);
        }
    };
    return o;
}

asio::awaitable<void> ConnectionLoop::run() {
    conn_->log().infof("Connect from {}", peer_name(*conn_));
    const std::string peer = peer_name(*conn_);
    Session session(options());
    session.start();
    std::string reason;
    for (;;) {
        Step step;
        bool overloaded = false;
        try {
            step = co_await conn_->pool().run([&session] { return session.run(); });
        } catch (const loft::BlockingPoolFull&) {
            overloaded = true;
        }
        if (overloaded) {
            // Nothing was acknowledged by this run(): the client retries.
            conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
            co_await conn_->write_line("421 4.3.2 Server is too busy, try again later");
            reason = "Server overloaded";
            break;
        }
        if (!co_await send_output(*conn_, session)) {
            reason = "Connection closed";
            break;
        }
        if (step.kind == Step::Kind::close) {
            reason = step.reason.empty() ? "Logged out" : step.reason;
            break;
        }
        if (step.kind == Step::Kind::flush)
            continue;
        if (step.kind == Step::Kind::starttls) {
            if (!co_await conn_->starttls()) {
                reason = "TLS handshake failed";
                break;
            }
            session.tls_started();
            continue;
        }
        conn_->release_buffers();
        std::string input;
        ReadStatus rs = co_await conn_->read_some(input, kReadChunk);
        if (rs == ReadStatus::ok) {
            session.feed(input);
            continue;
        }
        if (rs == ReadStatus::woken)
            continue; // nothing wakes an LMTP connection; read again
        if (rs == ReadStatus::timeout) {
            session.shutdown("Disconnected for inactivity");
            reason = "Disconnected for inactivity";
        } else if (rs == ReadStatus::shutdown) {
            session.shutdown("Server shutting down");
            reason = "Server shutting down";
        } else if (rs == ReadStatus::kicked) {
            session.shutdown("Disconnected by administrator");
            reason = "Disconnected by administrator";
        } else {
            // eof, error: a transaction in progress was not acknowledged,
            // so the client delivers it again.
            reason = "Connection closed";
            break;
        }
        // Let the session write its 421, then close.
        bool ran = true;
        try {
            co_await conn_->pool().run([&session] { return session.run(); });
        } catch (const loft::BlockingPoolFull&) {
            ran = false;
        }
        if (ran)
            co_await send_output(*conn_, session);
        break;
    }
    conn_->log().infof("Disconnect from {}: {}", peer, session.disconnect_text(reason));
}

} // namespace

std::shared_ptr<const mailstore::delivery::Deliverer> LmtpService::deliverer() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliverer_;
}

void LmtpService::set_deliverer(std::shared_ptr<const mailstore::delivery::Deliverer> deliverer) {
    std::lock_guard<std::mutex> lock(mutex_);
    deliverer_ = std::move(deliverer);
}

Status LmtpService::acquire_user(const std::string& user, std::uint64_t limit) {
    if (!users_.acquire(user, "", static_cast<std::size_t>(limit))) {
        mailstore::log::Logger::session("lmtp", user, "")
            .infof("Too many concurrent deliveries for user (lmtp_user_concurrency_limit={})", limit);
        return Status::error(Status::Code::temporary_failure, "Too many concurrent deliveries for user");
    }
    return Status::ok();
}

void LmtpService::release_user(const std::string& user) { users_.release(user, ""); }

std::shared_ptr<auth::LoginBackend> uid_checking_userdb(std::shared_ptr<auth::LoginBackend> inner, uid_t euid,
                                                       ConfigSource config) {
    return std::make_shared<UidCheckingUserdb>(std::move(inner), euid, std::move(config));
}

asio::awaitable<void> serve_connection(std::shared_ptr<Connection> conn, std::shared_ptr<LmtpService> service) {
    ConnectionLoop loop(std::move(conn), std::move(service));
    co_await loop.run();
}

} // namespace lmtpd
