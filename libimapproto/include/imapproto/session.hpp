// One IMAP session, sans I/O: the daemon (or a test, a fuzzer, an embedding
// program) feeds it the client's bytes and sends what it hands out. The
// session parses commands, runs them in order against the user's storage
// and says through Step what it needs next.
//
//   Session s(options);
//   s.start();                              // greeting
//   for (;;) {
//       Step step = s.run();                // may block: storage, auth
//       send s.output_front() until !s.has_output() (output_consume())
//       switch (step.kind) { read: feed(bytes); idle: feed or wake(); ... }
//   }
//
// Threads: a Session is not thread-safe. run() blocks on storage and
// authentication, so a daemon calls it from a worker pool, one call at a
// time per session; wake() alone may be called from any thread.
//
// Output is streamed: run() returns Step::flush when more than
// `output_high_water` bytes are waiting, and continues where it stopped on
// the next call (a FETCH of many or big messages never builds its whole
// answer in memory; bodies are handed out as views of the mapped message
// file). With COMPRESS=DEFLATE active, feed() takes compressed bytes and the
// output is compressed.
#pragma once

#include <imapproto/command_parser.hpp>
#include <imapproto/export.hpp>
#include <imapproto/login_backend.hpp>

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {
class Mailbox;
class User;
} // namespace mailstore::storage

namespace imapproto {

struct IMAPPROTO_API SessionOptions {
    // Settings (imap_*, mail_*, namespaces, ...). Required.
    std::shared_ptr<const mailstore::config::Config> config;
    // Who is connected (remote/local address and port, secured, session
    // id); `service` is "imap".
    mailstore::auth::ClientInfo client;
    // TLS is active (implicit TLS port, or after STARTTLS).
    bool tls_active = false;
    // STARTTLS may be offered (TLS configured, not active yet).
    bool starttls_available = false;
    // ssl = required: no authentication of any kind before TLS (loopback
    // clients excepted, as `secured` says).
    bool ssl_required = false;
    // Checks logins. Required unless `preauth_user` is set.
    std::shared_ptr<LoginBackend> login;
    // Log in as this user at start (PREAUTH greeting): embedding programs
    // that authenticated the user themselves, tests and the fuzzer.
    std::string preauth_user;
    // Called after authentication, before the user's storage is opened,
    // with the user name and the userdb fields. A non-ok status refuses the
    // login with its message (e.g. the daemon's check that the userdb uid
    // is the one it runs as, or mail_max_userip_connections). The code picks
    // the response code: temporary_failure (a limit that lifts when another
    // session ends) answers NO [LIMIT], anything else NO [UNAVAILABLE].
    std::function<mailstore::Status(const std::string& user, const mailstore::auth::FieldList& userdb)> on_login;
    // Parser bounds; defaults from the config (imap_max_line_length, ...)
    // are applied over these by the Session constructor.
    ParserLimits limits;
    // Step::flush when more than this many output bytes are waiting.
    std::size_t output_high_water = 256 * 1024;
    mailstore::log::Logger log{"imap"};
};

struct Step {
    enum class Kind {
        read,     // feed() more input, then run() again
        idle,     // IDLE: feed() input, or wake() on a mailbox change or tick() on the keepalive timer, then run()
        flush,    // send the output, then run() again (backpressure)
        starttls, // send the output, do the TLS handshake, tls_started(), run() again
        sleep,    // send the output, wait `delay` (failed-login delay), run() again
        close,    // send the output, then close the connection
    };
    Kind kind = Kind::read;
    std::chrono::milliseconds delay{0};
    // close: why (for the log line: "Logged out", "Too many invalid commands", ...)
    std::string reason;
};

enum class SessionState { not_authenticated, authenticated, selected, logout };

// An IDLE session reduced to what it needs to come back (session/hibernate.cpp):
// the user's name and userdb fields, the IDLE tag, the enabled extensions,
// the counters, and for the selected mailbox its name, UIDVALIDITY and the
// client's view of it (UIDs as ranges, the highest modseq it was told, the
// keywords it knows). Opaque; Session::hibernate() makes one and
// Session::restore() takes it.
struct HibernatedSession;

// Counters for the logout log line (imap_logout_format) and loftadm who.
struct SessionStats {
    std::uint64_t bytes_in = 0;  // before decompression
    std::uint64_t bytes_out = 0; // after compression
    std::uint64_t deleted = 0;   // messages marked \Deleted
    std::uint64_t expunged = 0;
    std::uint64_t trashed = 0;   // copied or moved to the \Trash mailbox
    std::uint64_t fetch_hdr_count = 0, fetch_hdr_bytes = 0;
    std::uint64_t fetch_body_count = 0, fetch_body_bytes = 0;
    std::uint64_t autoexpunged = 0;
};

class IMAPPROTO_API Session {
public:
    explicit Session(SessionOptions options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Queues the greeting ("* OK [CAPABILITY ...] <login_greeting>", or
    // "* PREAUTH ..." after logging in preauth_user; a failed preauth gives
    // "* BYE" and Step::close from run()).
    void start();

    // Bytes from the client (compressed ones once COMPRESS is active).
    void feed(std::string_view bytes);

    // Works until it needs the daemon: parses and runs commands, sends
    // mailbox updates. May block.
    Step run();

    // --- output ---
    bool has_output() const;
    // The next bytes to send; valid until output_consume() or run().
    std::string_view output_front() const;
    void output_consume(std::size_t n);
    std::size_t output_pending() const;

    // The STARTTLS handshake succeeded. Input buffered before it was
    // discarded by the session when it returned Step::starttls.
    void tls_started();
    // The selected mailbox changed (a ChangeWatcher callback). Thread-safe.
    void wake();
    // imap_idle_notify_interval passed during IDLE: "* OK Still here".
    void tick();
    // The server is going away (shutdown, kick): "* BYE <text>", then
    // Step::close from run().
    void shutdown(std::string_view text);

    // --- for the daemon ---
    SessionState state() const;
    // The logged-in user's name ("" before login).
    const std::string& username() const;
    // The selected mailbox (to watch for changes), nullptr when none. Its
    // identity changes only inside run(); compare selection_generation()
    // after each run() to know when to re-register a watch.
    const mailstore::storage::Mailbox* selected_mailbox() const;
    std::uint64_t selection_generation() const;
    // IDLE is running: the daemon should wake() on changes and tick()
    // every idle_notify_interval().
    bool idling() const;
    std::chrono::milliseconds idle_notify_interval() const;
    // NOTIFY (RFC 5465) is in force: the client wants notifications while
    // it sends no command, not only in IDLE. The daemon then watches
    // notify_watch_paths() also while waiting for input (Step::read), calls
    // wake() when one changes and run() again: the session sends what
    // changed (unsolicited STATUS, LIST, and the selected mailbox's updates
    // when the client asked for them) and returns Step::read.
    bool notify_active() const;
    // The paths to watch for NOTIFY (the watched mailboxes' and the mailbox
    // root's; the selected mailbox's when it is watched too); empty when
    // NOTIFY is not in force. Changes only inside run(): compare
    // notify_generation() after each run() to know when to re-register.
    std::vector<std::string> notify_watch_paths() const;
    std::uint64_t notify_generation() const;
    const SessionStats& stats() const;
    // imap_logout_format expanded with the counters.
    std::string logout_stats() const;
    // The authentication mechanism used, for the login log line.
    const std::string& login_mechanism() const;

    // --- hibernation (imap_hibernate_timeout) ---
    // Whether hibernate() may be called now: IDLE is running, nothing is
    // buffered in either direction, and the session holds nothing the record
    // does not keep (COMPRESS, NOTIFY, ESEARCH UPDATE contexts, \Recent
    // messages it claimed).
    bool can_hibernate() const;
    // Moves the session's state into a record and closes its mailbox and
    // user (file I/O: may block). The session must then be destroyed.
    std::shared_ptr<HibernatedSession> hibernate();
    // Makes this new session (constructed with the connection's options,
    // start() not called) the hibernated one again: reopens the user from
    // the recorded userdb fields (no new lookup, on_login is not called) and
    // the mailbox, queues what changed meanwhile (EXPUNGE or VANISHED,
    // FLAGS, EXISTS, RECENT, FETCH FLAGS of messages changed since the
    // recorded modseq) and leaves IDLE running under the recorded tag. A
    // mailbox that was deleted or recreated meanwhile gets the "* BYE" a
    // running session gets. May block.
    void restore(const HibernatedSession& record);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace imapproto
