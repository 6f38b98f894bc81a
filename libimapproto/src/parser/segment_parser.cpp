// The grammar of one command-line segment (RFC 3501 §9): the tag and the
// command name on the first segment, then arguments up to the line end or a
// literal announcement. Errors use Dovecot 2.3's wording ("Error in IMAP
// command LIST: Missing ')'") so clients and admins see the same answers.
#include "parser_state.hpp"

#include <cstring>
#include <limits>

namespace imapproto::parser {
namespace {

// Octets a literal-size may have: 20 digits exceed 2^64, so anything longer
// is "too large" without further arithmetic.
constexpr std::size_t max_size_digits = 19;

// RFC 7888 §4: LITERAL- allows non-synchronising literals up to 4096 octets.
constexpr std::uint64_t literal_minus_max = 4096;

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// tag = 1*<any ASTRING-CHAR except "+">: ATOM-CHAR plus ']' (resp-specials).
bool is_tag_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f)
        return false;
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case '+':
        return false;
    default:
        return true;
    }
}

// ATOM-CHAR (RFC 3501 §9): the command name.
bool is_strict_atom_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f)
        return false;
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
        return false;
    default:
        return true;
    }
}

// Strict UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing
// above U+10FFFF). Kept here so the parser needs nothing but itself (it is
// fuzzed on its own).
bool is_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF; // the range of the second octet
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (s.size() - i < len)
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned char b = static_cast<unsigned char>(s[i + k]);
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
                return false;
        }
        i += len;
    }
    return true;
}

// Octets that end an argument atom cleanly: the next token starts there.
bool ends_atom(unsigned char c) { return c == ' ' || c == '(' || c == ')'; }

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (upper(a[i]) != upper(b[i]))
            return false;
    return true;
}

// Reads the command name atom at `pos` (upper-cased); false when there is
// none or it is not followed by SP or the line end.
bool read_name(std::string_view seg, std::size_t& pos, std::string& out)
{
    std::size_t start = pos;
    while (pos < seg.size() && is_strict_atom_char(static_cast<unsigned char>(seg[pos])))
        ++pos;
    if (pos == start || (pos < seg.size() && seg[pos] != ' '))
        return false;
    out.assign(seg.substr(start, pos - start));
    for (char& c : out)
        c = upper(c);
    return true;
}

} // namespace

// A literal announcement at the very end of `seg`: "{n}", "{n+}", "~{n}" or
// "~{n+}". Used to skip a refused command's non-synchronising literals.
bool trailing_mark(std::string_view seg, LiteralMark& mark)
{
    if (seg.empty() || seg.back() != '}')
        return false;
    std::size_t end = seg.size() - 1;
    bool plus = end > 0 && seg[end - 1] == '+';
    if (plus)
        --end;
    std::size_t start = end;
    while (start > 0 && seg[start - 1] >= '0' && seg[start - 1] <= '9')
        --start;
    if (start == end || start == 0 || seg[start - 1] != '{')
        return false;
    std::uint64_t n = 0;
    if (end - start > max_size_digits) {
        n = std::numeric_limits<std::uint64_t>::max();
    } else {
        for (std::size_t i = start; i < end; ++i)
            n = n * 10 + static_cast<std::uint64_t>(seg[i] - '0');
    }
    mark.size = n;
    mark.sync = !plus;
    mark.literal8 = start >= 2 && seg[start - 2] == '~';
    return true;
}

} // namespace imapproto::parser

namespace imapproto {

using parser::LiteralMark;
using parser::SegmentResult;

parser::SegmentResult CommandParser::State::parse_segment(std::string_view seg)
{
    std::size_t pos = 0;
    const std::size_t n = seg.size();

    if (!started) {
        while (pos < n && parser::is_tag_char(static_cast<unsigned char>(seg[pos])))
            ++pos;
        if (pos == 0 || (pos < n && seg[pos] != ' ')) {
            set_error("BAD", "Error in IMAP tag: Invalid tag");
            return SegmentResult::error;
        }
        cmd.tag.assign(seg.substr(0, pos));
        error_tag = cmd.tag;
        ++pos; // SP (or the line end)
        if (pos > n || !parser::read_name(seg, pos, cmd.name)) {
            set_error("BAD", "Error in IMAP command: Invalid command name");
            return SegmentResult::error;
        }
        if (cmd.name == "UID") {
            // "UID FETCH ...": the next atom is the real name.
            ++pos;
            if (pos > n || !parser::read_name(seg, pos, cmd.name)) {
                set_error("BAD", "Error in IMAP command: Invalid command name");
                return SegmentResult::error;
            }
            cmd.uid = true;
        }
        started = true;
    }

    while (pos < n) {
        const unsigned char c = static_cast<unsigned char>(seg[pos]);
        if (c == ' ') {
            // Dovecot accepts several spaces between arguments; so do we.
            ++pos;
            continue;
        }
        if (c == ')') {
            if (stack.size() <= 1) {
                command_error("Unexpected ')'");
                return SegmentResult::error;
            }
            stack.pop_back();
            ++pos;
            continue;
        }
        if (++arg_count > limits.max_args) {
            command_error("Too many arguments");
            return SegmentResult::error;
        }
        std::vector<Arg>& top = *stack.back();
        if (c == '(') {
            if (stack.size() > limits.max_depth) {
                command_error("Too deep nesting");
                return SegmentResult::error;
            }
            top.emplace_back();
            top.back().type = Arg::Type::list;
            stack.push_back(&top.back().children);
            ++pos;
            continue;
        }
        if (c == '"') {
            std::string text;
            ++pos;
            bool closed = false;
            while (pos < n) {
                // Copy the plain run up to the next special octet at once.
                std::size_t run = pos;
                while (run < n && seg[run] != '"' && seg[run] != '\\' && seg[run] != '\0' && seg[run] != '\r')
                    ++run;
                text.append(seg.substr(pos, run - pos));
                pos = run;
                if (pos >= n)
                    break;
                const char q = seg[pos];
                if (q == '"') {
                    closed = true;
                    ++pos;
                    break;
                }
                if (q == '\0') {
                    command_error("NULs not allowed in strings");
                    return SegmentResult::error;
                }
                if (q == '\r') {
                    command_error("CR sent without LF");
                    return SegmentResult::error;
                }
                // '\\': RFC 3501 defines \" and \\; like Dovecot, any other
                // escaped octet stands for itself.
                if (pos + 1 >= n)
                    break;
                const char e = seg[pos + 1];
                if (e == '\0') {
                    command_error("NULs not allowed in strings");
                    return SegmentResult::error;
                }
                if (e == '\r') {
                    command_error("CR sent without LF");
                    return SegmentResult::error;
                }
                text.push_back(e);
                pos += 2;
            }
            if (!closed) {
                command_error("Missing '\"'");
                return SegmentResult::error;
            }
            // UTF8=ACCEPT (RFC 9755 §3, also IMAP4rev2): a quoted string
            // may hold UTF-8 (uQUOTED-CHAR), and the server MUST answer
            // BAD to 8-bit octets in it that are not UTF-8. UTF8=ACCEPT is
            // offered after login only; before it, 8-bit octets are taken
            // as Dovecot takes them, so a legacy client's LOGIN with a
            // Latin-1 password keeps working after a move.
            if (authenticated && !parser::is_utf8(text)) {
                command_error("Invalid UTF-8 in quoted string");
                return SegmentResult::error;
            }
            top.emplace_back();
            top.back().type = Arg::Type::quoted;
            top.back().text = std::move(text);
            continue;
        }
        if (c == '{' || (c == '~' && pos + 1 < n && seg[pos + 1] == '{')) {
            LiteralMark m;
            m.literal8 = c == '~';
            pos += m.literal8 ? 2 : 1;
            std::size_t digits = pos;
            while (pos < n && seg[pos] >= '0' && seg[pos] <= '9')
                ++pos;
            const std::size_t ndigits = pos - digits;
            bool plus = pos < n && seg[pos] == '+';
            if (plus)
                ++pos;
            if (ndigits == 0 || pos >= n || seg[pos] != '}') {
                command_error("Invalid literal size");
                return SegmentResult::error;
            }
            ++pos;
            if (pos != n) {
                command_error("Missing LF after literal size");
                return SegmentResult::error;
            }
            if (ndigits > parser::max_size_digits) {
                m.size = std::numeric_limits<std::uint64_t>::max();
            } else {
                for (std::size_t i = digits; i < digits + ndigits; ++i)
                    m.size = m.size * 10 + static_cast<std::uint64_t>(seg[i] - '0');
            }
            m.sync = !plus;
            if (!authenticated) {
                // Before login the command name proves nothing (LOGIN and
                // AUTHENTICATE are the only useful commands): one small
                // in-memory budget for every literal of the command, so an
                // unauthenticated client fills neither memory nor /tmp.
                const std::uint64_t budget = limits.prelogin_literal_memory;
                if (literal_memory >= budget || m.size > budget - literal_memory) {
                    if (!m.sync) {
                        // The octets follow regardless (Dovecot's BYE text).
                        fatal("Literal size too large");
                        return SegmentResult::error;
                    }
                    // RFC 3501 §7.5: a tagged BAD instead of the continuation.
                    command_error("Literal too large");
                    return SegmentResult::error;
                }
            }
            // RFC 5464 §4.3: a SETMETADATA value (every second element of
            // its list) above the store's limit gets [METADATA MAXSIZE],
            // not the generic literal refusal: before the client sends a
            // synchronising one; a non-synchronising one is skipped by the
            // driver as for any refused command. LITERAL-'s rule for
            // non-synchronising literals above 4096 octets still applies.
            if (authenticated && limits.max_metadata_value > 0 && m.size > limits.max_metadata_value &&
                cmd.name == "SETMETADATA" && !cmd.uid && stack.size() == 2 && top.size() % 2 == 1 &&
                (m.sync || !limits.literal_minus || m.size <= parser::literal_minus_max)) {
                set_error("NO", "[METADATA MAXSIZE " + std::to_string(limits.max_metadata_value) +
                                    "] Metadata entry value too large");
                return SegmentResult::error;
            }
            // After login, APPEND's message literals (everything but the
            // mailbox name, including CATENATE's TEXT parts) have their own
            // limit and may go to the spool; all other literals stay in
            // memory. REPLACE (RFC 8508) is APPEND after a sequence number.
            const std::size_t data_from = cmd.name == "APPEND" ? 1 : cmd.name == "REPLACE" ? 2 : SIZE_MAX;
            const bool append_data = authenticated && data_from != SIZE_MAX && !(stack.size() == 1 && top.size() < data_from);
            const std::uint64_t limit = append_data ? limits.max_append_size : limits.max_literal_size;
            if (m.size > limit) {
                if (!m.sync) {
                    // The client sends the octets anyway: they cannot be
                    // told apart from commands without reading them.
                    fatal("Literal size too large");
                    return SegmentResult::error;
                }
                // RFC 7889: APPEND over APPENDLIMIT gets NO [TOOBIG] before
                // the client sends the message.
                if (append_data)
                    set_error("NO", "[TOOBIG] Mail too large");
                else
                    command_error("Literal too large");
                return SegmentResult::error;
            }
            if (!m.sync && limits.literal_minus && m.size > parser::literal_minus_max) {
                // RFC 7888 §4: reject, and close since the octets follow.
                fatal("[TOOBIG] Non-synchronizing literal larger than 4096 octets (LITERAL-)");
                return SegmentResult::error;
            }
            const bool spooled = append_data &&
                (m.size > limits.spool_threshold || literal_memory + m.size > limits.max_command_memory);
            if (!spooled && literal_memory + m.size > limits.max_command_memory) {
                if (!m.sync) {
                    fatal("Literal size too large");
                    return SegmentResult::error;
                }
                command_error("Literal too large");
                return SegmentResult::error;
            }
            if (spooled) {
                std::string why;
                if (!spool.open(limits.spool_dir, why)) {
                    if (!m.sync) {
                        fatal("Cannot store the message: " + why);
                        return SegmentResult::error;
                    }
                    set_error("NO", "[SERVERBUG] Cannot store the message: " + why);
                    return SegmentResult::error;
                }
            } else {
                literal_memory += m.size;
            }
            top.emplace_back();
            Arg& arg = top.back();
            arg.type = Arg::Type::literal;
            arg.literal8 = m.literal8;
            if (!spooled)
                arg.text.reserve(static_cast<std::size_t>(m.size));
            literal_spooled = spooled;
            mark = m;
            return SegmentResult::literal;
        }

        // An atom, with '[...]' sections kept whole (BODY[HEADER.FIELDS
        // (From To)]<0.100>) and list-mailbox wildcards allowed.
        const std::size_t start = pos;
        int brackets = 0;
        while (pos < n) {
            const unsigned char a = static_cast<unsigned char>(seg[pos]);
            if (a == '\r') {
                command_error("CR sent without LF");
                return SegmentResult::error;
            }
            if (brackets > 0) {
                if (a == '\0' || (parser::is_ctl(a) && a != '\t')) {
                    command_error("Invalid characters in atom");
                    return SegmentResult::error;
                }
                if (a == '[') {
                    ++brackets;
                } else if (a == ']') {
                    --brackets;
                } else if (a == '"') {
                    // A quoted string inside a section may hold ']' or ')'.
                    ++pos;
                    while (pos < n && seg[pos] != '"') {
                        // An escaped octet is checked too: "\<NUL>" must not
                        // smuggle a NUL into the atom.
                        const std::size_t at = (seg[pos] == '\\' && pos + 1 < n) ? pos + 1 : pos;
                        if (seg[at] == '\0' || seg[at] == '\r') {
                            command_error(seg[at] == '\r' ? "CR sent without LF" : "NULs not allowed in strings");
                            return SegmentResult::error;
                        }
                        pos = at + 1;
                    }
                    if (pos >= n) {
                        command_error("Missing '\"'");
                        return SegmentResult::error;
                    }
                }
                ++pos;
                continue;
            }
            if (parser::ends_atom(a))
                break;
            if (a >= 0x80) {
                command_error("8bit data in atom");
                return SegmentResult::error;
            }
            if (parser::is_ctl(a) || a == '"' || a == '{') {
                command_error("Invalid characters in atom");
                return SegmentResult::error;
            }
            if (a == '[')
                ++brackets;
            ++pos;
        }
        top.emplace_back();
        Arg& arg = top.back();
        arg.text.assign(seg.substr(start, pos - start));
        arg.type = parser::iequals(arg.text, "NIL") ? Arg::Type::nil : Arg::Type::atom;
    }

    if (stack.size() > 1) {
        command_error("Missing ')'");
        return SegmentResult::error;
    }
    return SegmentResult::done;
}

} // namespace imapproto
