#include "pop3_connection.hpp"

#include <direct_io.hpp>

#include <login_tracker.hpp>

#include <pop3proto/session.hpp>

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <pwd.h>
#include <string>
#include <unistd.h>

namespace pop3d {

namespace {

using loft::Connection;
using loft::LoginTracker;
using loft::ReadStatus;
using mailstore::Status;
using pop3proto::Session;
using pop3proto::SessionState;
using pop3proto::Step;

// Bytes taken from the socket per read: the session buffers and bounds what
// it has not parsed yet (its max_line_length).
constexpr std::size_t kReadChunk = 64 * 1024;

// RFC 2449 §4: a command line is at most 255 octets; an AUTH response line
// (RFC 5034 §4) carries base64 of a SASL response, which may be longer.
// Dovecot accepts lines of a few kilobytes; so does Loft.
constexpr std::size_t kMaxLineLength = 8192;

// The (user, IP) slot of mail_max_userip_connections this connection holds.
struct UserSlot {
    std::string user;
    std::string ip;
    bool held = false;
};

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

std::string tls_text(const Connection& conn) {
    if (conn.tls_active())
        return "TLS, ";
    if (conn.secured())
        return "secured, ";
    return "";
}

long seconds_since(std::time_t since) { return static_cast<long>(std::time(nullptr) - since); }

// Before a successful login, Dovecot's pop3-login line for a client that
// goes away: "Disconnected (auth failed, 1 attempts in 2 secs): user=<x>,
// method=PLAIN, rip=..., lip=..., TLS, session=<...>".
void log_prelogin_end(const Connection& conn, const LoginTracker& tracker, const std::string& what) {
    std::string detail = tracker.attempts() == 0
                             ? "no auth attempts in " + std::to_string(seconds_since(conn.since())) + " secs"
                             : "auth failed, " + std::to_string(tracker.attempts()) + " attempts in " +
                                   std::to_string(seconds_since(conn.since())) + " secs";
    std::string method = tracker.last_mechanism().empty() ? "" : "method=" + tracker.last_mechanism() + ", ";
    mailstore::log::Logger("pop3-login")
        .infof("{} ({}): user=<{}>, {}rip={}, lip={}, {}session=<{}>", what, detail, tracker.last_user(), method,
               conn.remote_ip(), conn.local_ip(), tls_text(conn), conn.session_id());
}

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
    ConnectionLoop(std::shared_ptr<Connection> conn, std::shared_ptr<Pop3Service> service)
        : conn_(std::move(conn)),
          service_(std::move(service)),
          tracker_(std::make_shared<LoginTracker>(service_->login)),
          slot_(std::make_shared<UserSlot>()) {}
    // finish() releases the mail_max_userip_connections slot; this covers
    // the way around it (an exception out of run()), so a slot is never
    // held after its connection is gone.
    ~ConnectionLoop() { release_slot(); }
    ConnectionLoop(const ConnectionLoop&) = delete;
    ConnectionLoop& operator=(const ConnectionLoop&) = delete;

    asio::awaitable<void> run();

private:
    pop3proto::SessionOptions options();
    // One run() of the session on the blocking pool; logged in on a
    // plaintext socket, the job also writes the answers and reads the next
    // commands itself (direct_io.hpp).
    asio::awaitable<Step> run_session(Session& session);
    void after_run(Session& session);
    // Runs the session once more after shutdown() so it writes its last
    // line, and sends that line.
    asio::awaitable<void> say_goodbye(Session& session);
    void finish(Session& session, const std::string& reason);
    void release_slot();

    std::shared_ptr<Connection> conn_;
    std::shared_ptr<Pop3Service> service_;
    std::shared_ptr<LoginTracker> tracker_;
    std::shared_ptr<UserSlot> slot_;
    bool logged_in_ = false;
};

pop3proto::SessionOptions ConnectionLoop::options() {
    pop3proto::SessionOptions o;
    o.config = service_->server->config();
    o.client.service = "pop3";
    o.client.remote_ip = conn_->remote_ip();
    o.client.local_ip = conn_->local_ip();
    o.client.remote_port = conn_->remote_port();
    o.client.local_port = conn_->local_port();
    o.client.secured = conn_->secured();
    o.client.session_id = conn_->session_id();
    o.tls_active = conn_->tls_active();
    o.stls_available = conn_->starttls_available();
    o.ssl_required = conn_->ssl_required();
    o.login = tracker_;
    o.max_line_length = kMaxLineLength;
    o.log = mailstore::log::Logger::session("pop3", "", conn_->session_id());
    auto service = service_;
    auto slot = slot_;
    auto config = o.config;
    std::string ip = conn_->remote_ip();
    // Runs inside Session::run() (a pool thread), after authentication and
    // before the user's mailbox is opened.
    o.on_login = [service, slot, config, ip](const std::string& user,
                                             const mailstore::auth::FieldList& userdb) -> Status {
        if (auto uid_text = userdb.get("uid")) {
            auto uid = parse_uid(*uid_text);
            if (!uid || *uid != service->euid) {
                // Workers run as one user (mail_uid) and cannot switch to
                // another: Dovecot's "Mail access for users with UID n not
                // permitted" refusal, with the reason spelt out in the log.
                mailstore::log::Logger::session("pop3", user, "")
                    .errorf("Mail access for users with UID {} not permitted: this server runs as UID {} "
                            "(mail_uid) and serves only users of that UID",
                            *uid_text, static_cast<unsigned long>(service->euid));
                return Status::error(Status::Code::internal,
                                     "Internal error occurred. Refer to server log for more information.");
            }
        }
        std::uint64_t limit = config->get_uint("mail_max_userip_connections");
        if (slot->held && (slot->user != user || slot->ip != ip)) {
            service->userip.release(slot->user, slot->ip);
            slot->held = false;
        }
        if (!slot->held) {
            if (!service->userip.acquire(user, ip, static_cast<std::size_t>(limit))) {
                mailstore::log::Logger::session("pop3", user, "")
                    .infof("Maximum number of connections from user+IP exceeded "
                           "(mail_max_userip_connections={}), rip={}",
                           limit, ip);
                return Status::error(Status::Code::temporary_failure,
                                     "Maximum number of connections from user+IP exceeded "
                                     "(mail_max_userip_connections=" +
                                         std::to_string(limit) + ")");
            }
            slot->user = user;
            slot->ip = ip;
            slot->held = true;
        }
        return Status::ok();
    };
    return o;
}

asio::awaitable<Step> ConnectionLoop::run_session(Session& session) {
    // Pipelined commands are answered in order, each completely before the
    // next is read, and command lines are short: one small read at a time.
    loft::DirectIoOptions options;
    options.read_chunk = 16 * 1024;
    co_return co_await loft::run_on_pool(*conn_, session, logged_in_, options, [](Session&) { return false; });
}

void ConnectionLoop::after_run(Session& session) {
    if (logged_in_ || session.state() == SessionState::authorization || session.username().empty())
        return;
    logged_in_ = true;
    conn_->set_user(session.username());
    conn_->set_state("logged-in");
    std::string method = tracker_->last_mechanism().empty() ? "PLAIN" : tracker_->last_mechanism();
    mailstore::log::Logger("pop3-login")
        .infof("Login: user=<{}>, method={}, rip={}, lip={}, mpid={}, {}session=<{}>", session.username(), method,
               conn_->remote_ip(), conn_->local_ip(), static_cast<long>(::getpid()), tls_text(*conn_),
               conn_->session_id());
}

asio::awaitable<void> ConnectionLoop::say_goodbye(Session& session) {
    bool ran = true;
    try {
        Step last = co_await conn_->pool().run([&session] { return session.run(); });
        (void)last;
    } catch (const loft::BlockingPoolFull&) {
        ran = false;
    }
    if (ran) {
        bool sent = co_await send_output(*conn_, session);
        (void)sent;
    }
}

void ConnectionLoop::release_slot() {
    if (slot_->held) {
        service_->userip.release(slot_->user, slot_->ip);
        slot_->held = false;
    }
}

void ConnectionLoop::finish(Session& session, const std::string& reason) {
    release_slot();
    if (logged_in_) {
        // Dovecot's pop3(user) line: "Disconnected: Logged out top=0/0,
        // retr=1/1234, del=1/1, size=1234" (pop3_logout_format).
        std::string what = reason.rfind("Disconnected", 0) == 0 ? reason : "Disconnected: " + reason;
        std::string counters = session.logout_line();
        if (counters.empty())
            conn_->log().info(what);
        else
            conn_->log().infof("{} {}", what, counters);
    } else {
        log_prelogin_end(*conn_, *tracker_, reason);
    }
}

asio::awaitable<void> ConnectionLoop::run() {
    Session session(options());
    session.start();
    std::string reason;
    for (;;) {
        Step step;
        bool overloaded = false;
        try {
            step = co_await run_session(session);
        } catch (const loft::BlockingPoolFull&) {
            overloaded = true;
        }
        if (overloaded) {
            conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
            co_await conn_->write_line("-ERR [SYS/TEMP] Server is too busy, try again later.");
            co_await conn_->flush();
            reason = "Server overloaded";
            break;
        }
        after_run(session);
        if (conn_->kicked() && step.kind == Step::Kind::flush) {
            // Kicked while the job had the socket, mid-answer: the rest is
            // not sent (a client that stopped reading would hold the write
            // until the idle timeout).
            reason = logged_in_ ? "Disconnected by administrator" : "Disconnected: Kicked by administrator";
            break;
        }
        const bool sent = co_await send_output(*conn_, session);
        if (conn_->kicked() && (!sent || step.kind == Step::Kind::flush)) {
            // Kicked in the middle of an answer (a long RETR): no line can
            // be added to a multi-line answer, so the connection just ends;
            // not QUIT, so nothing is deleted (RFC 1939 §6).
            reason = logged_in_ ? "Disconnected by administrator" : "Disconnected: Kicked by administrator";
            break;
        }
        if (!sent) {
            reason = logged_in_ ? "Connection closed" : "Disconnected";
            break;
        }
        if (step.kind == Step::Kind::close) {
            reason = step.reason.empty() ? "Logged out" : step.reason;
            if (!logged_in_ && reason == "Logged out")
                reason = "Aborted login";
            break;
        }
        if (step.kind == Step::Kind::flush)
            continue;
        if (step.kind == Step::Kind::sleep) {
            // The failed-login delay (auth_failure_delay): the client waits
            // for the -ERR, the server only holds a timer.
            asio::steady_timer delay(conn_->executor(), step.delay);
            std::error_code ec;
            co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (step.kind == Step::Kind::starttls) {
            // RFC 2595 §4: bytes the client sent after STLS are discarded by
            // Connection::starttls(), never read as if they came through TLS.
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
            continue; // nothing wakes a POP3 connection; read again
        if (rs == ReadStatus::timeout) {
            // pop3_inactivity_timeout / login_inactivity_timeout.
            session.shutdown("Disconnected for inactivity.");
            reason = logged_in_ ? "Disconnected for inactivity" : "Disconnected: Inactivity";
        } else if (rs == ReadStatus::shutdown) {
            session.shutdown("Server shutting down.");
            reason = logged_in_ ? "Server shutting down." : "Disconnected: Shutting down";
        } else if (rs == ReadStatus::kicked) {
            session.shutdown("Disconnected by administrator");
            reason = logged_in_ ? "Disconnected by administrator" : "Disconnected: Kicked by administrator";
        } else {
            // eof, error: RFC 1939 §6 — no UPDATE state, nothing deleted.
            reason = logged_in_ ? "Connection closed" : "Disconnected";
            break;
        }
        co_await say_goodbye(session);
        break;
    }
    finish(session, reason);
}

} // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<Connection> conn, std::shared_ptr<Pop3Service> service) {
    ConnectionLoop loop(std::move(conn), std::move(service));
    co_await loop.run();
}

} // namespace pop3d
