// The DATA phase's transparency (RFC 5321 §4.5.2): undoes dot-stuffing and
// finds the end-of-data line "." while bytes arrive in pieces of any size.
// Lines are not bounded here: a line of any length is passed through as it
// comes, so memory stays bounded by the pieces fed in.
//
// The end of the data is CRLF "." CRLF only (RFC 5321 §4.1.1.4, §4.5.2),
// where the data's start counts as a CRLF: a "." line next to a bare LF
// ("\n.\r\n", "\r\n.\n", "\n.\n") is message data, kept as it came, so a
// relay that passes bare LFs through cannot have one message read as two
// transactions (SMTP smuggling). Dovecot 2.3.19's LMTP ends the data on
// those too (docs/lmtp.md "Message data"). Bare LFs are line ends for
// unstuffing and are kept byte-exact.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lmtpd {

class DotDecoder {
public:
    // Appends the message bytes of `in` to `out` and returns how many bytes
    // of `in` were used; fewer than in.size() only when the end-of-data line
    // was found (the rest belongs to the next command).
    std::size_t decode(std::string_view in, std::string& out);
    // The end-of-data line was seen.
    bool done() const { return state_ == State::done; }
    void reset() {
        state_ = State::line_start;
        after_crlf_ = true;
        last_cr_ = false;
    }

private:
    enum class State {
        line_start, // at the beginning of a line
        in_line,    // inside a line
        dot,        // a "." at the beginning of a line, held back
        dot_cr,     // ".\r" at the beginning of a line, held back
        done,
    };
    State state_ = State::line_start;
    bool after_crlf_ = true; // the current line began after a CRLF (or the data's start)
    bool last_cr_ = false;   // in_line: the last byte passed on was a CR
};

} // namespace lmtpd
