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
                i = in.size();
                continue;
            }
            out.append(in.substr(i, lf + 1 - i));
            i = lf + 1;
            state_ = State::line_start;
            continue;
        }
        case State::dot:
            // "." then the line end: the end of the data. "." then anything
            // else: the leading dot was added by the client and is dropped
            // ("..x" -> ".x", and ".x" -> "x" as §4.5.2 says).
            if (c == '\n') {
                state_ = State::done;
                ++i;
                continue;
            }
            if (c == '\r') {
                state_ = State::dot_cr;
                ++i;
                continue;
            }
            state_ = State::in_line;
            continue;
        case State::dot_cr:
            if (c == '\n') {
                state_ = State::done;
                ++i;
                continue;
            }
            // ".\r" followed by something else: a line starting with a
            // stuffed dot whose content begins with a CR.
            out.push_back('\r');
            state_ = State::in_line;
            continue;
        case State::done:
            break;
        }
    }
    return i;
}

} // namespace lmtpd
