// RETR and TOP output (RFC 1939 §3, §7): the message as stored, turned into
// the multi-line response a client expects. Bare LF becomes CRLF (what
// Message::virtual_size() counts, so LIST sizes equal what RETR sends before
// dot-stuffing), a line starting with '.' gets another '.', a message that
// does not end in a newline gets one, and ".\r\n" ends the response. The
// output is made in bounded chunks from the mapped mail file, so a 20 MB
// message never sits whole in the output buffer.
#pragma once

#include <mailstore/storage/mailbox.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pop3proto::detail {

struct StreamOptions {
    // TOP n: the header, the empty line and this many body lines; nullopt
    // for the whole message (RETR).
    std::optional<std::uint64_t> body_lines;
    // pop3_client_workarounds = outlook-no-nuls: NUL bytes go out as 0x80.
    bool no_nuls = false;
    // pop3_client_workarounds = oe-ns-eoh: a message without the empty line
    // that ends the header gets one.
    bool add_missing_eoh = false;
};

class MessageStream {
public:
    MessageStream(mailstore::storage::MessageData data, StreamOptions options);

    // Appends about `budget` bytes (at least one line piece) to `out`.
    // Returns true once everything, the ".\r\n" terminator included, is out.
    bool produce(std::string& out, std::size_t budget);
    // Bytes appended so far, without the terminator (the counters of
    // pop3_logout_format).
    std::uint64_t bytes_written() const { return written_; }

private:
    // Input bytes converted per step, through a buffer on the stack.
    static constexpr std::size_t kSlice = 8 * 1024;

    void append(std::string& out, std::string_view piece);
    // Converts the next `take` input bytes (CRLF, dot-stuffing) into `to`,
    // which has room for 2 * take + 1 bytes; returns the bytes written.
    std::size_t convert(char* to, std::size_t take);

    mailstore::storage::MessageData data_;
    std::string_view bytes_;
    StreamOptions options_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0; // where the output stops (TOP)
    bool at_line_start_ = true;
    bool missing_eoh_ = false;
    bool done_ = false;
    std::uint64_t written_ = 0;
};

// The octets RETR sends for `bytes` before dot-stuffing (bare LF counted as
// CRLF): what LIST and STAT report when the index has no size.
std::uint64_t crlf_size(std::string_view bytes);

} // namespace pop3proto::detail
