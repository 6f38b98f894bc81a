// IMAP string forms (RFC 3501 §4.3, §9): quoted = DQUOTE *QUOTED-CHAR DQUOTE
// where QUOTED-CHAR is any 7-bit byte except NUL, CR and LF, with '"' and
// '\' escaped; literal = "{" number "}" CRLF *CHAR8, CHAR8 = %x01-ff.
#include <imapproto/string_writer.hpp>

#include <charconv>

namespace imapproto {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool needs_literal(unsigned char c) { return c >= 0x80 || c == '\r' || c == '\n' || c == '\0'; }

bool is_quoted_special(char c) { return c == '"' || c == '\\'; }

// RFC 3501 ATOM-CHAR: any CHAR (%x01-7F) except atom-specials.
bool is_atom_char(unsigned char c) {
    if (c <= 0x1f || c >= 0x7f) return false;  // CTL and 8-bit
    switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
        return false;
    default:
        return true;
    }
}

void append_number(std::string& out, std::size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;  // cannot fail: 24 digits hold any size_t
    out.append(buf, end);
}

// "{n}\r\n" + bytes, NUL replaced by U+FFFD (the count covers what is sent).
void append_literal(std::string& out, std::string_view s) {
    std::size_t nuls = 0;
    for (char c : s) nuls += c == '\0';
    out += '{';
    append_number(out, s.size() + nuls * (kReplacementChar.size() - 1));
    out += "}\r\n";
    if (nuls == 0) {
        out.append(s);
        return;
    }
    for (char c : s) {
        if (c == '\0') out.append(kReplacementChar);
        else out += c;
    }
}

void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (is_quoted_special(c)) out += '\\';
        out += c;
    }
    out += '"';
}

bool is_line_break(char c) { return c == '\r' || c == '\n'; }
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

} // namespace

void write_string(std::string& out, std::string_view s) {
    for (char c : s) {
        if (needs_literal(static_cast<unsigned char>(c))) {
            append_literal(out, s);
            return;
        }
    }
    append_quoted(out, s);
}

void write_nstring(std::string& out, const std::optional<std::string>& s) {
    if (s) write_string(out, *s);
    else out += "NIL";
}

void write_astring(std::string& out, std::string_view s) {
    bool atom = !s.empty();
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (!is_atom_char(u) && c != ']') {
            atom = false;
            break;
        }
    }
    if (atom) out.append(s);
    else write_string(out, s);
}

void write_header_string(std::string& out, std::string_view s) {
    bool has_break = false;
    for (char c : s) has_break |= is_line_break(c);
    if (!has_break) {
        write_string(out, s);
        return;
    }
    std::string cleaned;
    cleaned.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (!is_line_break(s[i])) {
            cleaned += s[i++];
            continue;
        }
        while (i < s.size() && is_line_break(s[i])) ++i;
        // Folding (a break before whitespace) or a break at the very end
        // leaves nothing; a break inside text separates words.
        if (i < s.size() && !is_wsp(s[i])) cleaned += ' ';
    }
    write_string(out, cleaned);
}

void write_display_string(std::string& out, std::string_view s) {
    // First pass: is anything to change? Leading whitespace, a run of more
    // than one, trailing whitespace, TAB/CR/LF, NUL, or a byte that a quoted
    // string cannot carry unescaped all make the value a literal.
    bool modify = false;
    bool last_space = true;  // leading whitespace is dropped
    std::size_t kept = 0;    // bytes of the cleaned text, NUL counted as 1
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == ' ' || c == '\t' || is_line_break(c)) {
            if (c != ' ' || last_space) modify = true;
            if (!last_space) ++kept;
            last_space = true;
        } else {
            if (c == '\0' || is_quoted_special(c) || u >= 0x80) modify = true;
            ++kept;
            last_space = false;
        }
    }
    if (last_space && kept > 0) {
        modify = true;  // a trailing space was counted; it goes
        --kept;
    }
    if (!modify) {
        out += '"';
        out.append(s);
        out += '"';
        return;
    }
    if (kept == 0) {
        out += "\"\"";
        return;
    }
    std::string cleaned;
    cleaned.reserve(kept);
    bool pending_space = false;
    for (char c : s) {
        if (c == ' ' || c == '\t' || is_line_break(c)) {
            pending_space = !cleaned.empty();
            continue;
        }
        if (pending_space) {
            cleaned += ' ';
            pending_space = false;
        }
        cleaned += c;
    }
    append_literal(out, cleaned);
}

} // namespace imapproto
