// loadgen::ImapClient: an IMAP4rev1 client (RFC 3501) for the load generator,
// on Asio coroutines. One command at a time: command() tags the text, sends
// it (waiting for the "+" continuation before each synchronising literal,
// RFC 3501 §7.5; a LITERAL+ non-synchronising literal, RFC 7888, goes at once
// when the server announced it), then reads the server's answer up to the
// tagged reply, collecting every untagged response on the way.
//
// The reader is literal-aware (RFC 3501 §4.3: "{n}" CRLF then n octets may
// appear anywhere a string may) and bounded: a line longer than
// Limits::max_line, a literal larger than Limits::max_literal, more than
// Limits::max_untagged untagged responses for one command, a connection
// closed or a read that takes longer than Limits::timeout throw
// loadgen::ProtocolError quoting the offending bytes.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol_error.hpp"

namespace loadgen {

// One untagged ("* ...") or continuation ("+ ...") response. `line` is the
// response without its CRLFs and with each literal's octets taken out: the
// "{n}" marker stays where the literal was, and its octets are the next
// element of `literals`. "* 1 FETCH (BODY[] {3}\r\nabc)\r\n" is
// line "* 1 FETCH (BODY[] {3})", literals {"abc"}.
struct ImapUntagged {
    std::string line;
    std::vector<std::string> literals;
};

// The tagged reply of one command and the untagged responses before it.
struct ImapResponse {
    std::string status; // "OK", "NO" or "BAD"
    std::string text;   // the rest of the tagged line, response code included
    std::vector<ImapUntagged> untagged;

    bool ok() const { return status == "OK"; }
};

struct ImapLimits {
    std::size_t max_line = 256 * 1024;           // one line between literals
    std::size_t max_literal = 64 * 1024 * 1024;  // one literal's octets
    std::size_t max_untagged = 2'000'000;        // untagged responses per command
    std::size_t max_response = 512 * 1024 * 1024; // all octets of one command's answer
    std::chrono::milliseconds timeout{60'000};   // one read or write
};

class ImapClient {
public:
    explicit ImapClient(asio::any_io_executor executor, ImapLimits limits = {});
    ImapClient(const ImapClient&) = delete;
    ImapClient& operator=(const ImapClient&) = delete;
    ~ImapClient();

    // Connects and reads the greeting: "* OK" (or "* PREAUTH") else
    // ProtocolError. Capabilities in the greeting's response code are kept.
    asio::awaitable<void> connect(std::string host, std::uint16_t port);
    const ImapUntagged& greeting() const { return greeting_; }

    // Sends "<tag> <text>\r\n" and reads up to the tagged reply. `text` may
    // hold literals ("{n}\r\n" followed by n octets, or "{n+}\r\n" for
    // LITERAL+). A NO or BAD is returned, not thrown: the caller decides.
    // A tagged reply with another tag, an unknown status, or a continuation
    // request nobody asked for throws.
    asio::awaitable<ImapResponse> command(std::string_view text);

    // LOGIN with the arguments as quoted strings (or literals when they hold
    // characters a quoted string cannot); the capabilities are updated from
    // the reply's [CAPABILITY ...] code when present.
    asio::awaitable<ImapResponse> login(std::string_view user, std::string_view password);
    // LOGOUT: expects "* BYE" and a tagged OK, then closes the socket.
    asio::awaitable<ImapResponse> logout();
    // CAPABILITY: refreshes capabilities().
    asio::awaitable<ImapResponse> capability();
    // APPEND mailbox [(flags)] ["date"] {n}: `flags` without parentheses
    // ("\\Seen \\Flagged", empty for none), `date` an RFC 3501 date-time or
    // empty. LITERAL+ when announced, else a synchronising literal.
    asio::awaitable<ImapResponse> append(std::string_view mailbox, std::string_view flags,
                                         std::string_view date, std::string_view message);

    // IDLE (RFC 2177): sends IDLE and waits for the "+" continuation,
    // collecting untagged responses sent before it.
    asio::awaitable<void> idle_start();
    // While idling: the next untagged response. Throws ProtocolError when
    // none comes within `timeout` (default: Limits::timeout) or on a tagged
    // reply (the server ended the IDLE).
    asio::awaitable<ImapUntagged> next_untagged();
    asio::awaitable<ImapUntagged> next_untagged(std::chrono::milliseconds timeout);
    // Like next_untagged but returns nullopt on timeout; the connection stays
    // usable (a partial response already read is kept for the next call).
    asio::awaitable<std::optional<ImapUntagged>> try_next_untagged(std::chrono::milliseconds timeout);
    // Sends DONE and reads up to the IDLE command's tagged reply.
    asio::awaitable<ImapResponse> idle_done();
    bool idling() const { return idling_; }

    // Capabilities from the greeting, CAPABILITY or LOGIN's response code
    // (upper-cased atoms, e.g. "LITERAL+", "UIDPLUS", "AUTH=PLAIN").
    const std::vector<std::string>& capabilities() const { return capabilities_; }
    bool has_capability(std::string_view name) const;

    // The tag the last command() used ("A123").
    const std::string& last_tag() const { return last_tag_; }
    // Octets read and written so far (for the report).
    std::uint64_t bytes_read() const { return bytes_read_; }
    std::uint64_t bytes_written() const { return bytes_written_; }
    bool is_open() const { return socket_.is_open(); }
    void close();

    // Text put in front of every ProtocolError's message ("client 3 user7")
    // so a failed run names who saw what.
    void set_label(std::string label) { label_ = std::move(label); }
    const std::string& label() const { return label_; }

private:
    // One complete response: a tagged reply (tag set), an untagged one or a
    // continuation ("+").
    struct Raw {
        std::string tag; // empty for "*" and "+"
        ImapUntagged resp;
    };
    asio::awaitable<Raw> read_response(std::chrono::milliseconds timeout);
    asio::awaitable<bool> fill(std::chrono::milliseconds timeout, bool may_time_out);
    asio::awaitable<void> write_all(std::string_view bytes);
    asio::awaitable<ImapResponse> read_until_tagged(const std::string& tag);
    bool buffered_response_complete() const;
    void update_capabilities(std::string_view text_or_line);
    [[noreturn]] void fail(const std::string& what, std::string_view bytes = {}) const;

    asio::any_io_executor executor_;
    ImapLimits limits_;
    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    std::string buf_;       // read but not yet consumed
    std::size_t buf_pos_ = 0;
    // Untagged responses read before IDLE's "+", handed out by next_untagged.
    std::vector<ImapUntagged> idle_pending_;
    ImapUntagged greeting_;
    std::vector<std::string> capabilities_;
    std::uint64_t next_tag_ = 1;
    std::string last_tag_;
    std::string idle_tag_;
    bool idling_ = false;
    std::uint64_t bytes_read_ = 0;
    std::uint64_t bytes_written_ = 0;
    std::string label_;
};

// Quotes `s` as an IMAP quoted string (RFC 3501 §4.3) when it can be one
// (no CR, LF or NUL, 7-bit), else as a literal "{n}\r\n..." (LITERAL+ form
// "{n+}" when `literal_plus`).
std::string imap_string(std::string_view s, bool literal_plus = false);

} // namespace loadgen
