#include "imap_connection.hpp"

#include <direct_io.hpp>
#include <login_tracker.hpp>

#include <imapproto/session.hpp>

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <pwd.h>
#include <string>
#include <unistd.h>

namespace imapd {

namespace {

using imapproto::Session;
using imapproto::SessionState;
using imapproto::Step;
using loft::Connection;
using loft::LoginTracker;
using loft::ReadStatus;
using mailstore::Status;

// Bytes taken from the socket per read: the session buffers and bounds
// what it has not parsed yet (imap_max_line_length, literal sizes).
constexpr std::size_t kReadChunk = 64 * 1024;

// What the change watcher and the IDLE keepalive timer tell a connection.
// Shared with their callbacks, which may outlive the connection's loop.
struct Wakeups {
    std::weak_ptr<Connection> conn;
    std::atomic<bool> changed{false}; // a watched mailbox changed
    std::atomic<bool> tick{false};    // imap_idle_notify_interval passed
    std::atomic<bool> hibernate{false}; // imap_hibernate_timeout passed in IDLE
    void wake() {
        if (auto c = conn.lock())
            c->wake();
    }
};

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

// Before a successful login, Dovecot's imap-login line for a client that
// goes away: "Disconnected (auth failed, 1 attempts in 2 secs): user=<x>,
// method=PLAIN, rip=..., lip=..., TLS, session=<...>".
void log_prelogin_end(const Connection& conn, const LoginTracker& tracker, const std::string& what) {
    std::string detail = tracker.attempts() == 0
                             ? "no auth attempts in " + std::to_string(seconds_since(conn.since())) + " secs"
                             : "auth failed, " + std::to_string(tracker.attempts()) + " attempts in " +
                                   std::to_string(seconds_since(conn.since())) + " secs";
    std::string method = tracker.last_mechanism().empty() ? "" : "method=" + tracker.last_mechanism() + ", ";
    mailstore::log::Logger("imap-login")
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

using WatchHandle = mailstore::storage::ChangeWatcher::Handle;

class ConnectionLoop {
public:
    ConnectionLoop(std::shared_ptr<Connection> conn, std::shared_ptr<ImapService> service)
        : conn_(std::move(conn)),
          service_(std::move(service)),
          tracker_(std::make_shared<LoginTracker>(service_->login)),
          slot_(std::make_shared<UserSlot>()),
          wakeups_(std::make_shared<Wakeups>()),
          tick_timer_(conn_->executor()),
          hibernate_timer_(conn_->executor()) {
        wakeups_->conn = conn_;
        mailstore::config::LookupContext lc;
        lc.protocol = "imap";
        lc.local_ip = conn_->local_ip();
        lc.remote_ip = conn_->remote_ip();
        hibernate_timeout_ = service_->server->config()->get_time("imap_hibernate_timeout", lc);
    }

    asio::awaitable<void> run();

private:
    imapproto::SessionOptions options();
    // One run() of the session on the pool; for a logged-in plaintext
    // session the job also reads and writes the socket (direct_io.hpp).
    asio::awaitable<Step> run_session(Session& session);
    void after_run(Session& session);
    // The watch registration and its release are filesystem calls
    // (inotify_add_watch/inotify_rm_watch, stat): they run on the blocking
    // pool, never on the I/O thread (DESIGN.md). false: the pool refused the
    // job (overloaded).
    asio::awaitable<bool> start_watch(Session& session);
    asio::awaitable<void> stop_watch();
    // NOTIFY (RFC 5465): the session's notify_watch_paths() are watched
    // while NOTIFY is in force, in every state, so notifications go out
    // while the client sends nothing. Sets `registered` when a new watch was
    // made (the caller runs the session once more: a change between its
    // last look and the registration is not lost). false: pool refused.
    asio::awaitable<bool> update_notify_watch(Session& session, bool& registered);
    asio::awaitable<void> stop_notify_watch();
    void arm_tick(Session& session);
    void arm_tick(std::chrono::milliseconds interval);
    void arm_hibernate();
    void cancel_hibernate();
    // imap_hibernate_timeout: the IDLE session becomes a record and is
    // freed (hibernate.cpp in libimapproto); restore() rebuilds it. false:
    // the pool refused the job (overloaded).
    asio::awaitable<bool> hibernate(std::unique_ptr<Session>& session);
    asio::awaitable<bool> restore(std::unique_ptr<Session>& session);
    asio::awaitable<void> finish(Session& session, const std::string& reason);

    std::shared_ptr<Connection> conn_;
    std::shared_ptr<ImapService> service_;
    std::shared_ptr<LoginTracker> tracker_;
    std::shared_ptr<UserSlot> slot_;
    std::shared_ptr<Wakeups> wakeups_;
    asio::steady_timer tick_timer_;
    bool tick_armed_ = false;
    asio::steady_timer hibernate_timer_;
    bool hibernate_armed_ = false;
    std::chrono::milliseconds hibernate_timeout_{0};
    // The hibernated session, while there is no Session.
    std::shared_ptr<imapproto::HibernatedSession> hibernated_;
    std::chrono::milliseconds hibernated_tick_interval_{0};
    std::optional<WatchHandle> watch_;
    std::uint64_t watched_generation_ = 0;
    bool pump_added_ = false;
    std::optional<WatchHandle> notify_watch_;
    std::uint64_t notify_watched_generation_ = 0;
    bool notify_pump_added_ = false;
    bool logged_in_ = false;
    bool idle_state_shown_ = false;
};

imapproto::SessionOptions ConnectionLoop::options() {
    imapproto::SessionOptions o;
    o.config = service_->server->config();
    o.client.service = "imap";
    o.client.remote_ip = conn_->remote_ip();
    o.client.local_ip = conn_->local_ip();
    o.client.remote_port = conn_->remote_port();
    o.client.local_port = conn_->local_port();
    o.client.secured = conn_->secured();
    o.client.session_id = conn_->session_id();
    o.tls_active = conn_->tls_active();
    o.starttls_available = conn_->starttls_available();
    o.ssl_required = conn_->ssl_required();
    o.login = tracker_;
    o.log = mailstore::log::Logger::session("imap", "", conn_->session_id());
    auto service = service_;
    auto slot = slot_;
    auto config = o.config;
    std::string ip = conn_->remote_ip();
    // Runs inside Session::run() (a pool thread), after authentication and
    // before the user's storage is opened.
    o.on_login = [service, slot, config, ip](const std::string& user,
                                             const mailstore::auth::FieldList& userdb) -> Status {
        if (auto uid_text = userdb.get("uid")) {
            auto uid = parse_uid(*uid_text);
            if (!uid || *uid != service->euid) {
                // Workers run as one user (mail_uid) and cannot switch to
                // another: Dovecot's "Mail access for users with UID n not
                // permitted" refusal, with the reason spelt out in the log.
                mailstore::log::Logger::session("imap", user, "")
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
                mailstore::log::Logger::session("imap", user, "")
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
    // IDLE and NOTIFY need the watches this coroutine keeps: the job hands
    // the connection back for them (and never starts while one is active).
    const bool direct = logged_in_ && !session.idling() && !session.notify_active();
    co_return co_await loft::run_on_pool(*conn_, session, direct, loft::DirectIoOptions{},
                                         [](Session& s) { return s.idling() || s.notify_active(); });
}

void ConnectionLoop::after_run(Session& session) {
    if (logged_in_ || session.state() == SessionState::not_authenticated || session.username().empty())
        return;
    logged_in_ = true;
    conn_->set_user(session.username());
    conn_->set_state("logged-in");
    mailstore::log::Logger("imap-login")
        .infof("Login: user=<{}>, method={}, rip={}, lip={}, mpid={}, {}session=<{}>", session.username(),
               session.login_mechanism(), conn_->remote_ip(), conn_->local_ip(), static_cast<long>(::getpid()),
               tls_text(*conn_), conn_->session_id());
}

asio::awaitable<bool> ConnectionLoop::start_watch(Session& session) {
    // The session is not running (run() returned idle), so reading its
    // selection here and handing the mailbox to the pool is race-free: the
    // next run() only starts after this returns.
    const mailstore::storage::Mailbox* mailbox = session.selected_mailbox();
    if (!mailbox) {
        co_await stop_watch();
        co_return true;
    }
    if (watch_ && watched_generation_ == session.selection_generation())
        co_return true;
    auto wakeups = wakeups_;
    // The old watch (another mailbox) is released on the pool too, before
    // the new one is made. The coroutine frame, and with it the session,
    // lives until the job's completion is delivered, so `mailbox` stays
    // valid while the job runs, even if the client goes away meanwhile.
    // A refused job is destroyed at once, releasing `old` here: only
    // under overload.
    std::optional<WatchHandle> old = std::move(watch_);
    watch_.reset();
    auto job = [old = std::move(old), mailbox, wakeups]() mutable {
        old.reset();
        return mailstore::storage::ChangeWatcher::instance().watch(*mailbox, [wakeups] {
            wakeups->changed = true;
            wakeups->wake();
        });
    };
    bool refused = false;
    try {
        // Assigned as soon as the coroutine resumes: a connection closing
        // meanwhile still finds the handle in watch_ and releases it.
        watch_.emplace(co_await conn_->pool().run(std::move(job)));
    } catch (const loft::BlockingPoolFull&) {
        refused = true;
    }
    if (refused)
        co_return false;
    watched_generation_ = session.selection_generation();
    if (!pump_added_) {
        asio::io_context& io = static_cast<asio::io_context&>(conn_->executor().get_inner_executor().context());
        service_->pump.add(io);
        pump_added_ = true;
    }
    // A change between the session's own sync and the registration would go
    // unnoticed until the next one: the caller runs the session once more,
    // which syncs (IDLE sends updates on wake()) now that the watch exists.
    session.wake();
    co_return true;
}

asio::awaitable<void> ConnectionLoop::stop_watch() {
    if (watch_) {
        auto job = [old = std::move(watch_)]() mutable { old.reset(); };
        watch_.reset();
        try {
            co_await conn_->pool().run(std::move(job));
        } catch (const loft::BlockingPoolFull&) {
            // Refused (overloaded or stopping): the job, and the handle in
            // it, was destroyed on this thread; nothing leaks.
        }
    }
    if (pump_added_) {
        service_->pump.remove();
        pump_added_ = false;
    }
}

asio::awaitable<bool> ConnectionLoop::update_notify_watch(Session& session, bool& registered) {
    registered = false;
    if (!session.notify_active()) {
        co_await stop_notify_watch();
        co_return true;
    }
    if (notify_watch_ && notify_watched_generation_ == session.notify_generation())
        co_return true;
    // The session is not running: reading its paths here is race-free.
    std::vector<std::string> paths = session.notify_watch_paths();
    std::uint64_t generation = session.notify_generation();
    auto wakeups = wakeups_;
    std::optional<WatchHandle> old = std::move(notify_watch_);
    notify_watch_.reset();
    auto job = [old = std::move(old), paths = std::move(paths), wakeups]() mutable {
        old.reset();
        return mailstore::storage::ChangeWatcher::instance().watch_paths(paths, [wakeups] {
            wakeups->changed = true;
            wakeups->wake();
        });
    };
    bool refused = false;
    try {
        notify_watch_.emplace(co_await conn_->pool().run(std::move(job)));
    } catch (const loft::BlockingPoolFull&) {
        refused = true;
    }
    if (refused)
        co_return false;
    notify_watched_generation_ = generation;
    if (!notify_pump_added_) {
        asio::io_context& io = static_cast<asio::io_context&>(conn_->executor().get_inner_executor().context());
        service_->pump.add(io);
        notify_pump_added_ = true;
    }
    session.wake();
    registered = true;
    co_return true;
}

asio::awaitable<void> ConnectionLoop::stop_notify_watch() {
    if (notify_watch_) {
        auto job = [old = std::move(notify_watch_)]() mutable { old.reset(); };
        notify_watch_.reset();
        try {
            co_await conn_->pool().run(std::move(job));
        } catch (const loft::BlockingPoolFull&) {
            // Refused: the job, and the handle in it, was destroyed here.
        }
    }
    if (notify_pump_added_) {
        service_->pump.remove();
        notify_pump_added_ = false;
    }
}

void ConnectionLoop::arm_tick(Session& session) { arm_tick(session.idle_notify_interval()); }

void ConnectionLoop::arm_hibernate() {
    if (hibernate_armed_ || hibernate_timeout_.count() <= 0)
        return;
    hibernate_armed_ = true;
    hibernate_timer_.expires_after(hibernate_timeout_);
    auto wakeups = wakeups_;
    hibernate_timer_.async_wait([wakeups](const std::error_code& ec) {
        if (ec)
            return;
        wakeups->hibernate = true;
        wakeups->wake();
    });
}

void ConnectionLoop::cancel_hibernate() {
    if (!hibernate_armed_)
        return;
    hibernate_timer_.cancel();
    hibernate_armed_ = false;
    wakeups_->hibernate = false;
}

asio::awaitable<bool> ConnectionLoop::hibernate(std::unique_ptr<Session>& session) {
    // Closing the mailbox and the user is file I/O: on the pool. The
    // session is not running, so handing it to the job is race-free.
    std::shared_ptr<imapproto::HibernatedSession> record;
    try {
        Session* s = session.get();
        record = co_await conn_->pool().run([s] { return s->hibernate(); });
    } catch (const loft::BlockingPoolFull&) {
        co_return false;
    }
    hibernated_tick_interval_ = session->idle_notify_interval();
    hibernated_ = std::move(record);
    session.reset();
    conn_->log().debug("IDLE session hibernated");
    co_return true;
}

asio::awaitable<bool> ConnectionLoop::restore(std::unique_ptr<Session>& session) {
    auto fresh = std::make_unique<Session>(options());
    try {
        Session* s = fresh.get();
        imapproto::HibernatedSession* record = hibernated_.get();
        co_await conn_->pool().run([s, record] { s->restore(*record); });
    } catch (const loft::BlockingPoolFull&) {
        co_return false;
    }
    hibernated_.reset();
    session = std::move(fresh);
    conn_->log().debug("IDLE session restored from hibernation");
    co_return true;
}

void ConnectionLoop::arm_tick(std::chrono::milliseconds interval) {
    if (tick_armed_)
        return;
    if (interval.count() <= 0)
        return;
    tick_armed_ = true;
    tick_timer_.expires_after(interval);
    auto wakeups = wakeups_;
    tick_timer_.async_wait([wakeups](const std::error_code& ec) {
        if (ec)
            return;
        wakeups->tick = true;
        wakeups->wake();
    });
}

asio::awaitable<void> ConnectionLoop::finish(Session& session, const std::string& reason) {
    co_await stop_watch();
    co_await stop_notify_watch();
    tick_timer_.cancel();
    cancel_hibernate();
    if (slot_->held) {
        service_->userip.release(slot_->user, slot_->ip);
        slot_->held = false;
    }
    if (logged_in_) {
        std::string what = reason.rfind("Disconnected", 0) == 0 ? reason : "Disconnected: " + reason;
        conn_->log().infof("{} {}", what, session.logout_stats());
    } else {
        log_prelogin_end(*conn_, *tracker_, reason);
    }
}

asio::awaitable<void> ConnectionLoop::run() {
    // Null while the session is hibernated (hibernated_ holds its record).
    auto session = std::make_unique<Session>(options());
    session->start();
    std::string reason;
    bool need_run = true;
    for (;;) {
        Step step;
        if (need_run) {
            if (wakeups_->tick.exchange(false)) {
                tick_armed_ = false;
                session->tick();
            }
            bool overloaded = false;
            try {
                step = co_await run_session(*session);
            } catch (const loft::BlockingPoolFull&) {
                overloaded = true;
            }
            if (overloaded) {
                conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
                co_await conn_->write_line("* BYE Server is too busy, try again later.");
                reason = "Server overloaded";
                break;
            }
            after_run(*session);
            bool sent = co_await send_output(*conn_, *session);
            if (!sent) {
                reason = logged_in_ ? "Connection closed" : "Disconnected";
                break;
            }
        } else {
            step.kind = !session || session->idling() ? Step::Kind::idle : Step::Kind::read;
        }
        const bool session_ran = need_run;
        need_run = true;

        if (step.kind == Step::Kind::close) {
            reason = step.reason.empty() ? "Logged out" : step.reason;
            if (!logged_in_ && reason == "Logged out")
                reason = "Aborted login";
            break;
        }
        if (step.kind == Step::Kind::flush)
            continue;
        if (step.kind == Step::Kind::sleep) {
            asio::steady_timer delay(conn_->executor(), step.delay);
            std::error_code ec;
            co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (step.kind == Step::Kind::starttls) {
            bool ok = co_await conn_->starttls();
            if (!ok) {
                reason = "TLS handshake failed";
                break;
            }
            session->tls_started();
            continue;
        }
        const bool idle = step.kind == Step::Kind::idle;
        if (session_ran) {
            bool registered = false;
            if (!co_await update_notify_watch(*session, registered)) {
                conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
                co_await conn_->write_line("* BYE Server is too busy, try again later.");
                reason = "Server overloaded";
                break;
            }
            if (registered)
                continue; // run() once more: the session looks for changes
        }
        if (idle && session) {
            if (!idle_state_shown_) {
                conn_->set_state("IDLE");
                idle_state_shown_ = true;
            }
            std::uint64_t before = watched_generation_;
            bool had_watch = watch_.has_value();
            bool watched = co_await start_watch(*session);
            if (!watched) {
                conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
                co_await conn_->write_line("* BYE Server is too busy, try again later.");
                reason = "Server overloaded";
                break;
            }
            if (watch_ && (!had_watch || before != watched_generation_))
                continue; // run() once more: the session looks for changes
            arm_tick(*session);
            // A NOTIFY session never hibernates: no timer to wake it for
            // nothing.
            if (!session->notify_active())
                arm_hibernate();
        } else if (!idle) {
            if (idle_state_shown_) {
                conn_->set_state(logged_in_ ? "logged-in" : "pre-login");
                idle_state_shown_ = false;
            }
            if (watch_)
                co_await stop_watch();
            if (tick_armed_) {
                tick_timer_.cancel();
                tick_armed_ = false;
                wakeups_->tick = false;
            }
            cancel_hibernate();
        }
        conn_->release_buffers();
        std::string input;
        // IDLE has no inactivity timeout: the keepalive ("* OK Still here")
        // is the server's business (RFC 2177 asks clients to re-issue IDLE
        // at least every 29 minutes).
        ReadStatus rs = co_await conn_->read_some(input, kReadChunk, !idle);
        if (!session) {
            // Hibernated. The keepalive needs no session: the connection
            // writes it and stays hibernated.
            if (rs == ReadStatus::woken && wakeups_->tick.load() && !wakeups_->changed.load()) {
                wakeups_->tick = false;
                tick_armed_ = false;
                wakeups_->hibernate = false;
                if (!co_await conn_->write_line("* OK Still here")) {
                    reason = "Connection closed (IDLE)";
                    co_await restore(session);
                    break;
                }
                arm_tick(hibernated_tick_interval_);
                need_run = false;
                continue;
            }
            // Anything else (input, a change, a kick, the client leaving)
            // is handled by the rebuilt session, exactly as without
            // hibernation.
            wakeups_->hibernate = false;
            if (!co_await restore(session)) {
                conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
                co_await conn_->write_line("* BYE Server is too busy, try again later.");
                reason = "Server overloaded";
                break;
            }
            if (rs == ReadStatus::woken) {
                // restore() already told the client what changed.
                wakeups_->changed = false;
                continue;
            }
        }
        if (rs == ReadStatus::ok) {
            session->feed(input);
            continue;
        }
        if (rs == ReadStatus::woken) {
            if (!idle && notify_watch_ && wakeups_->changed.exchange(false)) {
                // NOTIFY: the session sends what changed now (RFC 5465 §1).
                session->wake();
                continue;
            }
            if (!idle) {
                // Nothing to tell a client that is not idling: updates wait
                // for its next command (RFC 3501 §7.4.1 / §5.2).
                wakeups_->changed = false;
                need_run = false;
                continue;
            }
            if (wakeups_->hibernate.exchange(false)) {
                hibernate_armed_ = false;
                if (!wakeups_->changed.load() && !wakeups_->tick.load() && session->can_hibernate()) {
                    if (!co_await hibernate(session)) {
                        conn_->log().error("Disconnected: the blocking pool queue is full (server overloaded)");
                        co_await conn_->write_line("* BYE Server is too busy, try again later.");
                        reason = "Server overloaded";
                        break;
                    }
                    need_run = false;
                    continue;
                }
            }
            if (wakeups_->changed.exchange(false))
                session->wake();
            continue;
        }
        if (rs == ReadStatus::timeout) {
            // Dovecot's autologout (RFC 3501 §5.4).
            session->shutdown("Disconnected for inactivity.");
            reason = logged_in_ ? "Disconnected for inactivity" : "Disconnected: Inactivity";
        } else if (rs == ReadStatus::shutdown) {
            session->shutdown("Server shutting down.");
            reason = logged_in_ ? "Server shutting down." : "Disconnected: Shutting down";
        } else if (rs == ReadStatus::kicked) {
            session->shutdown("Disconnected by administrator");
            reason = logged_in_ ? "Disconnected by administrator" : "Disconnected: Kicked by administrator";
        } else {
            // eof, error
            reason = logged_in_ ? "Connection closed" : "Disconnected";
            if (idle)
                reason += " (IDLE)";
            break;
        }
        // Let the session write its BYE, then close.
        Step last;
        bool ran = true;
        try {
            Session* s = session.get();
            last = co_await conn_->pool().run([s] { return s->run(); });
        } catch (const loft::BlockingPoolFull&) {
            ran = false;
        }
        (void)last;
        if (ran) {
            bool sent = co_await send_output(*conn_, *session);
            (void)sent;
        }
        break;
    }
    if (!session) {
        // Hibernated and the restore was refused: the record still has
        // what the log line needs.
        session = std::make_unique<Session>(options());
    }
    co_await finish(*session, reason);
}

} // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<Connection> conn, std::shared_ptr<ImapService> service) {
    ConnectionLoop loop(std::move(conn), std::move(service));
    co_await loop.run();
}

} // namespace imapd
