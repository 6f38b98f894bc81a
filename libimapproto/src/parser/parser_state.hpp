// Internal state of CommandParser (command_parser.hpp), shared by the
// streaming driver (command_parser.cpp), the line-segment grammar
// (segment_parser.cpp) and the literal spool (spool_file.cpp).
//
// A command arrives as "segments": text up to a line end, each but the last
// ending in a literal announcement ({n}, {n+}, ~{n}, ~{n+}) whose n octets
// follow. The driver collects a segment until its LF, hands it whole to the
// grammar, then counts the literal's octets into memory or a spool file.
// Only whole segments are parsed, so feeding one byte at a time gives the
// same results as feeding everything at once.
#pragma once

#include <imapproto/command_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto::parser {

// A literal announced at the end of a segment.
struct LiteralMark {
    std::uint64_t size = 0;
    bool sync = true;      // {n}: the client waits for "+ OK"
    bool literal8 = false; // ~{n} (RFC 3516)
};

// What parsing one segment produced.
enum class SegmentResult {
    done,    // the command is complete
    literal, // a literal follows (State::mark); its Arg is the last one pushed
    error,   // State::error_* are set
};

// An unlinked temporary file being filled with a literal's octets. Writes go
// through a small staging buffer so tiny reads do not cost one write() each.
class SpoolWriter {
public:
    SpoolWriter() = default;
    ~SpoolWriter();
    SpoolWriter(const SpoolWriter&) = delete;
    SpoolWriter& operator=(const SpoolWriter&) = delete;

    // Creates the file in `dir` (O_TMPFILE, else mkstemp + unlink). False
    // with `error` set when it cannot.
    bool open(const std::string& dir, std::string& error);
    // Appends bytes. False with `error` set on a write failure (ENOSPC...).
    bool write(std::string_view bytes, std::string& error);
    // Flushes and hands the descriptor to a SpooledData of `size` octets;
    // null with `error` set on failure.
    std::shared_ptr<const SpooledData> finish(std::uint64_t size, std::string& error);
    // Closes and forgets a partly written file.
    void discard();
    bool is_open() const { return fd_ >= 0; }
    std::size_t buffer_capacity() const { return staged_.capacity(); }

private:
    bool flush(std::string& error);
    int fd_ = -1;
    std::string staged_;
};

// A literal announcement at the very end of `seg` ("{n}", "{n+}", "~{n}",
// "~{n+}"): how a refused command's non-synchronising literals are found
// and skipped.
bool trailing_mark(std::string_view seg, LiteralMark& mark);

struct Phase {
    enum Kind {
        line,         // collecting a segment
        literal,      // reading a literal's octets
        skip_literal, // discarding a non-synchronising literal of a refused command
        skip_line,    // discarding the rest of a refused command's line
        fatal,        // nothing more is parsed
    };
};

} // namespace imapproto::parser

namespace imapproto {

struct CommandParser::State {
    ParserLimits limits;
    parser::Phase::Kind phase = parser::Phase::line;
    // The session's login state (CommandParser::set_authenticated): before
    // login literals are small, in memory, whatever the command.
    bool authenticated = false;

    // The segment collected so far (no LF yet).
    std::string pending;
    // Octets of earlier segments of this command (line ends excluded).
    std::size_t line_used = 0;

    // The command being built. `stack` holds the argument vectors of the
    // open lists, outermost (cmd.args) first; only the innermost one grows,
    // so the pointers to outer ones stay valid.
    Command cmd;
    bool started = false; // the tag and the name are read
    std::vector<std::vector<Arg>*> stack;
    std::size_t arg_count = 0;
    std::uint64_t literal_memory = 0;

    // The literal being read.
    parser::LiteralMark mark;
    std::uint64_t literal_left = 0;
    bool literal_spooled = false;
    parser::SpoolWriter spool;

    // skip_literal: octets left; skip_line: the last octets of the line,
    // enough to spot a trailing {n+}.
    std::uint64_t skip_left = 0;
    std::string skip_tail;

    // A finished command waiting for take_command().
    Command ready;

    std::string error_tag = "*";
    std::string error_kind = "BAD";
    std::string error_text;

    // segment_parser.cpp: parses one whole segment (line end removed).
    parser::SegmentResult parse_segment(std::string_view seg);
    // Sets the error fields; `code_text` is the full text after BAD/NO.
    void set_error(const char* kind, std::string text);
    // "Error in IMAP command NAME: reason" (Dovecot's wording).
    void command_error(std::string_view reason);
    void fatal(std::string text);
    // The largest non-synchronising literal a refused command may still
    // send and have skipped; beyond it the session ends (the octets cannot
    // be told apart from commands, and reading them costs bandwidth).
    std::uint64_t skip_limit() const;
    // Drops the command being built and returns the buffers to their
    // small resting size.
    void clear_command();
};

} // namespace imapproto
