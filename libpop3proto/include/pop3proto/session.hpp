// One POP3 session (RFC 1939, 2449, 2595, 5034), sans I/O: the daemon (or a
// test, a fuzzer, an embedding program) feeds it the client's bytes and
// sends what it hands out, exactly as with imapproto::Session.
//
//   Session s(options);
//   s.start();                              // "+OK <greeting>"
//   for (;;) {
//       Step step = s.run();                // may block: storage, auth
//       send s.output_front() until !s.has_output() (output_consume())
//       switch (step.kind) { read: feed(bytes); starttls: ...; sleep: ...; close: ... }
//   }
//
// At login the session takes a snapshot of INBOX (RFC 1939 §5: messages
// that arrive later stay invisible until the next login), RETR/TOP stream
// the message from the mapped mail file with CRLF line ends and
// dot-stuffing, DELE only marks, and the deletions are applied when QUIT
// enters the UPDATE state; a connection that ends any other way deletes
// nothing.
//
// Threads: a Session is not thread-safe. run() blocks on storage and
// authentication, so a daemon calls it from a worker pool, one call at a
// time per session.
#pragma once

#include <pop3proto/export.hpp>

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace pop3proto {

struct POP3PROTO_API SessionOptions {
    // Settings (pop3_*, mail_*, namespaces, ...). Required.
    std::shared_ptr<const mailstore::config::Config> config;
    // Who is connected; `service` is "pop3".
    mailstore::auth::ClientInfo client;
    // TLS is active (port 995, or after STLS).
    bool tls_active = false;
    // STLS may be offered (TLS configured, not active yet).
    bool stls_available = false;
    // ssl = required: no USER/PASS/APOP/AUTH before TLS (secured clients
    // such as loopback excepted).
    bool ssl_required = false;
    // Checks logins. Required unless `preauth_user` is set.
    std::shared_ptr<mailstore::auth::LoginBackend> login;
    // Log in as this user at start (tests, the fuzzer, embedding programs).
    std::string preauth_user;
    // Called after authentication, before the mailbox is opened, with the
    // user name and the userdb fields; a non-ok status refuses the login
    // with "-ERR [SYS/TEMP] <message>" (temporary_failure) or
    // "-ERR [SYS/PERM] <message>" (anything else). The daemon checks the
    // userdb uid and mail_max_userip_connections here.
    std::function<mailstore::Status(const std::string& user, const mailstore::auth::FieldList& userdb)> on_login;
    // Longest command line accepted (RFC 2449 §4: 255 octets; SASL lines
    // longer).
    std::size_t max_line_length = 8192;
    // Step::flush when more than this many output bytes are waiting.
    std::size_t output_high_water = 256 * 1024;
    mailstore::log::Logger log{"pop3"};
};

struct Step {
    enum class Kind {
        read,     // feed() more input, then run() again
        flush,    // send the output, then run() again (backpressure)
        starttls, // send the output, do the TLS handshake, tls_started(), run() again
        sleep,    // send the output, wait `delay` (failed-login delay), run() again
        close,    // send the output, then close the connection
    };
    Kind kind = Kind::read;
    std::chrono::milliseconds delay{0};
    // close: why, for the log line ("Logged out", "Disconnected: Too many invalid commands", ...)
    std::string reason;
};

// RFC 1939 §3 states.
enum class SessionState { authorization, transaction, update, closed };

// Counters for pop3_logout_format (%t %p %r %b %d %m %s %i %o %u %v ...).
struct SessionStats {
    std::uint64_t bytes_in = 0, bytes_out = 0;
    std::uint64_t top_count = 0, top_bytes = 0;
    std::uint64_t retr_count = 0, retr_bytes = 0;
    std::uint64_t deleted_count = 0, deleted_bytes = 0; // messages really expunged at QUIT
    std::uint64_t message_count = 0, mailbox_size = 0;  // of the snapshot at login
};

class POP3PROTO_API Session {
public:
    explicit Session(SessionOptions options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Queues the greeting ("+OK <login_greeting>" with an APOP timestamp
    // when APOP is offered); with preauth_user logs in at once.
    void start();
    void feed(std::string_view bytes);
    // Works until it needs the daemon. May block.
    Step run();

    // --- output ---
    bool has_output() const;
    std::string_view output_front() const; // valid until output_consume() or run()
    void output_consume(std::size_t n);
    std::size_t output_pending() const;

    // The STLS handshake succeeded (input buffered before it was discarded
    // when run() returned Step::starttls).
    void tls_started();
    // The server is going away: "-ERR [SYS/TEMP] <text>"-free close, nothing
    // deleted; Step::close from run().
    void shutdown(std::string_view text);

    SessionState state() const;
    const std::string& username() const;
    const SessionStats& stats() const;
    // The pop3_logout_format line, variables expanded.
    std::string logout_line() const;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace pop3proto
