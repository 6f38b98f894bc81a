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

bool MessageStream::produce(std::string& out, std::size_t budget) {
    if (done_)
        return true;
    const std::size_t start = out.size();
    while (pos_ < end_ && out.size() - start < budget) {
        if (at_line_start_ && bytes_[pos_] == '.')
            append(out, "."); // RFC 1939 §3: byte-stuff the termination octet
        const std::size_t room = std::max<std::size_t>(1, budget - (out.size() - start));
        const void* hit = std::memchr(bytes_.data() + pos_, '\n', end_ - pos_);
        const std::size_t nl = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - bytes_.data()) : end_;
        if (nl - pos_ > room) {
            // A long line: part of it now, the rest in the next chunk.
            append(out, bytes_.substr(pos_, room));
            pos_ += room;
            at_line_start_ = false;
            continue;
        }
        append(out, bytes_.substr(pos_, nl - pos_));
        if (nl == end_) {
            pos_ = end_;
            at_line_start_ = false;
            break;
        }
        const bool bare = nl == 0 || bytes_[nl - 1] != '\r';
        append(out, bare ? std::string_view("\r\n") : std::string_view("\n"));
        pos_ = nl + 1;
        at_line_start_ = true;
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
