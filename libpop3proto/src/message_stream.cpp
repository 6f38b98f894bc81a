// RETR/TOP output: CRLF line ends, dot-stuffing, terminator (message_stream.hpp).
#include "message_stream.hpp"

#include <algorithm>
#include <cstring>

namespace pop3proto::detail {

namespace {

// The offset just past the first `lines` lines of `body` (a last line
// without a newline counts as a line).
std::size_t after_lines(std::string_view body, std::uint64_t lines) {
    std::size_t pos = 0;
    for (std::uint64_t n = 0; n < lines && pos < body.size(); ++n) {
        const void* hit = std::memchr(body.data() + pos, '\n', body.size() - pos);
        if (!hit)
            return body.size();
        pos = static_cast<std::size_t>(static_cast<const char*>(hit) - body.data()) + 1;
    }
    return pos;
}

// Whether the header ends with the empty line (RFC 5322 §2.1).
bool has_eoh(std::string_view header) {
    return header.ends_with("\n\n") || header.ends_with("\n\r\n") || header == "\n" || header == "\r\n";
}

} // namespace

std::uint64_t crlf_size(std::string_view bytes) {
    std::uint64_t bare_lf = 0;
    for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1))
        if (i == 0 || bytes[i - 1] != '\r')
            ++bare_lf;
    return bytes.size() + bare_lf;
}

MessageStream::MessageStream(mailstore::storage::MessageData data, StreamOptions options)
    : data_(std::move(data)), bytes_(data_.bytes()), options_(options) {
    end_ = bytes_.size();
    const std::string_view header = data_.header();
    if (options_.body_lines)
        end_ = std::min(bytes_.size(), header.size() + after_lines(data_.body(), *options_.body_lines));
    missing_eoh_ = options_.add_missing_eoh && !has_eoh(header);
}

void MessageStream::append(std::string& out, std::string_view piece) {
    const std::size_t at = out.size();
    out.append(piece);
    if (options_.no_nuls)
        std::replace(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), '\0', '\x80');
    written_ += piece.size();
}

std::size_t MessageStream::convert(char* to, std::size_t take) {
    // One line piece at a time: memchr finds the LF, the bytes before it
    // are copied as they are. Whether the LF is bare is read from the
    // message itself, so a CR at the end of the previous slice counts.
    const char* const base = bytes_.data();
    const char* p = base + pos_;
    const char* const stop = p + take;
    char* o = to;
    while (p < stop) {
        if (at_line_start_ && *p == '.')
            *o++ = '.'; // RFC 1939 §3: byte-stuff the termination octet
        const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(stop - p));
        if (!hit) {
            std::memcpy(o, p, static_cast<std::size_t>(stop - p));
            o += stop - p;
            p = stop;
            at_line_start_ = false;
            break;
        }
        const char* nl = static_cast<const char*>(hit);
        std::memcpy(o, p, static_cast<std::size_t>(nl - p));
        o += nl - p;
        if (nl == base || nl[-1] != '\r')
            *o++ = '\r';
        *o++ = '\n';
        p = nl + 1;
        at_line_start_ = true;
    }
    pos_ = static_cast<std::size_t>(p - base);
    return static_cast<std::size_t>(o - to);
}

bool MessageStream::produce(std::string& out, std::size_t budget) {
    if (done_)
        return true;
    budget = std::max<std::size_t>(budget, 1);
    const std::size_t start = out.size();
    // A slice of input grows at most to twice its size plus one (".\n"
    // becomes "..\r\n"), so a slice of half the budget left keeps the
    // output within the budget, and the stack buffer bounds a slice.
    char scratch[2 * kSlice + 1];
    while (pos_ < end_ && out.size() - start < budget) {
        const std::size_t left = budget - (out.size() - start);
        const std::size_t take = std::min({end_ - pos_, kSlice, std::max<std::size_t>(1, left / 2)});
        const std::size_t n = convert(scratch, take);
        if (options_.no_nuls)
            std::replace(scratch, scratch + n, '\0', '\x80');
        out.append(scratch, n);
        written_ += n;
    }
    if (pos_ < end_)
        return false;
    // RFC 1939 §3: the response ends with CRLF "." CRLF, also when the
    // message's last line has no newline.
    if (!at_line_start_)
        append(out, "\r\n");
    if (missing_eoh_)
        append(out, "\r\n");
    out += ".\r\n";
    done_ = true;
    return true;
}

} // namespace pop3proto::detail
