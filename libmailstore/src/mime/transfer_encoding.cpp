// Content-Transfer-Encoding (RFC 2045 §6). The decoders are lenient in what
// they output (damaged input still yields every byte that can be recovered)
// and strict in what they flag: had_errors() is set exactly when the input
// is not valid RFC 2045 encoding, which is when Dovecot refuses IMAP BINARY
// with [PARSE] (RFC 3516 leaves the error response to the server).
#include <mailstore/mime/transfer_encoding.hpp>

#include "text_util.hpp"

#include <array>
#include <cstddef>

namespace mailstore::mime {

namespace {

// ---- Content-Transfer-Encoding value ---------------------------------------

// RFC 2045 §5.1 tspecials plus space and CTLs end a token.
bool is_token_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f)
        return false;
    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
        return false;
    default:
        return true;
    }
}

// Skips whitespace and RFC 5322 comments (nested, with quoted-pairs); an
// unclosed comment runs to the end of the value.
std::size_t skip_cfws(std::string_view s, std::size_t i)
{
    while (i < s.size()) {
        if (detail::is_lwsp(s[i])) {
            ++i;
        } else if (s[i] == '(') {
            std::size_t depth = 0;
            for (; i < s.size(); ++i) {
                if (s[i] == '\\') {
                    ++i;
                } else if (s[i] == '(') {
                    ++depth;
                } else if (s[i] == ')' && --depth == 0) {
                    ++i;
                    break;
                }
            }
        } else {
            break;
        }
    }
    return i < s.size() ? i : s.size();  // a trailing backslash may step past the end
}

// ---- base64 ------------------------------------------------------------

constexpr unsigned char b64_ws = 64, b64_pad = 65, b64_bad = 66;

constexpr std::array<unsigned char, 256> make_b64_table()
{
    std::array<unsigned char, 256> t{};
    for (auto& v : t)
        v = b64_bad;
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (unsigned i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
    // Line breaks and the blanks some encoders put at line ends are not
    // data (RFC 2045 §6.8); Dovecot accepts these four and nothing else.
    t[' '] = t['\t'] = t['\r'] = t['\n'] = b64_ws;
    t['='] = b64_pad;
    return t;
}
constexpr auto b64_table = make_b64_table();

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---- quoted-printable --------------------------------------------------------

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    // RFC 2045 §6.7 (1): encoders must use upper case, but "a robust
    // implementation might choose to recognize them" — every reader does.
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// SP / HTAB: the blanks RFC 2045 §6.7 (3) drops at a line end.
constexpr bool is_blank(char c) { return detail::is_wsp(c); }

} // namespace

TransferEncoding parse_transfer_encoding(std::string_view value)
{
    std::size_t i = skip_cfws(value, 0);
    if (i == value.size())
        return TransferEncoding::seven_bit;  // absent or empty: RFC 2045 §6.1 default
    const std::size_t start = i;
    while (i < value.size() && is_token_char(static_cast<unsigned char>(value[i])))
        ++i;
    const std::string_view token = value.substr(start, i - start);
    // After the mechanism only comments, or a stray parameter list (as
    // Dovecot tolerates: "base64; x" is base64, "base64 x" is not).
    i = skip_cfws(value, i);
    if (i < value.size() && value[i] != ';')
        return TransferEncoding::unknown;
    if (detail::iequals(token, "7bit"))
        return TransferEncoding::seven_bit;
    if (detail::iequals(token, "8bit"))
        return TransferEncoding::eight_bit;
    if (detail::iequals(token, "binary"))
        return TransferEncoding::binary;
    if (detail::iequals(token, "base64"))
        return TransferEncoding::base64;
    if (detail::iequals(token, "quoted-printable"))
        return TransferEncoding::quoted_printable;
    return TransferEncoding::unknown;
}

// While decoding, count_ is the number of sextets in bits_ (0..3). Once a
// pad has been seen (done_), count_ is the number of further '=' the
// quantum still needs (RFC 2045 §6.8: "xx==" or "xxx=").
void Base64Decoder::feed(std::string_view in, std::string& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const auto* end = p + in.size();
    if (!done_) {
        std::uint32_t bits = bits_;
        int count = count_;
        // Fast path: whole quanta of alphabet characters.
        while (p < end) {
            if (count == 0) {
                while (end - p >= 4) {
                    const unsigned a = b64_table[p[0]], b = b64_table[p[1]], c = b64_table[p[2]],
                                   d = b64_table[p[3]];
                    if ((a | b | c | d) >= 64)
                        break;
                    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
                    const char bytes[3] = {static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                                           static_cast<char>(v)};
                    out.append(bytes, 3);
                    p += 4;
                }
                if (p == end)
                    break;
            }
            const unsigned v = b64_table[*p++];
            if (v < 64) {
                bits = (bits << 6) | v;
                if (++count == 4) {
                    const char bytes[3] = {static_cast<char>(bits >> 16),
                                           static_cast<char>(bits >> 8), static_cast<char>(bits)};
                    out.append(bytes, 3);
                    bits = 0;
                    count = 0;
                }
            } else if (v == b64_ws) {
                continue;
            } else if (v == b64_pad) {
                // "xx=" gives one byte, "xxx=" two; a pad at the start of a
                // quantum or after one character is invalid.
                if (count == 2) {
                    out.push_back(static_cast<char>(bits >> 4));
                    count = 1;  // one more '=' due
                } else if (count == 3) {
                    out.push_back(static_cast<char>(bits >> 10));
                    out.push_back(static_cast<char>(bits >> 2));
                    count = 0;
                } else {
                    errors_ = true;
                    count = 0;
                }
                done_ = true;
                bits = 0;
                break;
            } else {
                errors_ = true;  // garbage is skipped, the rest still decodes
            }
        }
        bits_ = bits;
        count_ = count;
    }
    if (done_) {
        // After the pad only the missing '=' and whitespace may follow;
        // anything else (even more base64) is ignored and flagged.
        for (; p < end; ++p) {
            const unsigned v = b64_table[*p];
            if (v == b64_ws)
                continue;
            if (v == b64_pad && count_ > 0)
                --count_;
            else
                errors_ = true;
        }
    }
}

void Base64Decoder::finish(std::string& out)
{
    if (!done_) {
        // Unpadded end: what the characters give is kept, but RFC 2045
        // §6.8 wants whole quanta, so it is flagged (Dovecot: "Base64 data
        // ends prematurely").
        if (count_ == 1)
            errors_ = true;
        else if (count_ == 2) {
            out.push_back(static_cast<char>(bits_ >> 4));
            errors_ = true;
        } else if (count_ == 3) {
            out.push_back(static_cast<char>(bits_ >> 10));
            out.push_back(static_cast<char>(bits_ >> 2));
            errors_ = true;
        }
    } else if (count_ > 0) {
        errors_ = true;  // "xx=" without its second pad
    }
    bits_ = 0;
    count_ = 0;
    done_ = false;
}

// The decoder is a state machine over the bytes whose meaning depends on
// what follows them; pending_ keeps those bytes as written, to be output
// unchanged when they turn out to be damage:
//   escape         "="
//   escape_hex     "=H"           one hex digit seen
//   escape_blanks  "=" + blanks   maybe a soft break with transport padding
//   escape_cr      "=" [blanks] CR, waiting for the LF of a soft break
//   blanks         SP/HTAB run, dropped if the line ends after it
//                  (RFC 2045 §6.7 (3))
//   blanks_cr      that run and a CR, waiting for its LF
//   cr             a CR waiting for its LF
// Header mode has no line structure, so only escape and escape_hex occur.
// Hard line breaks come out as CRLF whether the input used CRLF or a bare
// LF: RFC 2045 §6.7 (4) says a QP line break stands for the canonical CRLF,
// and Dovecot's BINARY gives CRLF for LF-only stored mail.
void QuotedPrintableDecoder::feed(std::string_view in, std::string& out)
{
    std::size_t i = 0;
    const std::size_t n = in.size();
    // Writes what was pending as it was written (damage, RFC 2045 §6.7
    // note (2): keep it) and goes back to text; the current byte is then
    // looked at again.
    auto keep_pending = [&](bool damage) {
        errors_ = errors_ || damage;
        out.append(pending_);
        pending_.clear();
        state_ = State::text;
    };
    auto to_text = [&] {
        pending_.clear();
        state_ = State::text;
    };
    while (i < n) {
        const char c = in[i];
        switch (state_) {
        case State::text: {
            // Copy a run of ordinary bytes at once.
            std::size_t j = i;
            if (header_mode_) {
                while (j < n && in[j] != '=' && in[j] != '_')
                    ++j;
            } else {
                // A blank followed by anything but a blank or a line end is
                // not trailing: copied with the run.
                while (j < n) {
                    const char d = in[j];
                    if (d == '=' || d == '\r' || d == '\n')
                        break;
                    if (is_blank(d) &&
                        (j + 1 == n || is_blank(in[j + 1]) || in[j + 1] == '\r' || in[j + 1] == '\n'))
                        break;
                    ++j;
                }
            }
            out.append(in.data() + i, j - i);
            i = j;
            if (i == n)
                break;
            const char d = in[i++];
            if (d == '_') {
                out.push_back(' ');  // RFC 2047 §4.2 (2), header mode only
            } else if (d == '\n') {
                out.append("\r\n");
            } else {
                pending_.push_back(d);
                state_ = d == '=' ? State::escape : d == '\r' ? State::cr : State::blanks;
            }
            break;
        }
        case State::escape:
            if (hex_value(c) >= 0) {
                pending_.push_back(c);
                state_ = State::escape_hex;
                ++i;
            } else if (!header_mode_ && (is_blank(c) || c == '\r')) {
                pending_.push_back(c);
                state_ = c == '\r' ? State::escape_cr : State::escape_blanks;
                ++i;
            } else if (!header_mode_ && c == '\n') {
                to_text();  // soft line break "=LF"
                ++i;
            } else {
                keep_pending(true);  // "=" followed by neither hex nor a line end
            }
            break;
        case State::escape_hex:
            if (hex_value(c) >= 0) {
                out.push_back(static_cast<char>(hex_value(pending_[1]) * 16 + hex_value(c)));
                to_text();
                ++i;
            } else {
                keep_pending(true);  // "=H" without a second hex digit
            }
            break;
        case State::escape_blanks:
            // Blanks between '=' and the line end were added in transport
            // (RFC 2045 §6.7 (3)); the break is still soft.
            if (is_blank(c) || c == '\r') {
                pending_.push_back(c);
                state_ = c == '\r' ? State::escape_cr : State::escape_blanks;
                ++i;
            } else if (c == '\n') {
                to_text();  // soft line break "= LF"
                ++i;
            } else {
                keep_pending(true);
            }
            break;
        case State::escape_cr:
            if (c == '\n') {
                to_text();  // soft line break "=CRLF" / "= CRLF"
                ++i;
            } else {
                keep_pending(true);  // CR without LF
            }
            break;
        case State::blanks:
            if (is_blank(c) || c == '\r') {
                // Gather the whole run of blanks at once.
                std::size_t j = i;
                while (j < n && is_blank(in[j]))
                    ++j;
                pending_.append(in.data() + i, j - i);
                i = j;
                if (i < n && in[i] == '\r') {
                    pending_.push_back('\r');
                    state_ = State::blanks_cr;
                    ++i;
                }
            } else if (c == '\n') {
                out.append("\r\n");  // trailing blanks dropped
                to_text();
                ++i;
            } else {
                keep_pending(false);  // not trailing after all
            }
            break;
        case State::blanks_cr:
            if (c == '\n') {
                out.append("\r\n");  // trailing blanks dropped
                to_text();
                ++i;
            } else {
                keep_pending(true);  // bare CR: kept, with the blanks before it
            }
            break;
        case State::cr:
            if (c == '\n') {
                out.append("\r\n");
                to_text();
                ++i;
            } else {
                keep_pending(true);  // a bare CR is not allowed in QP (RFC 2045 §6.7 (4))
            }
            break;
        }
    }
}

void QuotedPrintableDecoder::finish(std::string& out)
{
    switch (state_) {
    case State::text:
        break;
    case State::blanks:
        break;  // blanks at the very end are trailing whitespace: dropped
    case State::escape:
    case State::escape_hex:
    case State::escape_blanks:
    case State::escape_cr:
        // RFC 2045 §6.7 note (3): "=" cannot be the last or second-to-last
        // character; handled like a bad escape (kept as written). This
        // holds even when it stood before a multipart boundary: the CRLF
        // there belongs to the boundary (RFC 2046 §5.1.1).
    case State::blanks_cr:
    case State::cr:
        errors_ = true;
        out.append(pending_);
        break;
    }
    pending_.clear();
    state_ = State::text;
}

std::string decode_base64(std::string_view in, bool* errors)
{
    std::string out;
    out.reserve(in.size() / 4 * 3 + 3);
    Base64Decoder d;
    d.feed(in, out);
    d.finish(out);
    if (errors)
        *errors = d.had_errors();
    return out;
}

std::string decode_quoted_printable(std::string_view in, bool header_mode, bool* errors)
{
    std::string out;
    out.reserve(in.size());
    QuotedPrintableDecoder d(header_mode);
    d.feed(in, out);
    d.finish(out);
    if (errors)
        *errors = d.had_errors();
    return out;
}

bool decode_transfer(TransferEncoding encoding, std::string_view in, std::string& out)
{
    switch (encoding) {
    case TransferEncoding::seven_bit:
    case TransferEncoding::eight_bit:
    case TransferEncoding::binary:
        out.append(in);
        return true;
    case TransferEncoding::base64: {
        Base64Decoder d;
        out.reserve(out.size() + in.size() / 4 * 3 + 3);
        d.feed(in, out);
        d.finish(out);
        return true;
    }
    case TransferEncoding::quoted_printable: {
        QuotedPrintableDecoder d;
        out.reserve(out.size() + in.size());
        d.feed(in, out);
        d.finish(out);
        return true;
    }
    case TransferEncoding::unknown:
        break;
    }
    return false;
}

std::string encode_base64(std::string_view in, std::size_t line_length)
{
    const std::size_t chars = (in.size() + 2) / 3 * 4;
    std::string out;
    out.reserve(chars + (line_length ? chars / line_length * 2 : 0));
    std::size_t col = 0;
    auto put = [&](char c) {
        if (line_length && col == line_length) {
            out.append("\r\n");
            col = 0;
        }
        out.push_back(c);
        ++col;
    };
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        put(b64_alphabet[(v >> 18) & 63]);
        put(b64_alphabet[(v >> 12) & 63]);
        put(b64_alphabet[(v >> 6) & 63]);
        put(b64_alphabet[v & 63]);
    }
    if (const std::size_t rest = in.size() - i; rest > 0) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        if (rest == 2)
            v |= std::uint32_t{p[i + 1]} << 8;
        put(b64_alphabet[(v >> 18) & 63]);
        put(b64_alphabet[(v >> 12) & 63]);
        put(rest == 2 ? b64_alphabet[(v >> 6) & 63] : '=');
        put('=');
    }
    return out;
}

std::string encode_quoted_printable(std::string_view in)
{
    // RFC 2045 §6.7: lines of at most 76 characters, the soft-break '='
    // included; "=" and everything outside printable ASCII escaped; a blank
    // before a line end (or the end) escaped so transport cannot strip it.
    // CRLF and bare LF in the input are hard line breaks (written CRLF); a
    // bare CR is data and escaped.
    static constexpr char hex[] = "0123456789ABCDEF";
    constexpr std::size_t max_line = 76;
    std::string out;
    out.reserve(in.size() + in.size() / 8);
    std::size_t col = 0;
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
            i += c == '\r';
            out.append("\r\n");
            col = 0;
            continue;
        }
        const bool line_end = i + 1 == n || in[i + 1] == '\n' ||
                              (in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
        char token[3];
        std::size_t len = 1;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end)) {
            token[0] = static_cast<char>(c);
        } else {
            token[0] = '=';
            token[1] = hex[c >> 4];
            token[2] = hex[c & 15];
            len = 3;
        }
        // A soft break's '=' takes a column, except on the line's last token.
        if (col + len > (line_end ? max_line : max_line - 1)) {
            out.append("=\r\n");
            col = 0;
        }
        out.append(token, len);
        col += len;
    }
    return out;
}

} // namespace mailstore::mime
