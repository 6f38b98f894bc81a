// The IMAP command parser (RFC 3501 §9, RFC 7888 LITERAL+/LITERAL-, RFC
// 3516 literal8): bytes in, whole commands out. Streaming: feed whatever
// arrived, the parser keeps its place between calls, and memory stays
// bounded by the limits below whatever the client sends.
//
// A command becomes a tag, a name and a tree of arguments. After login,
// literals of APPEND (the message data) larger than `spool_threshold` are
// written to an unlinked temporary file instead of memory, so a 50 MB APPEND
// never sits in memory; before login every literal is small and in memory. Everything else about a command's grammar is the command's
// business: the parser only knows the generic syntax.
//
// Atoms: an atom containing '[' runs to the matching ']' including spaces
// and parentheses, so FETCH's `BODY[HEADER.FIELDS (From To)]<0.100>` is one
// atom. Quoted strings are unescaped. NIL is its own type (but also an
// atom text "NIL" for commands that take NIL as an astring).
#pragma once

#include <imapproto/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto {

// A literal kept in an unlinked temporary file. The file descriptor is
// closed with the last reference.
class IMAPPROTO_API SpooledData {
public:
    SpooledData(int fd, std::uint64_t size);
    ~SpooledData();
    SpooledData(const SpooledData&) = delete;
    SpooledData& operator=(const SpooledData&) = delete;
    int fd() const { return fd_; }
    std::uint64_t size() const { return size_; }

private:
    int fd_;
    std::uint64_t size_;
};

struct IMAPPROTO_API Arg {
    enum class Type { atom, quoted, literal, nil, list };
    Type type = Type::atom;
    // atom text, unescaped quoted text, or the literal's bytes in memory.
    std::string text;
    // A literal written to a temporary file (APPEND data beyond
    // spool_threshold): text is empty then.
    std::shared_ptr<const SpooledData> spool;
    bool literal8 = false;       // ~{n} (RFC 3516): may contain NUL
    std::vector<Arg> children;   // list elements

    bool is_string() const { return type == Type::quoted || type == Type::literal; }
    // astring: atom or string (RFC 3501); NIL counts as the atom "NIL".
    bool is_astring() const { return type == Type::atom || type == Type::nil || is_string(); }
    // Bytes of a string or atom, spooled ones included.
    std::uint64_t size() const;
};

struct IMAPPROTO_API Command {
    std::string tag;
    // Upper-cased command name. For "UID FETCH ..." name is "FETCH" and
    // uid is true.
    std::string name;
    bool uid = false;
    std::vector<Arg> args;
    // Octets of the command as received, literals included (for logs and
    // counters).
    std::uint64_t size = 0;
};

struct IMAPPROTO_API ParserLimits {
    // imap_max_line_length: the command text outside literals. A longer
    // command is fatal (BYE and disconnect: the rest cannot be told apart
    // from new commands).
    std::size_t max_line_length = 64 * 1024;
    // Literals of commands other than APPEND.
    std::size_t max_literal_size = 64 * 1024;
    // SETMETADATA entry values (RFC 5464 §4.3: a value the server cannot
    // store because of its size MUST get "NO [METADATA MAXSIZE n]"). After
    // login, a value literal larger than this is refused with that NO
    // instead of the generic literal limits: a synchronising one before the
    // client sends it (no "+"), a non-synchronising one is read and
    // discarded as for any refused command (BYE beyond that bound). 0 (the
    // default) leaves SETMETADATA to the generic limits; the session sets it
    // to the metadata store's value limit when METADATA is on.
    std::uint64_t max_metadata_value = 0;
    // All in-memory literals of one command together.
    std::size_t max_command_memory = 1024 * 1024;
    // One APPEND message literal (RFC 7889 APPENDLIMIT).
    std::uint64_t max_append_size = 256ull * 1024 * 1024;
    // APPEND literals larger than this are spooled to a file in spool_dir.
    std::size_t spool_threshold = 128 * 1024;
    std::string spool_dir = "/tmp";
    // List nesting and total number of arguments of one command.
    std::size_t max_depth = 32;
    std::size_t max_args = 100000;
    // LITERAL- (RFC 7888): non-synchronising literals above 4096 octets are
    // refused; otherwise (LITERAL+) any size up to the limits above.
    bool literal_minus = false;
    // Before login (CommandParser::set_authenticated(false), the initial
    // state) every command's literals together stay within this, whatever
    // the command name (APPEND included), and nothing is spooled: an
    // unauthenticated client gets neither memory nor disk. Dovecot 2.3's
    // login process allows about the same (an 8 KiB input buffer).
    std::size_t prelogin_literal_memory = 8 * 1024;
};

enum class ParseResult {
    need_more,    // all input consumed; feed more
    command,      // a command is complete: take_command()
    continuation, // the client waits for "+ OK" before sending a synchronising literal: send it, then parse on
    error,        // a bad command: answer "<error_tag()> <BAD|NO> <error_text()>"; the parser skipped it
    fatal,        // cannot go on: send "* BYE <error_text()>" and close
};

class IMAPPROTO_API CommandParser {
public:
    explicit CommandParser(ParserLimits limits = {});
    ~CommandParser();
    CommandParser(CommandParser&&) noexcept;
    CommandParser& operator=(CommandParser&&) noexcept;

    // Parses from `input`, setting `consumed` to the bytes used (the caller
    // drops them). Stops after each result other than need_more.
    //
    // Errors: a syntax error skips the rest of the line; a synchronising
    // literal that is too big is refused before the client sends it (BAD,
    // for APPEND after login "NO [TOOBIG]", for a SETMETADATA value "NO
    // [METADATA MAXSIZE n]") and parsing resumes at the
    // next line; a non-synchronising literal that is too big, or a line
    // longer than max_line_length, is fatal.
    ParseResult parse(std::string_view input, std::size_t& consumed);

    // The command after ParseResult::command (moves it out).
    Command take_command();

    // After error/fatal: the tag to answer with ("*" when none was read),
    // the kind ("BAD" or "NO") and the text including any response code
    // ("[TOOBIG] Literal too large", "Missing tag", ...).
    const std::string& error_tag() const;
    const std::string& error_kind() const;
    const std::string& error_text() const;

    // Raw line mode, for AUTHENTICATE's responses and IDLE's DONE: the next
    // line without its CRLF in `line`. need_more / command (a line is
    // ready) / fatal (longer than max_line_length).
    ParseResult read_line(std::string_view input, std::size_t& consumed, std::string& line);

    // Forget a partly parsed command (STARTTLS, COMPRESS).
    void reset();

    // The session's login state. A parser starts unauthenticated: literals
    // are then limited to ParserLimits::prelogin_literal_memory and never
    // spooled; a synchronising literal beyond it is refused with BAD before
    // the client sends it (RFC 3501 §7.5), a non-synchronising one is fatal.
    // Takes effect from the next literal announcement; the session sets it
    // before each parse().
    void set_authenticated(bool authenticated);
    bool authenticated() const;

    // After ParseResult::continuation: the tag and the name (upper-cased,
    // "UID " not included: see pending_uid()) of the command whose literal
    // the client waits to send, so the session can check the command exists
    // and is allowed in its state before it answers "+ OK".
    const std::string& pending_tag() const;
    const std::string& pending_name() const;
    bool pending_uid() const;
    // After ParseResult::continuation: the session answered a tagged BAD
    // instead of "+ OK", so the client drops the command without sending
    // the literal (RFC 3501 §7.5). The command is forgotten and parsing
    // resumes at the next line.
    void refuse_literal();

    // Octets the parser holds now: buffered command text, the in-memory
    // literals of the command being read and the spool's write buffer
    // (for memory accounting and the fuzz targets' bound checks). At most
    // about 2 * max_line_length + max_command_memory + 64 KiB; a few KiB
    // once a command has been taken.
    std::size_t memory_used() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace imapproto
