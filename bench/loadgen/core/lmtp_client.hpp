// loadgen::LmtpClient: an LMTP client (RFC 2033) for the load generator, on
// Asio coroutines, over TCP or a unix socket. deliver() runs one transaction
// (MAIL FROM, RCPT TO for each recipient, DATA) and returns one reply per
// recipient: after the data's final ".", LMTP answers once for every
// recipient RCPT accepted, in RCPT order (§4.2); a recipient RCPT refused
// keeps RCPT's reply. Replies may be multi-line ("250-..." then "250 ...",
// RFC 5321 §4.2.1). A reply the protocol does not allow at that point (a
// refused MAIL FROM, DATA without 354, a malformed line), a timeout or a
// closed connection throws loadgen::ProtocolError quoting it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "line_connection.hpp"

namespace loadgen {

struct LmtpLimits {
    std::size_t max_line = 4096;       // one reply line (RFC 5321 §4.5.3.1.5: 512)
    std::size_t max_reply_lines = 100; // lines of one multi-line reply
    std::chrono::milliseconds timeout{60'000};
};

struct LmtpReply {
    int code = 0;                    // 250, 354, 452, 550, ...
    std::vector<std::string> lines;  // the text of each line, after "NNN " / "NNN-"
    std::string text() const;        // the lines joined with " / "
    bool positive() const { return code >= 200 && code < 400; }
};

class LmtpClient {
public:
    explicit LmtpClient(asio::any_io_executor executor, LmtpLimits limits = {});

    // Connects and reads the 220 greeting.
    asio::awaitable<void> connect(const std::string& host, std::uint16_t port);
    asio::awaitable<void> connect_unix(const std::string& path);
    const LmtpReply& greeting() const { return greeting_; }

    // Sends `line` and CRLF, reads one (possibly multi-line) reply.
    asio::awaitable<LmtpReply> command(std::string_view line);
    // LHLO: a 250 reply (its lines are the extensions) or ProtocolError.
    asio::awaitable<LmtpReply> lhlo(std::string_view domain);
    // One transaction; `message` with LF or CRLF line ends (sent as CRLF,
    // dot-stuffed, RFC 5321 §4.5.2). Returns the reply of each recipient in
    // `rcpts` order. Throws when MAIL FROM is refused or DATA is not
    // answered 354; when every recipient is refused, no DATA is sent (RSET).
    asio::awaitable<std::vector<LmtpReply>> deliver(std::string_view from, const std::vector<std::string>& rcpts,
                                                    std::string_view message);
    asio::awaitable<LmtpReply> rset();
    // QUIT: 221, then the connection is closed.
    asio::awaitable<void> quit();

    std::uint64_t bytes_read() const { return conn_.bytes_read(); }
    std::uint64_t bytes_written() const { return conn_.bytes_written(); }
    bool is_open() const { return conn_.is_open(); }
    void close() { conn_.close(); }
    void set_label(std::string label) { conn_.set_label(std::move(label)); }
    const std::string& label() const { return conn_.label(); }

private:
    asio::awaitable<LmtpReply> read_reply(std::string_view after);

    LmtpLimits limits_;
    LineConnection conn_;
    LmtpReply greeting_;
    std::string data_;  // the dot-stuffed DATA of the last deliver(), reused
};

// `message` as DATA sends it: every line end CRLF, a "." at the start of a
// line doubled, CRLF "." CRLF at the end (RFC 5321 §4.5.2).
void dot_stuff(std::string_view message, std::string& out);

} // namespace loadgen
