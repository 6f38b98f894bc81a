// The DATA phase's transparency (RFC 5321 §4.5.2): undoes dot-stuffing and
// finds the end-of-data line "." while bytes arrive in pieces of any size.
// Lines are not bounded here: a line of any length is passed through as it
// comes, so memory stays bounded by the pieces fed in.
//
// Line ends: CRLF, and a bare LF as well, as Dovecot's LMTP accepts it
// (docs/lmtp.md "Message data"): a "." alone on a line ends the data when it
// is followed by CRLF or LF and preceded by either; bare LFs inside the
// message are kept byte-exact.
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
    void reset() { state_ = State::line_start; }

private:
    enum class State {
        line_start, // at the beginning of a line
        in_line,    // inside a line
        dot,        // a "." at the beginning of a line, held back
        dot_cr,     // ".\r" at the beginning of a line, held back
        done,
    };
    State state_ = State::line_start;
};

} // namespace lmtpd
