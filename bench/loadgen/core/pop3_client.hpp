// loadgen::Pop3Client: a POP3 client (RFC 1939) for the load generator, on
// Asio coroutines, one command at a time. Single-line answers must start with
// "+OK" (an "-ERR" throws loadgen::ProtocolError quoting it, as does anything
// else); multi-line answers (LIST, UIDL, RETR, TOP, CAPA) are read up to the
// "." line with the byte-stuffing undone (§3). Bounded: lines, message sizes
// and listing lengths, and every read by a timeout.
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

struct Pop3Limits {
    std::size_t max_line = 64 * 1024;             // a status or listing line
    std::size_t max_message = 64 * 1024 * 1024;   // RETR / TOP octets
    std::size_t max_listing = 10'000'000;         // LIST / UIDL entries
    std::chrono::milliseconds timeout{60'000};    // one read or write
};

struct Pop3Stat {
    std::uint64_t count = 0;
    std::uint64_t octets = 0;
};

struct Pop3ListEntry {
    std::uint32_t number = 0;
    std::uint64_t octets = 0;
};

struct Pop3UidlEntry {
    std::uint32_t number = 0;
    std::string uid;
};

class Pop3Client {
public:
    explicit Pop3Client(asio::any_io_executor executor, Pop3Limits limits = {});

    // Connects and reads the "+OK" greeting.
    asio::awaitable<void> connect(const std::string& host, std::uint16_t port);
    const std::string& greeting() const { return greeting_; }

    // Sends `line` and CRLF, reads one status line: returns the text after
    // "+OK " ("" for a bare "+OK"); throws on "-ERR" or anything else.
    asio::awaitable<std::string> command(std::string_view line);
    // Sends `line`, expects "+OK", then reads the multi-line data block into
    // `out` (replacing it), dot-stuffing undone, CRLF line ends as sent.
    asio::awaitable<std::string> multiline(std::string_view line, std::string& out, std::size_t max_bytes);

    asio::awaitable<void> user(std::string_view name);
    asio::awaitable<void> pass(std::string_view password);
    asio::awaitable<void> login(std::string_view name, std::string_view password);  // USER + PASS
    asio::awaitable<Pop3Stat> stat();
    asio::awaitable<std::vector<Pop3ListEntry>> list();
    asio::awaitable<std::vector<Pop3UidlEntry>> uidl();
    // RETR n: the message as the server stored it for the client (CRLF
    // lines), byte-stuffing undone. The second form reuses `out`'s memory.
    asio::awaitable<std::string> retr(std::uint32_t number);
    asio::awaitable<void> retr(std::uint32_t number, std::string& out);
    asio::awaitable<void> dele(std::uint32_t number);
    asio::awaitable<void> noop();
    // QUIT: "+OK", then the connection is closed.
    asio::awaitable<void> quit();

    std::uint64_t bytes_read() const { return conn_.bytes_read(); }
    std::uint64_t bytes_written() const { return conn_.bytes_written(); }
    bool is_open() const { return conn_.is_open(); }
    void close() { conn_.close(); }
    void set_label(std::string label) { conn_.set_label(std::move(label)); }
    const std::string& label() const { return conn_.label(); }

private:
    asio::awaitable<std::string> status_line(std::string_view sent);

    Pop3Limits limits_;
    LineConnection conn_;
    std::string greeting_;
    std::string scratch_;
};

} // namespace loadgen
