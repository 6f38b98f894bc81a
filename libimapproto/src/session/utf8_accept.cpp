#include "session/utf8_accept.hpp"

#include "commands/message_set.hpp"

#include <mailstore/mime/charset.hpp>

#include <algorithm>
#include <cerrno>
#include <strings.h>
#include <unistd.h>

namespace imapproto::detail {

namespace {

bool has_8bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

void base64(std::string& out, std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size())
            v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
}

// `value` (with 8-bit octets) as a quoted string of encoded-words. RFC 2047
// §2: an encoded-word is at most 75 characters, so the value is cut into
// pieces of at most 45 octets (60 base64 characters), between UTF-8
// characters when it is UTF-8; §6.2: the spaces between adjacent
// encoded-words are not part of the decoded text.
void write_encoded_words(std::string& out, std::string_view value) {
    const bool utf8 = mailstore::mime::is_valid_utf8(value);
    const std::string_view prefix = utf8 ? "=?utf-8?b?" : "=?unknown-8bit?b?";
    constexpr std::size_t kPiece = 45;
    out += '"';
    std::size_t pos = 0;
    while (pos < value.size()) {
        std::size_t end = std::min(value.size(), pos + kPiece);
        // Back up to the start of a character (not a continuation octet).
        while (utf8 && end < value.size() && end > pos + 1 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80)
            --end;
        if (pos != 0)
            out += ' ';
        out += prefix;
        base64(out, value.substr(pos, end - pos));
        out += "?=";
        pos = end;
    }
    out += '"';
}

} // namespace

std::string downgrade_shape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 64);
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {
            // A quoted string: \" and \\ are the escapes.
            std::string value;
            std::size_t j = i + 1;
            while (j < text.size() && text[j] != '"') {
                if (text[j] == '\\' && j + 1 < text.size())
                    ++j;
                value += text[j++];
            }
            const std::size_t end = std::min(text.size(), j + 1);
            if (has_8bit(value))
                write_encoded_words(out, value);
            else
                out.append(text.substr(i, end - i));
            i = end;
            continue;
        }
        if (c == '{') {
            // A literal: {n}CRLF and n octets.
            const std::size_t close = text.find('}', i);
            if (close != std::string_view::npos && text.substr(close + 1, 2) == "\r\n") {
                std::size_t n = 0;
                bool digits = close > i + 1;
                for (std::size_t k = i + 1; k < close && digits; ++k) {
                    if (text[k] < '0' || text[k] > '9' || n > text.size())
                        digits = false;
                    else
                        n = n * 10 + static_cast<std::size_t>(text[k] - '0');
                }
                const std::size_t start = close + 3;
                if (digits && start + n <= text.size()) {
                    const std::string_view value = text.substr(start, n);
                    if (has_8bit(value))
                        write_encoded_words(out, value);
                    else
                        out.append(text.substr(i, start + n - i));
                    i = start + n;
                    continue;
                }
            }
        }
        out += c;
        ++i;
    }
    return out;
}

std::string downgrade_shape_for_session(Context& ctx, std::string text) {
    if (utf8_names(ctx) || !has_8bit(text))
        return text;
    return downgrade_shape(text);
}

const Arg* utf8_append_data(Context& ctx, const std::vector<Arg>& args, std::size_t& i, std::string& error) {
    if (!utf8_accept(ctx)) {
        error = "UTF8 data requires ENABLE UTF8=ACCEPT";
        return nullptr;
    }
    // RFC 9755 (APPEND with UTF-8 headers): append-data =/ "UTF8" SP "("
    // literal8 ")".
    if (i + 1 >= args.size() || args[i + 1].type != Arg::Type::list || args[i + 1].children.size() != 1 ||
        args[i + 1].children[0].type != Arg::Type::literal || !args[i + 1].children[0].literal8) {
        error = "Invalid UTF8 data: expected UTF8 (~{size}message)";
        return nullptr;
    }
    const Arg* data = &args[i + 1].children[0];
    i += 2;
    return data;
}

bool refuse_charset_after_utf8_accept(Context& ctx, const std::string& charset, bool mandatory) {
    if (!utf8_accept(ctx) || ctx.enabled().imap4rev2)
        return false;
    if (!mandatory) {
        finish_syntax_error(ctx, "CHARSET is not allowed after ENABLE UTF8=ACCEPT");
        return true;
    }
    if (strcasecmp(charset.c_str(), "UTF-8") == 0)
        return false;
    finish_syntax_error(ctx, "Only the UTF-8 charset is allowed after ENABLE UTF8=ACCEPT");
    return true;
}

namespace {

// Where a scan of the header section stands between chunks of a literal.
struct HeaderScan {
    bool line_blank = true; // nothing but CR so far on this line: the message starts at a line start
    bool ended = false;     // the empty line that ends the header section was seen
};

// True when `chunk` has an 8-bit octet before the end of the header section.
bool scan_header(std::string_view chunk, HeaderScan& scan) {
    for (char c : chunk) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return true;
        if (c == '\n') {
            if (scan.line_blank) {
                scan.ended = true;
                return false;
            }
            scan.line_blank = true;
        } else if (c != '\r') {
            scan.line_blank = false;
        }
    }
    return false;
}

// Whether the post-login list offers UTF8=ACCEPT (an imap_capability list
// may leave it out).
bool utf8_accept_advertised(Context& ctx) {
    const std::string caps = ctx.capabilities();
    std::size_t pos = 0;
    while (pos < caps.size()) {
        std::size_t end = caps.find(' ', pos);
        if (end == std::string::npos)
            end = caps.size();
        if (end - pos == 11 && strncasecmp(caps.c_str() + pos, "UTF8=ACCEPT", 11) == 0)
            return true;
        pos = end + 1;
    }
    return false;
}

} // namespace

bool header_has_8bit(const Arg& data) {
    HeaderScan scan;
    if (!data.spool)
        return scan_header(data.text, scan);
    char buffer[16 * 1024];
    std::uint64_t offset = 0;
    while (offset < data.spool->size() && !scan.ended) {
        const ssize_t n = ::pread(data.spool->fd(), buffer, sizeof buffer, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false; // unreadable here: the save reads it again and reports the error
        if (scan_header(std::string_view(buffer, static_cast<std::size_t>(n)), scan))
            return true;
        offset += static_cast<std::uint64_t>(n);
    }
    return false;
}

bool refuse_8bit_header_append(Context& ctx, const Arg& data) {
    if (utf8_names(ctx) || !header_has_8bit(data) || !utf8_accept_advertised(ctx))
        return false;
    ctx.finish_no("CANNOT", "Message header has 8-bit characters: ENABLE UTF8=ACCEPT to append it");
    return true;
}

} // namespace imapproto::detail
