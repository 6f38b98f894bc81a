// The state of one LMTP session, shared by the engine's files:
// lmtp_session.cpp (input, output, the run loop and command dispatch),
// lmtp_commands.cpp (LHLO, MAIL, RCPT, RSET, VRFY, ...), lmtp_data.cpp
// (DATA, BDAT and the delivery at the end of the data) and xclient.cpp.
#pragma once

#include "data_reader.hpp"
#include "lmtp_session.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmtpd {

class Session::Impl {
public:
    explicit Impl(SessionOptions options);

    // --- output ---
    // "CODE TEXT\r\n"; `text` starts with the enhanced status code where
    // there is one (RFC 2034 §3).
    void reply(int code, std::string_view text);
    // A refused command that counts towards the bad-command limit: after
    // kMaxBadCommands of them the connection is closed with 421 instead.
    void bad_command(int code, std::string_view text);
    void close(std::string_view reason);

    // --- input ---
    std::string_view pending_input() const { return std::string_view(in).substr(in_pos); }
    void consume_input(std::size_t n);
    bool process_command_line(); // false: a whole line is not there yet
    void dispatch(std::string_view line);

    // --- commands (lmtp_commands.cpp) ---
    void cmd_lhlo(std::string_view args);
    void cmd_mail(std::string_view args);
    void cmd_rcpt(std::string_view args);
    void cmd_rset(std::string_view args);
    void cmd_noop(std::string_view args);
    void cmd_quit(std::string_view args);
    void cmd_vrfy(std::string_view args);
    void cmd_help(std::string_view args);
    void cmd_starttls(std::string_view args);
    void cmd_xclient(std::string_view args); // xclient.cpp

    // --- message data (lmtp_data.cpp) ---
    void cmd_data(std::string_view args);
    void cmd_bdat(std::string_view args);
    bool process_data();  // DATA phase; false: needs more input
    bool process_chunk(); // BDAT chunk; false: needs more input
    void open_spool();
    void spool_append(std::string_view bytes);
    void end_chunk();
    void finish_message(); // deliver and answer each recipient
    std::vector<std::string> recipient_replies();

    void reset_transaction();
    void reset_session_state(); // after STARTTLS and XCLIENT: as if newly connected
    std::string capabilities() const;
    mailstore::auth::ClientInfo lookup_client() const;

    SessionOptions o;
    std::string hostname;
    std::string greeting; // login_greeting
    std::uint64_t max_message_size = 0; // 0: none advertised
    std::uint64_t spool_limit = 0;      // what the spool takes: never 0
    std::size_t max_recipients = 0;
    std::string temp_dir;
    std::string session_id;

    // Output not yet taken by the daemon.
    std::string out;
    std::size_t out_pos = 0;
    // Input not yet processed (from in_pos on).
    std::string in;
    std::size_t in_pos = 0;

    enum class Mode { command, data, chunk, closed };
    Mode mode = Mode::command;
    std::string close_reason;
    // Dovecot's state name for the disconnect line (state_name()), kept
    // when the session closes (close() forgets the transaction's spool).
    std::string state_name() const;
    std::string closed_state;
    Mode closed_mode = Mode::command;
    bool starttls_requested = false;
    bool discarding_long_line = false;
    unsigned bad_commands = 0;

    // Who the client is (XCLIENT may change it, RFC-less Postfix extension).
    std::string helo;
    std::string remote_ip;
    std::string remote_host;
    unsigned remote_port = 0;
    std::string xclient_login;
    bool tls_active = false;

    // The transaction.
    struct Accepted {
        mailstore::delivery::Recipient recipient;
        std::size_t unique = 0; // index into the deduplicated delivery list
    };
    bool mail_given = false;
    unsigned transactions = 0;
    mailstore::delivery::Envelope envelope;
    std::vector<Accepted> recipients;
    bool bdat_started = false;
    std::optional<mailstore::delivery::Spool> spool;
    bool spool_failed = false;
    DotDecoder dot;
    std::string decoded; // scratch for dot-unstuffed bytes

    // The BDAT chunk being read.
    std::uint64_t chunk_remaining = 0;
    std::uint64_t chunk_size = 0;
    bool chunk_last = false;
    std::optional<std::pair<int, std::string>> chunk_error; // answered after the chunk is read
};

inline constexpr unsigned kMaxBadCommands = 10;
// The longest command verb looked at ("STARTTLS", "XCLIENT").
inline constexpr std::size_t kMaxVerbLength = 16;
// RFC 3461 §4.4: ENVID is at most 100 characters.
inline constexpr std::size_t kMaxEnvidLength = 100;

} // namespace lmtpd
