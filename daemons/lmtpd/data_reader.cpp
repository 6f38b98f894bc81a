// RFC 5321 §4.5.2 dot-unstuffing (data_reader.hpp).
#include "data_reader.hpp"

namespace lmtpd {

std::size_t DotDecoder::decode(std::string_view in, std::string& out) {
    std::size_t i = 0;
    // Copy runs of ordinary line content in one append.
    while (i < in.size() && state_ != State::done) {
        const char c = in[i];
        switch (state_) {
        case State::line_start:
            if (c == '.') {
                state_ = State::dot;
                ++i;
                continue;
            }
            state_ = State::in_line;
            continue;
        case State::in_line: {
            const std::size_t lf = in.find('\n', i);
            if (lf == std::string_view::npos) {
                out.append(in.substr(i));
                last_cr_ = in.back() == '\r';
                i = in.size();
                continue;
            }
            // The line ends in CRLF when the byte before the LF is a CR,
            // in this piece or at the end of the previous one.
            after_crlf_ = lf > i ? in[lf - 1] == '\r' : last_cr_;
            out.append(in.substr(i, lf + 1 - i));
            last_cr_ = false;
            i = lf + 1;
            state_ = State::line_start;
            continue;
        }
        case State::dot:
            if (c == '\r') {
                state_ = State::dot_cr;
                ++i;
                continue;
            }
            if (c == '\n') {
                // "." + bare LF is not the end of the data (RFC 5321
                // §4.1.1.4: only CRLF "." CRLF), and no client stuffed this
                // dot: the line is kept as it came.
                out.append(".\n");
                after_crlf_ = false;
                state_ = State::line_start;
                ++i;
                continue;
            }
            // "." then anything else: the leading dot was added by the
            // client and is dropped ("..x" -> ".x", and ".x" -> "x" as
            // §4.5.2 says).
            state_ = State::in_line;
            continue;
        case State::dot_cr:
            if (c == '\n') {
                ++i;
                if (after_crlf_) {
                    state_ = State::done;
                    continue;
                }
                // LF "." CRLF: the line before ended in a bare LF, so this
                // is not CRLF "." CRLF either (the SMTP smuggling pattern):
                // message data, kept as it came.
                out.append(".\r\n");
                after_crlf_ = true;
                state_ = State::line_start;
                continue;
            }
            // ".\r" followed by something else: a line starting with a
            // stuffed dot whose content begins with a CR.
            out.push_back('\r');
            last_cr_ = true;
            state_ = State::in_line;
            continue;
        case State::done:
            break;
        }
    }
    return i;
}

} // namespace lmtpd
