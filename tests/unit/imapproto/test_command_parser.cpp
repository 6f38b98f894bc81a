// Unit tests of the IMAP command parser (command_parser.hpp): every syntax
// form, every bound exactly at and one over its limit, errors and where
// parsing resumes after each, pipelining, literals split across feeds and
// spooled APPEND data. Every input is also fed one byte at a time and must
// give exactly the same transcript.
#include <doctest/doctest.h>

#include <imapproto/command_parser.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <csignal>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using imapproto::Arg;
using imapproto::Command;
using imapproto::CommandParser;
using imapproto::ParseResult;
using imapproto::ParserLimits;
using namespace std::string_literals;

namespace {

std::string show_args(const std::vector<Arg>& args);

std::string read_spool(const imapproto::SpooledData& d)
{
    std::string out(static_cast<std::size_t>(d.size()), '\0');
    ssize_t n = ::pread(d.fd(), out.data(), out.size(), 0);
    if (n < 0 || static_cast<std::size_t>(n) != out.size())
        return "<short read>";
    return out;
}

std::string show_arg(const Arg& a)
{
    switch (a.type) {
    case Arg::Type::atom:
        return a.text;
    case Arg::Type::nil:
        return "NIL<" + a.text + ">";
    case Arg::Type::quoted:
        return "\"" + a.text + "\"";
    case Arg::Type::literal:
        if (a.spool)
            return std::string(a.literal8 ? "~" : "") + "{spool " + std::to_string(a.size()) + "}" + read_spool(*a.spool);
        return std::string(a.literal8 ? "~" : "") + "{" + std::to_string(a.size()) + "}" + a.text;
    case Arg::Type::list:
        return "(" + show_args(a.children) + ")";
    }
    return "?";
}

std::string show_args(const std::vector<Arg>& args)
{
    std::string out;
    for (const Arg& a : args) {
        if (!out.empty())
            out += ' ';
        out += show_arg(a);
    }
    return out;
}

// The tests below speak as a logged-in client: APPEND limits and the spool
// apply after login (a parser that knows the login state starts
// unauthenticated; this compiles with and without that interface).
template <typename Parser>
void logged_in(Parser& p)
{
    if constexpr (requires { p.set_authenticated(true); })
        p.set_authenticated(true);
}

// Feeds `input` in pieces of `step` octets (0: all at once), handling every
// result, and returns what happened, one event per line.
std::string transcript(std::string_view input, std::size_t step, ParserLimits limits = {}, bool authenticated = true)
{
    CommandParser p(limits);
    if (authenticated)
        logged_in(p);
    std::string log;
    std::string buf;
    std::size_t fed = 0;
    for (;;) {
        if (fed < input.size()) {
            std::size_t n = step == 0 ? input.size() - fed : std::min(step, input.size() - fed);
            buf.append(input.substr(fed, n));
            fed += n;
        }
        // Parse until the buffer is used up.
        for (;;) {
            std::size_t consumed = 0;
            ParseResult r = p.parse(buf, consumed);
            REQUIRE(consumed <= buf.size());
            buf.erase(0, consumed);
            if (r == ParseResult::need_more) {
                REQUIRE(buf.empty());
                break;
            }
            if (r == ParseResult::command) {
                Command c = p.take_command();
                log += "CMD " + c.tag + " " + (c.uid ? "UID " : "") + c.name;
                if (!c.args.empty())
                    log += " [" + show_args(c.args) + "]";
                log += " size=" + std::to_string(c.size) + "\n";
            } else if (r == ParseResult::continuation) {
                log += "+\n";
            } else if (r == ParseResult::error) {
                log += "ERR " + p.error_tag() + " " + p.error_kind() + " " + p.error_text() + "\n";
            } else {
                log += "BYE " + p.error_text() + "\n";
                return log;
            }
        }
        if (fed >= input.size())
            return log;
    }
}

// The transcript, checked to be the same whether the input comes at once,
// one octet at a time or in pieces of 7.
std::string parse_all(std::string_view input, ParserLimits limits = {}, bool authenticated = true)
{
    std::string whole = transcript(input, 0, limits, authenticated);
    CHECK(transcript(input, 1, limits, authenticated) == whole);
    CHECK(transcript(input, 7, limits, authenticated) == whole);
    return whole;
}

} // namespace

TEST_CASE("parser: tag, name and UID forms")
{
    CHECK(parse_all("a1 NOOP\r\n") == "CMD a1 NOOP size=9\n");
    CHECK(parse_all("a1 noop\r\n") == "CMD a1 NOOP size=9\n");
    CHECK(parse_all("t] Capability\r\n") == "CMD t] CAPABILITY size=15\n");
    CHECK(parse_all("x UID FETCH 1:* FLAGS\r\n") == "CMD x UID FETCH [1:* FLAGS] size=23\n");
    CHECK(parse_all("x uid store 1 +FLAGS.SILENT (\\Seen)\r\n") ==
          "CMD x UID STORE [1 +FLAGS.SILENT (\\Seen)] size=37\n");
    // The session answers "UID UID" as an unknown command.
    CHECK(parse_all("x UID UID FETCH\r\n") == "CMD x UID UID [FETCH] size=17\n");
    CHECK(parse_all("x UID\r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x UID \r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x\r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x \r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x  NOOP\r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x NO(OP\r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
    CHECK(parse_all("x NO*OP\r\n") == "ERR x BAD Error in IMAP command: Invalid command name\n");
}

TEST_CASE("parser: invalid tags and empty lines")
{
    const std::string bad = "ERR * BAD Error in IMAP tag: Invalid tag\n";
    CHECK(parse_all("\r\n") == bad);
    CHECK(parse_all("\n") == bad);
    CHECK(parse_all(" NOOP\r\n") == bad);
    CHECK(parse_all("+ NOOP\r\n") == bad);
    CHECK(parse_all("a+b NOOP\r\n") == bad);
    CHECK(parse_all("* NOOP\r\n") == bad);
    CHECK(parse_all("a% NOOP\r\n") == bad);
    CHECK(parse_all("a( NOOP\r\n") == bad);
    CHECK(parse_all("a{ NOOP\r\n") == bad);
    CHECK(parse_all("\"a\" NOOP\r\n") == bad);
    CHECK(parse_all("a\\b NOOP\r\n") == bad);
    CHECK(parse_all("a\0 NOOP\r\n"s) == bad);
    CHECK(parse_all("a\tb NOOP\r\n") == bad);
    CHECK(parse_all("\xc3\xa4 NOOP\r\n") == bad);
    // Parsing resumes at the next line.
    CHECK(parse_all("\r\nb NOOP\r\n") == bad + "CMD b NOOP size=8\n");
    // A previous command's tag is not reused for a tag error.
    CHECK(parse_all("a FOO (\r\n(x\r\n") == "ERR a BAD Error in IMAP command FOO: Missing ')'\n" + bad);
}

TEST_CASE("parser: atoms, NIL, wildcards and sections")
{
    CHECK(parse_all("a LIST \"\" *\r\n") == "CMD a LIST [\"\" *] size=13\n");
    CHECK(parse_all("a LIST \"\" %/a*b\r\n") == "CMD a LIST [\"\" %/a*b] size=17\n");
    CHECK(parse_all("a X NIL nil Nil NILS\r\n") == "CMD a X [NIL<NIL> NIL<nil> NIL<Nil> NILS] size=22\n");
    CHECK(parse_all("a FETCH 1 BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>\r\n") ==
          "CMD a FETCH [1 BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>] size=54\n");
    CHECK(parse_all("a FETCH 1 (BODY[1.2.MIME] BINARY[] UID)\r\n") ==
          "CMD a FETCH [1 (BODY[1.2.MIME] BINARY[] UID)] size=41\n");
    // Quoted field names inside a section may hold ']' and ')'.
    CHECK(parse_all("a FETCH 1 BODY[HEADER.FIELDS (\"X-]\")]\r\n") ==
          "CMD a FETCH [1 BODY[HEADER.FIELDS (\"X-]\")]] size=39\n");
    // Nested brackets, ']' after a section, and an unclosed one (the
    // command judges the section).
    CHECK(parse_all("a X A[[b]c]d] B[\r\n") == "CMD a X [A[[b]c]d] B[] size=18\n");
    CHECK(parse_all("a X a]b \\Seen $Forwarded ~x\r\n") == "CMD a X [a]b \\Seen $Forwarded ~x] size=29\n");
    CHECK(parse_all("a X B[\0]\r\n"s) == "ERR a BAD Error in IMAP command X: Invalid characters in atom\n");
    CHECK(parse_all("a X B[\"a]\r\n") == "ERR a BAD Error in IMAP command X: Missing '\"'\n");
    CHECK(parse_all("a X B[\"a\r]\"]\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\n");
}

TEST_CASE("parser: bad atoms")
{
    CHECK(parse_all("a LIST \"\" a\"b\"\r\n") == "ERR a BAD Error in IMAP command LIST: Invalid characters in atom\n");
    CHECK(parse_all("a LIST \"\" a{b\r\n") == "ERR a BAD Error in IMAP command LIST: Invalid characters in atom\n");
    CHECK(parse_all("a LIST \"\" a\tb\r\n") == "ERR a BAD Error in IMAP command LIST: Invalid characters in atom\n");
    CHECK(parse_all("a LIST \"\" \x7f\r\n") == "ERR a BAD Error in IMAP command LIST: Invalid characters in atom\n");
    CHECK(parse_all("a LIST \"\" a\0b\r\nb NOOP\r\n"s) ==
          "ERR a BAD Error in IMAP command LIST: Invalid characters in atom\nCMD b NOOP size=8\n");
    CHECK(parse_all("a LIST \"\" \xc3\xa4\r\n") == "ERR a BAD Error in IMAP command LIST: 8bit data in atom\n");
    CHECK(parse_all("a UID FETCH 1 \xff\r\n") == "ERR a BAD Error in IMAP command UID FETCH: 8bit data in atom\n");
    // A quoted string inside a section: an escaped NUL or CR is refused like
    // a bare one (fuzz_imap_parser found "\\<NUL>" slipping into the atom).
    CHECK(parse_all("a FETCH 1 BODY[HEADER.FIELDS (\"\\\0\")]\r\nb NOOP\r\n"s) ==
          "ERR a BAD Error in IMAP command FETCH: NULs not allowed in strings\nCMD b NOOP size=8\n");
    CHECK(parse_all("a FETCH 1 BODY[HEADER.FIELDS (\"\\\rx\")]\r\n"s) ==
          "ERR a BAD Error in IMAP command FETCH: CR sent without LF\n");
}

TEST_CASE("parser: quoted strings")
{
    CHECK(parse_all("a LOGIN \"us er\" \"p\\\"w\\\\d\"\r\n") == "CMD a LOGIN [\"us er\" \"p\"w\\d\"] size=27\n");
    CHECK(parse_all("a X \"\"\r\n") == "CMD a X [\"\"] size=8\n");
    // Like Dovecot, an unknown escape stands for the escaped octet.
    CHECK(parse_all("a X \"q\\xb\"\r\n") == "CMD a X [\"qxb\"] size=12\n");
    // UTF-8 (UTF8=ACCEPT, RFC 9755 §3) is kept as it is; other 8-bit
    // octets are refused.
    CHECK(parse_all("a X \"\xc3\xa4\"\r\n") == "CMD a X [\"\xc3\xa4\"] size=10\n");
    CHECK(parse_all("a X \"\xc3\xa4\xff\"\r\nb NOOP\r\n") ==
          "ERR a BAD Error in IMAP command X: Invalid UTF-8 in quoted string\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X \"\xc0\xaf\"\r\n") == "ERR a BAD Error in IMAP command X: Invalid UTF-8 in quoted string\n");
    // Before login (no UTF8=ACCEPT offered yet) they are kept, as Dovecot does.
    CHECK(parse_all("a LOGIN u \"p\xe4ss\"\r\n", {}, false) == "CMD a LOGIN [u \"p\xe4ss\"] size=18\n");
    // No separator is needed around quoted strings or lists (Dovecot).
    CHECK(parse_all("a LIST \"\"(\"*\")\"x\"\r\n") == "CMD a LIST [\"\" (\"*\") \"x\"] size=19\n");
    CHECK(parse_all("a X \"abc\r\n") == "ERR a BAD Error in IMAP command X: Missing '\"'\n");
    CHECK(parse_all("a X \"abc\\\"\r\n") == "ERR a BAD Error in IMAP command X: Missing '\"'\n");
    CHECK(parse_all("a X \"abc\\\r\n") == "ERR a BAD Error in IMAP command X: Missing '\"'\n");
    CHECK(parse_all("a X \"a\0b\"\r\nb NOOP\r\n"s) ==
          "ERR a BAD Error in IMAP command X: NULs not allowed in strings\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X \"a\\\0b\"\r\n"s) == "ERR a BAD Error in IMAP command X: NULs not allowed in strings\n");
    CHECK(parse_all("a X \"a\rb\"\r\nb NOOP\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X \"a\\\rb\"\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\n");
}

TEST_CASE("parser: lists")
{
    CHECK(parse_all("a X ()\r\n") == "CMD a X [()] size=8\n");
    CHECK(parse_all("a X (a (b (c)) () \"d\")\r\n") == "CMD a X [(a (b (c)) () \"d\")] size=24\n");
    CHECK(parse_all("a X ((()))x\r\n") == "CMD a X [((())) x] size=13\n");
    CHECK(parse_all("a X (a\r\n") == "ERR a BAD Error in IMAP command X: Missing ')'\n");
    CHECK(parse_all("a X a)\r\n") == "ERR a BAD Error in IMAP command X: Unexpected ')'\n");
    CHECK(parse_all("a X )\r\nb NOOP\r\n") == "ERR a BAD Error in IMAP command X: Unexpected ')'\nCMD b NOOP size=8\n");
}

TEST_CASE("parser: spaces, line ends and CR")
{
    // Several spaces and a trailing space are accepted, as Dovecot does.
    CHECK(parse_all("a LIST  \"\"   * \r\n") == "CMD a LIST [\"\" *] size=17\n");
    // A bare LF ends a line too (Dovecot accepts it).
    CHECK(parse_all("a NOOP\nb LIST \"\" *\n") == "CMD a NOOP size=7\nCMD b LIST [\"\" *] size=12\n");
    CHECK(parse_all("a X a\rb\r\nc NOOP\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\nCMD c NOOP size=8\n");
    CHECK(parse_all("a X a\r\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\n");
    CHECK(parse_all("a X \r*\r\n") == "ERR a BAD Error in IMAP command X: CR sent without LF\n");
    CHECK(parse_all("a NOOP\rb NOOP\r\n") == "ERR a BAD Error in IMAP command: Invalid command name\n");
    // Without a line end nothing happens yet.
    CHECK(parse_all("a NOOP") == "");
    CHECK(parse_all("a NOOP\r") == "");
}

TEST_CASE("parser: pipelined commands in one buffer")
{
    std::string in;
    std::string want;
    for (int i = 0; i < 50; ++i) {
        std::string tag = "t" + std::to_string(i);
        in += tag + " FETCH " + std::to_string(i + 1) + " (FLAGS UID)\r\n";
        want += "CMD " + tag + " FETCH [" + std::to_string(i + 1) + " (FLAGS UID)] size=" +
                std::to_string(tag.size() + 7 + std::to_string(i + 1).size() + 14) + "\n";
    }
    CHECK(parse_all(in) == want);
}

TEST_CASE("parser: synchronising literals")
{
    CHECK(parse_all("a LOGIN {4}\r\nuser {4}\r\npass\r\n") == "+\n+\nCMD a LOGIN [{4}user {4}pass] size=29\n");
    CHECK(parse_all("a X {0}\r\n\r\n") == "+\nCMD a X [{0}] size=11\n");
    CHECK(parse_all("a X {01}\r\nz\r\n") == "+\nCMD a X [{1}z] size=13\n");
    // Literal octets are taken as they are: CRLF, parentheses, 8-bit.
    CHECK(parse_all("a X ({5}\r\n(\r\n\xff) y)\r\n") == "+\nCMD a X [({5}(\r\n\xff) y)] size=20\n");
    // A bare LF after the size is enough.
    CHECK(parse_all("a X {1}\nz\n") == "+\nCMD a X [{1}z] size=10\n");
    // Text right after a literal continues the line.
    CHECK(parse_all("a X {1}\r\nz\"q\"(y)\r\n") == "+\nCMD a X [{1}z \"q\" (y)] size=18\n");
    CHECK(parse_all("a X {1}\r\nz)\r\n") == "+\nERR a BAD Error in IMAP command X: Unexpected ')'\n");
    CHECK(parse_all("a X {1}x\r\nb NOOP\r\n") == "ERR a BAD Error in IMAP command X: Missing LF after literal size\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X {x}\r\n") == "ERR a BAD Error in IMAP command X: Invalid literal size\n");
    CHECK(parse_all("a X {}\r\n") == "ERR a BAD Error in IMAP command X: Invalid literal size\n");
    CHECK(parse_all("a X {1\r\n") == "ERR a BAD Error in IMAP command X: Invalid literal size\n");
    CHECK(parse_all("a X {-1}\r\n") == "ERR a BAD Error in IMAP command X: Invalid literal size\n");
    CHECK(parse_all("a X {1++}\r\n") == "ERR a BAD Error in IMAP command X: Invalid literal size\n");
}

TEST_CASE("parser: non-synchronising literals (LITERAL+)")
{
    CHECK(parse_all("a LOGIN {4+}\r\nuser {4+}\r\npass\r\nb NOOP\r\n") ==
          "CMD a LOGIN [{4}user {4}pass] size=31\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X ~{3+}\r\nabc\r\n") == "CMD a X [~{3}abc] size=16\n");
    CHECK(parse_all("a X {0+}\r\n\r\n") == "CMD a X [{0}] size=12\n");
}

TEST_CASE("parser: NUL bytes and literal8")
{
    CHECK(parse_all("a X ~{3}\r\na\0b\r\n"s) == "+\nCMD a X [~{3}a\0b] size=15\n"s);
    // RFC 3501 CHAR8: a plain literal may not hold NUL. The command is
    // refused and the rest of its line skipped.
    CHECK(parse_all("a X {3}\r\na\0b (x\r\nb NOOP\r\n"s) ==
          "+\nERR a BAD Error in IMAP command X: NULs not allowed in strings\nCMD b NOOP size=8\n");
    // ... also when more non-synchronising literals follow on that line.
    CHECK(parse_all("a X {3+}\r\n\0bc {2+}\r\nzz\r\nb NOOP\r\n"s) ==
          "ERR a BAD Error in IMAP command X: NULs not allowed in strings\nCMD b NOOP size=8\n");
}

TEST_CASE("parser: a refused command's non-synchronising literals are skipped")
{
    // The client sends a {n+} literal whatever the server thinks of the
    // line: it must not be run as commands.
    CHECK(parse_all("a X ) {12+}\r\nc1 DELETE x\r\nb NOOP\r\n") ==
          "ERR a BAD Error in IMAP command X: Unexpected ')'\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X ) ~{3+}\r\nx\r\n {2+}\r\nzz\r\nb NOOP\r\n") ==
          "ERR a BAD Error in IMAP command X: Unexpected ')'\nCMD b NOOP size=8\n");
    // A synchronising one is not sent: the next line is a new command.
    CHECK(parse_all("a X ) {12}\r\nb NOOP\r\n") == "ERR a BAD Error in IMAP command X: Unexpected ')'\nCMD b NOOP size=8\n");
    CHECK(parse_all("( {3+}\r\nabc\r\nb NOOP\r\n") == "ERR * BAD Error in IMAP tag: Invalid tag\nCMD b NOOP size=8\n");
}

TEST_CASE("parser: literal size limits")
{
    ParserLimits l;
    l.max_literal_size = 10;
    l.max_append_size = 20;
    l.spool_threshold = 1000;
    CHECK(parse_all("a X {10}\r\n0123456789\r\n", l) == "+\nCMD a X [{10}0123456789] size=22\n");
    CHECK(parse_all("a X {11}\r\nb NOOP\r\n", l) == "ERR a BAD Error in IMAP command X: Literal too large\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X {10+}\r\n0123456789\r\n", l) == "CMD a X [{10}0123456789] size=23\n");
    CHECK(parse_all("a X {11+}\r\n01234567890\r\n", l) == "BYE Literal size too large\n");
    CHECK(parse_all("a X {99999999999999999999999}\r\nb NOOP\r\n", l) ==
          "ERR a BAD Error in IMAP command X: Literal too large\nCMD b NOOP size=8\n");
    // APPEND: the mailbox name has the normal limit, the message its own.
    CHECK(parse_all("a APPEND {5}\r\nINBOX {20}\r\n01234567890123456789\r\n", l) ==
          "+\n+\nCMD a APPEND [{5}INBOX {20}01234567890123456789] size=48\n");
    CHECK(parse_all("a APPEND {11}\r\nb NOOP\r\n", l) ==
          "ERR a BAD Error in IMAP command APPEND: Literal too large\nCMD b NOOP size=8\n");
    CHECK(parse_all("a APPEND INBOX (\\Seen) {21}\r\nb NOOP\r\n", l) ==
          "ERR a NO [TOOBIG] Mail too large\nCMD b NOOP size=8\n");
    CHECK(parse_all("a APPEND INBOX {99999999999}\r\nb NOOP\r\n", l) == "ERR a NO [TOOBIG] Mail too large\nCMD b NOOP size=8\n");
    CHECK(parse_all("a APPEND INBOX {21+}\r\n", l) == "BYE Literal size too large\n");
    // CATENATE's parts inside a list count as message data.
    CHECK(parse_all("a APPEND INBOX CATENATE (TEXT {21}\r\nb NOOP\r\n", l) ==
          "ERR a NO [TOOBIG] Mail too large\nCMD b NOOP size=8\n");
}

TEST_CASE("parser: LITERAL- allows non-synchronising literals up to 4096 octets")
{
    ParserLimits l;
    l.literal_minus = true;
    const std::string at(4096, 'x');
    CHECK(parse_all("a X {4096+}\r\n" + at + "\r\n", l) == "CMD a X [{4096}" + at + "] size=4111\n");
    CHECK(parse_all("a X {4097+}\r\n" + at + "x\r\n", l) ==
          "BYE [TOOBIG] Non-synchronizing literal larger than 4096 octets (LITERAL-)\n");
    // Synchronising literals keep the normal limit.
    CHECK(parse_all("a X {4097}\r\n" + at + "x\r\n", l) == "+\nCMD a X [{4097}" + at + "x] size=4111\n");
}

TEST_CASE("parser: memory of all literals of one command")
{
    ParserLimits l;
    l.max_literal_size = 100;
    l.max_command_memory = 10;
    CHECK(parse_all("a X {5}\r\n01234 {5}\r\n56789\r\n", l) == "+\n+\nCMD a X [{5}01234 {5}56789] size=27\n");
    CHECK(parse_all("a X {5}\r\n01234 {6}\r\nb NOOP\r\n", l) ==
          "+\nERR a BAD Error in IMAP command X: Literal too large\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X {5}\r\n01234 {6+}\r\n012345\r\n", l) == "+\nBYE Literal size too large\n");
    // Memory is per command.
    CHECK(parse_all("a X {10}\r\n0123456789\r\nb X {10}\r\n0123456789\r\n", l) ==
          "+\nCMD a X [{10}0123456789] size=22\n+\nCMD b X [{10}0123456789] size=22\n");
}

TEST_CASE("parser: line length limit")
{
    ParserLimits l;
    l.max_line_length = 20;
    // Exactly 20 octets outside literals (line ends excluded) is fine.
    CHECK(parse_all("a X 0123456789abcdef\r\n", l) == "CMD a X [0123456789abcdef] size=22\n");
    CHECK(parse_all("a X 0123456789abcdef\n", l) == "CMD a X [0123456789abcdef] size=21\n");
    CHECK(parse_all("a X 0123456789abcdefg\r\n", l) == "BYE Too long argument.\n");
    CHECK(parse_all("a X 0123456789abcdefg", l) == "BYE Too long argument.\n");
    CHECK(parse_all("a X 0123456789abcdef\r", l) == "");
    CHECK(parse_all("a X 0123456789abcdef\rx", l) == "BYE Too long argument.\n");
    // Literals do not count, the text around them does.
    CHECK(parse_all("a X {30+}\r\n012345678901234567890123456789 x\r\n", ParserLimits{20, 100}) ==
          "CMD a X [{30}012345678901234567890123456789 x] size=45\n");
    CHECK(parse_all("a X {3+}\r\n012 012345678901\r\n", l) == "BYE Too long argument.\n");
    // Everything after a fatal error is ignored.
    CHECK(parse_all("a X 0123456789abcdefghij\r\nb NOOP\r\n", l) == "BYE Too long argument.\n");
}

TEST_CASE("parser: nesting depth and argument count")
{
    ParserLimits l;
    l.max_depth = 3;
    l.max_args = 5;
    CHECK(parse_all("a X (((x)))\r\n", l) == "CMD a X [(((x)))] size=13\n");
    CHECK(parse_all("a X ((((x))))\r\nb NOOP\r\n", l) == "ERR a BAD Error in IMAP command X: Too deep nesting\nCMD b NOOP size=8\n");
    CHECK(parse_all("a X 1 2 3 4 5\r\n", l) == "CMD a X [1 2 3 4 5] size=15\n");
    CHECK(parse_all("a X 1 2 3 4 5 6\r\nb NOOP\r\n", l) == "ERR a BAD Error in IMAP command X: Too many arguments\nCMD b NOOP size=8\n");
    // Lists count as arguments too.
    CHECK(parse_all("a X (1 2) (3)\r\n", l) == "CMD a X [(1 2) (3)] size=15\n");
    CHECK(parse_all("a X (1 2) (3 4)\r\n", l) == "ERR a BAD Error in IMAP command X: Too many arguments\n");
    // The default depth bound holds against a long run of '('.
    CHECK(parse_all("a X " + std::string(33, '(') + "\r\n") == "ERR a BAD Error in IMAP command X: Too deep nesting\n");
    CHECK(parse_all("a X " + std::string(32, '(') + std::string(32, ')') + "\r\n").rfind("CMD a X", 0) == 0);
}

TEST_CASE("parser: APPEND literals above the threshold go to a spool file")
{
    ParserLimits l;
    l.spool_threshold = 16;
    l.spool_dir = "/tmp";
    std::string msg;
    for (int i = 0; i < 2000; ++i)
        msg += "Line " + std::to_string(i) + "\r\n";
    const std::string n = std::to_string(msg.size());
    // At the threshold the literal stays in memory, above it is spooled.
    CHECK(parse_all("a APPEND INBOX {16+}\r\n0123456789abcdef\r\n", l) ==
          "CMD a APPEND [INBOX {16}0123456789abcdef] size=40\n");
    CHECK(parse_all("a APPEND INBOX {17+}\r\n0123456789abcdefg\r\n", l) ==
          "CMD a APPEND [INBOX {spool 17}0123456789abcdefg] size=41\n");
    CHECK(parse_all("a APPEND INBOX (\\Seen) {" + n + "}\r\n" + msg + " {3}\r\nabc\r\n", l) ==
          "+\n+\nCMD a APPEND [INBOX (\\Seen) {spool " + n + "}" + msg + " {3}abc] size=" +
              std::to_string(38 + n.size() + msg.size()) + "\n");
    // Other commands never spool.
    CHECK(parse_all("a X {17+}\r\n0123456789abcdefg\r\n", l) == "CMD a X [{17}0123456789abcdefg] size=30\n");
    // Spooled data with NUL is refused unless it is literal8.
    CHECK(parse_all("a APPEND INBOX {17+}\r\n0123456789abcdef\0\r\nb NOOP\r\n"s, l) ==
          "ERR a BAD Error in IMAP command APPEND: NULs not allowed in strings\nCMD b NOOP size=8\n");
    CHECK(parse_all("a APPEND INBOX ~{17+}\r\n0123456789abcdef\0\r\n"s, l) ==
          "CMD a APPEND [INBOX ~{spool 17}0123456789abcdef\0] size=42\n"s);
    // Once the memory of one command is used up, APPEND spools smaller
    // literals too (MULTIAPPEND).
    l.spool_threshold = 100;
    l.max_command_memory = 10;
    CHECK(parse_all("a APPEND INBOX {8+}\r\n01234567 {8+}\r\n89abcdef\r\n", l) ==
          "CMD a APPEND [INBOX {8}01234567 {spool 8}89abcdef] size=46\n");
}

// Before login: what a client may send depends on the login state, not on
// the command name it claims.
std::string prelogin(std::string_view input, ParserLimits limits = {})
{
    return parse_all(input, std::move(limits), false);
}

TEST_CASE("parser: before login every literal is small, whatever the command")
{
    const std::string bad_append = "ERR a BAD Error in IMAP command APPEND: Literal too large\nCMD b NOOP size=8\n";
    // The report: a huge APPEND before login got "+" and went to /tmp.
    CHECK(prelogin("a APPEND INBOX {200000000}\r\nb NOOP\r\n") == bad_append);
    CHECK(prelogin("a APPEND INBOX {99999999999999999999999}\r\nb NOOP\r\n") == bad_append);
    // 8 KiB of literals per command by default, as Dovecot's login process.
    const std::string k8(8192, 'u');
    CHECK(prelogin("a LOGIN {8192}\r\n" + k8 + " p\r\n") == "+\nCMD a LOGIN [{8192}" + k8 + " p] size=8212\n");
    CHECK(prelogin("a LOGIN {8193}\r\nb NOOP\r\n") ==
          "ERR a BAD Error in IMAP command LOGIN: Literal too large\nCMD b NOOP size=8\n");
    CHECK(prelogin("a LOGIN {100000+}\r\n") == "BYE Literal size too large\n");
    // All literals of the command together.
    const std::string k4(4096, 'u');
    CHECK(prelogin("a LOGIN {4096}\r\n" + k4 + " {4096}\r\n" + k4 + "\r\n") ==
          "+\n+\nCMD a LOGIN [{4096}" + k4 + " {4096}" + k4 + "] size=8219\n");
    CHECK(prelogin("a LOGIN {4096}\r\n" + k4 + " {4097}\r\nb NOOP\r\n") ==
          "+\nERR a BAD Error in IMAP command LOGIN: Literal too large\nCMD b NOOP size=8\n");
    CHECK(prelogin("a LOGIN {4096+}\r\n" + k4 + " {4097+}\r\n") == "BYE Literal size too large\n");
    // The budget is per command.
    CHECK(prelogin("a X {8192+}\r\n" + k8 + "\r\nb X {8192+}\r\n" + k8 + "\r\n") ==
          "CMD a X [{8192}" + k8 + "] size=8207\nCMD b X [{8192}" + k8 + "] size=8207\n");

    ParserLimits l;
    l.prelogin_literal_memory = 10;
    l.spool_threshold = 4;
    l.max_literal_size = 100;
    CHECK(prelogin("a X {10}\r\n0123456789\r\n", l) == "+\nCMD a X [{10}0123456789] size=22\n");
    CHECK(prelogin("a X {11}\r\nb NOOP\r\n", l) == "ERR a BAD Error in IMAP command X: Literal too large\nCMD b NOOP size=8\n");
    CHECK(prelogin("a X {5}\r\n01234 {5}\r\n56789\r\n", l) == "+\n+\nCMD a X [{5}01234 {5}56789] size=27\n");
    CHECK(prelogin("a X {5}\r\n01234 {6}\r\nb NOOP\r\n", l) ==
          "+\nERR a BAD Error in IMAP command X: Literal too large\nCMD b NOOP size=8\n");
    // Never spooled before login, nor given APPEND's limit or its
    // NO [TOOBIG]: the same literals after login spool.
    CHECK(prelogin("a APPEND INBOX {5+}\r\n01234\r\n", l) == "CMD a APPEND [INBOX {5}01234] size=28\n");
    CHECK(parse_all("a APPEND INBOX {5+}\r\n01234\r\n", l) == "CMD a APPEND [INBOX {spool 5}01234] size=28\n");
    CHECK(prelogin("a APPEND INBOX {11}\r\nb NOOP\r\n", l) ==
          "ERR a BAD Error in IMAP command APPEND: Literal too large\nCMD b NOOP size=8\n");
    CHECK(prelogin("a APPEND INBOX {11+}\r\n01234567890\r\n", l) == "BYE Literal size too large\n");
    // A refused command's non-synchronising literal is skipped only within
    // the budget; beyond it the session ends (it would have to read it all).
    CHECK(prelogin("a X ) {10+}\r\n0123456789\r\nb NOOP\r\n", l) ==
          "ERR a BAD Error in IMAP command X: Unexpected ')'\nCMD b NOOP size=8\n");
    CHECK(prelogin("a X ) {11+}\r\n01234567890\r\nb NOOP\r\n", l) == "BYE Literal size too large\n");
    CHECK(prelogin("a X ) {3+}\r\nabc {11+}\r\n01234567890\r\nb NOOP\r\n", l) ==
          "ERR a BAD Error in IMAP command X: Unexpected ')'\nBYE Literal size too large\n");
}

TEST_CASE("parser: the login state can change between commands")
{
    ParserLimits l;
    l.prelogin_literal_memory = 4;
    CommandParser p(l);
    CHECK(!p.authenticated());
    std::size_t consumed = 0;
    CHECK(p.parse("a X {5}\r\n", consumed) == ParseResult::error);
    CHECK(p.error_text() == "Error in IMAP command X: Literal too large");
    p.set_authenticated(true);
    CHECK(p.authenticated());
    CHECK(p.parse("b X {5}\r\n", consumed) == ParseResult::continuation);
    CHECK(p.parse("01234\r\n", consumed) == ParseResult::command);
    CHECK(show_args(p.take_command().args) == "{5}01234");
    p.set_authenticated(false);
    CHECK(p.parse("c X {5+}\r\n01234\r\n", consumed) == ParseResult::fatal);
    CHECK(p.error_text() == "Literal size too large");
}

TEST_CASE("parser: the command waiting for a continuation, and refusing it")
{
    CommandParser p;
    std::size_t consumed = 0;
    CHECK(p.parse("t1 uid Copy 1 {5}\r\n", consumed) == ParseResult::continuation);
    CHECK(p.pending_tag() == "t1");
    CHECK(p.pending_name() == "COPY");
    CHECK(p.pending_uid());
    // The client got BAD instead of "+": it sends no literal, the next line
    // is a new command.
    p.refuse_literal();
    CHECK(p.parse("t2 NOOP\r\n", consumed) == ParseResult::command);
    Command c = p.take_command();
    CHECK(c.tag == "t2");
    CHECK(c.args.empty());
    CHECK(p.parse("t3 SELECT {5}\r\n", consumed) == ParseResult::continuation);
    CHECK(p.pending_name() == "SELECT");
    CHECK(!p.pending_uid());
    // Outside a literal it changes nothing.
    CHECK(p.parse("INBOX\r\n", consumed) == ParseResult::command);
    p.refuse_literal();
    CHECK(show_args(p.take_command().args) == "{5}INBOX");
    CHECK(p.parse("t4 NOOP (a", consumed) == ParseResult::need_more);
    p.refuse_literal();
    CHECK(p.parse(")\r\n", consumed) == ParseResult::command);
    CHECK(show_args(p.take_command().args) == "(a)");
}

TEST_CASE("parser: a spool directory that cannot be used")
{
    ParserLimits l;
    l.spool_threshold = 4;
    l.spool_dir = "/nonexistent-loft-dir";
    CHECK(parse_all("a APPEND INBOX {5}\r\nb NOOP\r\n", l).rfind(
              "ERR a NO [SERVERBUG] Cannot store the message: cannot create a temporary file in /nonexistent-loft-dir", 0) == 0);
    CHECK(parse_all("a APPEND INBOX {5+}\r\n12345\r\n", l).rfind("BYE Cannot store the message: cannot create", 0) == 0);
}

TEST_CASE("parser: a failed write to the spool is fatal with a clear message")
{
    // A file size limit makes write() fail as a full disk would (EFBIG
    // instead of ENOSPC); SIGXFSZ is ignored so the failure is an error.
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit small = old;
    small.rlim_cur = 100 * 1024;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    ParserLimits l;
    l.spool_threshold = 16;
    const std::string msg(200 * 1024, 'm');
    const std::string out = transcript("a APPEND INBOX {204800+}\r\n" + msg + "\r\n", 0, l);
    std::signal(SIGXFSZ, old_handler);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
    CHECK(out == "BYE Cannot store the message: cannot write the message to a temporary file: File too large\n");
}

TEST_CASE("parser: read_line for raw lines")
{
    ParserLimits l;
    l.max_line_length = 10;
    CommandParser p(l);
    std::string line;
    std::size_t consumed = 0;
    CHECK(p.read_line("dGVzdA==", consumed, line) == ParseResult::need_more);
    CHECK(consumed == 8);
    CHECK(p.read_line("\r\nDONE\r\n", consumed, line) == ParseResult::command);
    CHECK(consumed == 2);
    CHECK(line == "dGVzdA==");
    CHECK(p.read_line("DONE\r\n", consumed, line) == ParseResult::command);
    CHECK(line == "DONE");
    CHECK(p.read_line("*\n", consumed, line) == ParseResult::command);
    CHECK(line == "*");
    CHECK(p.read_line("\r\n", consumed, line) == ParseResult::command);
    CHECK(line.empty());
    CHECK(p.read_line("0123456789\r\n", consumed, line) == ParseResult::command);
    CHECK(line == "0123456789");
    // Then back to commands.
    CHECK(p.parse("a NOOP\r\n", consumed) == ParseResult::command);
    CHECK(p.take_command().name == "NOOP");
    CHECK(p.read_line("01234567890\r\n", consumed, line) == ParseResult::fatal);
    CHECK(p.error_text() == "Too long argument.");

    CommandParser q(l);
    CHECK(q.read_line("0123456789\r", consumed, line) == ParseResult::need_more);
    CHECK(q.read_line("x", consumed, line) == ParseResult::fatal);
}

TEST_CASE("parser: reset forgets a partly parsed command")
{
    CommandParser p;
    std::size_t consumed = 0;
    CHECK(p.parse("a LOGIN {5}\r\n", consumed) == ParseResult::continuation);
    p.reset();
    CHECK(p.parse("b NOOP\r\n", consumed) == ParseResult::command);
    Command c = p.take_command();
    CHECK(c.tag == "b");
    CHECK(c.args.empty());
    CHECK(p.parse("c LIST (a", consumed) == ParseResult::need_more);
    p.reset();
    CHECK(p.parse("d NOOP\r\n", consumed) == ParseResult::command);
    CHECK(p.take_command().tag == "d");
}

TEST_CASE("parser: results stop at each command and report what they used")
{
    CommandParser p;
    std::size_t consumed = 0;
    const std::string in = "a NOOP\r\nb LOGIN {1}\r\nx y\r\n";
    CHECK(p.parse(in, consumed) == ParseResult::command);
    CHECK(consumed == 8);
    CHECK(p.take_command().tag == "a");
    std::string_view rest = std::string_view(in).substr(8);
    CHECK(p.parse(rest, consumed) == ParseResult::continuation);
    CHECK(consumed == 13);
    rest.remove_prefix(13);
    CHECK(p.parse(rest, consumed) == ParseResult::command);
    CHECK(consumed == 5);
    Command c = p.take_command();
    CHECK(c.size == 18);
    REQUIRE(c.args.size() == 2);
    CHECK(c.args[0].is_string());
    CHECK(c.args[0].is_astring());
    CHECK(c.args[1].is_astring());
    CHECK(!c.args[1].is_string());
    // take_command() moves the command out.
    CHECK(p.take_command().tag.empty());
    CHECK(p.parse("", consumed) == ParseResult::need_more);
    CHECK(consumed == 0);
}

TEST_CASE("parser: a parser moved to another object keeps its place")
{
    CommandParser p;
    std::size_t consumed = 0;
    CHECK(p.parse("a X (1 {2+}\r\nab", consumed) == ParseResult::need_more);
    CommandParser q(std::move(p));
    CHECK(q.parse(" 3)\r\n", consumed) == ParseResult::command);
    CHECK(show_args(q.take_command().args) == "(1 {2}ab 3)");
}

TEST_CASE("parser: buffers shrink back after a long command")
{
    CommandParser p;
    logged_in(p);
    std::size_t consumed = 0;
    const std::string big = "a X " + std::string(60000, 'x');
    CHECK(p.parse(big, consumed) == ParseResult::need_more);
    CHECK(p.memory_used() >= 60000);
    CHECK(p.parse("\r\n", consumed) == ParseResult::command);
    CHECK(p.take_command().args.at(0).text.size() == 60000);
    CHECK(p.memory_used() <= 4096 + 1024);
    // The same after a refused one and after literals.
    CHECK(p.parse(big + ")\r\n", consumed) == ParseResult::error);
    CHECK(p.memory_used() <= 4096 + 1024);
    CHECK(p.parse("a X {60000+}\r\n", consumed) == ParseResult::need_more);
    CHECK(p.memory_used() >= 60000);
    CHECK(p.parse(std::string(60000, 'y') + "\r\n", consumed) == ParseResult::command);
    CHECK(p.memory_used() <= 4096 + 1024);
}
