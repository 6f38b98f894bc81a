// One LMTP session (RFC 2033 over RFC 5321), sans I/O: loft-lmtpd feeds it
// the client's bytes and sends what it hands out; unit tests and the fuzzer
// drive it directly. The same shape as imapproto::Session.
//
//   Session s(options);
//   s.start();                              // "220 <hostname> <login_greeting>"
//   for (;;) {
//       Step step = s.run();                // may block: userdb lookups, delivery
//       send s.output_front() until !s.has_output() (output_consume())
//       switch (step.kind) { read: feed(bytes); starttls: ...; close: ... }
//   }
//
// RCPT TO looks the user up through the LoginBackend (250, 550 5.1.1 when
// the userdb says no such user, 451 4.3.0 when it cannot answer); DATA and
// BDAT are written to a delivery::Spool as they arrive (never held whole in
// memory) and, at the end of the data, handed to the Deliverer, then one
// reply per accepted recipient is sent, each only after its copy is
// durable.
//
// Replies, codes, limits and XCLIENT: docs/lmtp.md. The bounds not given
// in SessionOptions come from the config (lmtp_max_mail_size,
// lmtp_max_recipients, hostname, login_greeting, mail_temp_dir, looked up
// for protocol "lmtp"). The session id in options.client.session_id names
// the transactions ("<id>", "<id>:T2", ...); without one the engine makes
// a Dovecot-style id.
//
// Threads: not thread-safe; run() blocks, so the daemon calls it from its
// blocking pool, one call at a time per session.
#pragma once

#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>
#include <mailstore/storage/limits.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace lmtpd {

struct SessionOptions {
    std::shared_ptr<const mailstore::config::Config> config; // required
    mailstore::auth::ClientInfo client;                     // service "lmtp"
    // Looks recipients up (lookup_user only). Required.
    std::shared_ptr<mailstore::auth::LoginBackend> userdb;
    // Saves the messages. Required.
    std::shared_ptr<const mailstore::delivery::Deliverer> deliverer;
    // The client may use XCLIENT: a TCP client in login_trusted_networks,
    // a unix-socket client whose uid is root, the server's or one of
    // lmtp_xclient_trusted_users (the daemon decides).
    bool xclient_allowed = false;
    // The 550 reply's text when it may not (Dovecot's for TCP clients).
    std::string xclient_refusal = "5.7.14 You are not from trusted IP";
    // STARTTLS may be offered (ssl configured for the lmtp service).
    bool starttls_available = false;
    bool tls_active = false;
    // Longest command line (RFC 5321 §4.5.3.1.4: 512; Loft allows more
    // for long addresses with parameters).
    std::size_t max_line_length = 4096;
    // Recipients accepted per transaction; more get "452 4.5.3 Too many
    // recipients" (RFC 5321 §4.5.3.1.8), which the client retries later.
    std::size_t max_recipients = 0;      // 0: from the config
    std::uint64_t max_message_size = 0;  // 0: from the config; advertised as SIZE
    // The spool's bound when max_message_size and lmtp_max_mail_size are 0:
    // the storage's largest message, so a client cannot fill
    // mail_temp_dir (past it: drained, 552 5.3.4). Tests lower it.
    std::uint64_t storage_max_message_size = mailstore::storage::max_saved_message_size;
    // Called with the user of each accepted RCPT before delivery; a
    // non-ok status (temporary_failure) answers that recipient 451 4.3.0
    // (lmtp_user_concurrency_limit is enforced here by the daemon).
    std::function<mailstore::Status(const std::string& user)> acquire_user;
    std::function<void(const std::string& user)> release_user;
    std::size_t output_high_water = 64 * 1024;
    mailstore::log::Logger log{"lmtp"};
};

struct Step {
    enum class Kind {
        read,     // feed() more input, then run() again
        flush,    // send the output, then run() again
        starttls, // send the output, TLS handshake, tls_started(), run() again
        close,    // send the output, then close
    };
    Kind kind = Kind::read;
    std::string reason; // close: for the log line
};

class Session {
public:
    explicit Session(SessionOptions options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();
    void feed(std::string_view bytes);
    Step run();

    bool has_output() const;
    std::string_view output_front() const;
    void output_consume(std::size_t n);
    std::size_t output_pending() const;

    void tls_started();
    // The server is going away: "421 4.3.2 <text>" and Step::close. A
    // transaction in progress is abandoned (nothing was acknowledged).
    void shutdown(std::string_view text);

    // The disconnect log line's text after "Disconnect from IP: ", as
    // Dovecot 2.3.19 writes it: the reason, "(unfinished DATA command)" or
    // "(unfinished BDAT command)" when the client left in the middle of
    // the message, and "(state=GREETING|READY|MAIL FROM|RCPT TO|DATA)".
    std::string disconnect_text(std::string_view reason) const;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace lmtpd
