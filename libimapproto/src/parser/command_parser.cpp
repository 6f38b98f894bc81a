// The streaming driver of the IMAP command parser: collects a line segment
// up to its LF (memchr, no per-byte work), hands it whole to the grammar
// (segment_parser.cpp), counts literal octets into memory or a spool file,
// and after a refused command skips what the client still sends for it.
#include "parser_state.hpp"

#include <algorithm>
#include <cstring>

namespace imapproto {

using parser::Phase;
using parser::SegmentResult;

namespace {

// Buffers larger than this are released after each command, so a session
// that once received a long line does not keep its memory.
constexpr std::size_t resting_capacity = 4096;

// Enough of a skipped line's end to recognise "~{<19 digits>+}".
constexpr std::size_t skip_tail_size = 32;

const char* find_lf(std::string_view s)
{
    if (s.empty())
        return nullptr;
    return static_cast<const char*>(std::memchr(s.data(), '\n', s.size()));
}

} // namespace

void CommandParser::State::set_error(const char* kind, std::string text)
{
    error_kind = kind;
    error_text = std::move(text);
}

void CommandParser::State::command_error(std::string_view reason)
{
    std::string text = "Error in IMAP command ";
    text += cmd.uid ? "UID " : "";
    text += cmd.name;
    text += ": ";
    text += reason;
    set_error("BAD", std::move(text));
}

void CommandParser::State::fatal(std::string text)
{
    phase = Phase::fatal;
    error_tag = "*";
    set_error("BYE", std::move(text));
}

std::uint64_t CommandParser::State::skip_limit() const
{
    if (!authenticated)
        return limits.prelogin_literal_memory;
    return std::max<std::uint64_t>(limits.max_append_size, limits.max_literal_size);
}

void CommandParser::State::clear_command()
{
    cmd = Command{};
    stack.clear();
    stack.push_back(&cmd.args);
    started = false;
    arg_count = 0;
    literal_memory = 0;
    line_used = 0;
    literal_left = 0;
    literal_spooled = false;
    spool.discard();
    if (pending.capacity() > resting_capacity)
        std::string().swap(pending);
    else
        pending.clear();
    if (stack.capacity() > 64)
        std::vector<std::vector<Arg>*>{&cmd.args}.swap(stack);
}

CommandParser::CommandParser(ParserLimits limits) : state_(std::make_unique<State>())
{
    state_->limits = std::move(limits);
    state_->clear_command();
}

CommandParser::~CommandParser() = default;
CommandParser::CommandParser(CommandParser&&) noexcept = default;
CommandParser& CommandParser::operator=(CommandParser&&) noexcept = default;

ParseResult CommandParser::parse(std::string_view input, std::size_t& consumed)
{
    State& s = *state_;
    consumed = 0;
    for (;;) {
        const std::string_view rest = input.substr(consumed);
        switch (s.phase) {
        case Phase::fatal:
            consumed = input.size();
            return ParseResult::fatal;

        case Phase::line: {
            if (!s.started && s.pending.empty() && s.line_used == 0)
                s.error_tag = "*";
            const std::size_t allowed = s.limits.max_line_length - std::min(s.line_used, s.limits.max_line_length);
            const char* lf = find_lf(rest);
            if (!lf) {
                // A trailing CR may still be the start of a CRLF.
                const std::size_t have = s.pending.size() + rest.size();
                const bool cr_last = !rest.empty() ? rest.back() == '\r' : (!s.pending.empty() && s.pending.back() == '\r');
                if (have > allowed + (cr_last ? 1 : 0)) {
                    s.fatal("Too long argument.");
                    consumed = input.size();
                    return ParseResult::fatal;
                }
                s.pending.append(rest);
                s.cmd.size += rest.size();
                consumed = input.size();
                return ParseResult::need_more;
            }
            const std::size_t len = static_cast<std::size_t>(lf - rest.data());
            std::string_view seg;
            if (s.pending.empty()) {
                seg = rest.substr(0, len);
            } else {
                s.pending.append(rest.substr(0, len));
                seg = s.pending;
            }
            consumed += len + 1;
            s.cmd.size += len + 1;
            if (!seg.empty() && seg.back() == '\r')
                seg.remove_suffix(1);
            if (seg.size() > allowed) {
                s.fatal("Too long argument.");
                consumed = input.size();
                return ParseResult::fatal;
            }
            s.line_used += seg.size();
            const SegmentResult r = s.parse_segment(seg);
            if (r == SegmentResult::done) {
                s.ready = std::move(s.cmd);
                s.clear_command();
                return ParseResult::command;
            }
            if (r == SegmentResult::literal) {
                s.pending.clear();
                s.phase = Phase::literal;
                s.literal_left = s.mark.size;
                if (s.mark.sync)
                    return ParseResult::continuation;
                continue;
            }
            if (s.phase == Phase::fatal) {
                consumed = input.size();
                return ParseResult::fatal;
            }
            // A refused command: a non-synchronising literal announced at
            // its end still arrives and must not be taken for commands.
            parser::LiteralMark m;
            const bool skip = parser::trailing_mark(seg, m) && !m.sync;
            s.clear_command();
            if (skip && m.size > s.skip_limit()) {
                s.fatal("Literal size too large");
                consumed = input.size();
                return ParseResult::fatal;
            }
            if (skip) {
                s.phase = Phase::skip_literal;
                s.skip_left = m.size;
            }
            return ParseResult::error;
        }

        case Phase::literal: {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(s.literal_left, rest.size()));
            const std::string_view chunk = rest.substr(0, take);
            Arg& arg = s.stack.back()->back();
            if (!s.mark.literal8 && !chunk.empty() && std::memchr(chunk.data(), '\0', chunk.size())) {
                // RFC 3501 §9: literals are CHAR8, no NUL; only literal8
                // (RFC 3516) may carry one. The rest still arrives: skip it.
                s.command_error("NULs not allowed in strings");
                consumed += take;
                s.skip_left = s.literal_left - take;
                s.clear_command();
                s.phase = Phase::skip_literal;
                return ParseResult::error;
            }
            if (s.literal_spooled) {
                std::string why;
                if (!s.spool.write(chunk, why)) {
                    s.fatal("Cannot store the message: " + why);
                    consumed = input.size();
                    return ParseResult::fatal;
                }
            } else {
                arg.text.append(chunk);
            }
            consumed += take;
            s.cmd.size += take;
            s.literal_left -= take;
            if (s.literal_left > 0)
                return ParseResult::need_more;
            if (s.literal_spooled) {
                std::string why;
                arg.spool = s.spool.finish(s.mark.size, why);
                if (!arg.spool) {
                    s.fatal("Cannot store the message: " + why);
                    consumed = input.size();
                    return ParseResult::fatal;
                }
                s.literal_spooled = false;
            }
            s.phase = Phase::line;
            continue;
        }

        case Phase::skip_literal: {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(s.skip_left, rest.size()));
            consumed += take;
            s.skip_left -= take;
            if (s.skip_left > 0)
                return ParseResult::need_more;
            s.phase = Phase::skip_line;
            s.skip_tail.clear();
            continue;
        }

        case Phase::skip_line: {
            const char* lf = find_lf(rest);
            const std::size_t len = lf ? static_cast<std::size_t>(lf - rest.data()) : rest.size();
            // Keep only the last octets: a skipped line costs no memory.
            std::string_view part = rest.substr(0, len);
            if (part.size() >= skip_tail_size) {
                s.skip_tail.assign(part.substr(part.size() - skip_tail_size));
            } else {
                s.skip_tail.append(part);
                if (s.skip_tail.size() > skip_tail_size)
                    s.skip_tail.erase(0, s.skip_tail.size() - skip_tail_size);
            }
            if (!lf) {
                consumed = input.size();
                return ParseResult::need_more;
            }
            consumed += len + 1;
            std::string_view tail = s.skip_tail;
            if (!tail.empty() && tail.back() == '\r')
                tail.remove_suffix(1);
            parser::LiteralMark m;
            if (parser::trailing_mark(tail, m) && !m.sync) {
                if (m.size > s.skip_limit()) {
                    s.fatal("Literal size too large");
                    consumed = input.size();
                    return ParseResult::fatal;
                }
                s.phase = Phase::skip_literal;
                s.skip_left = m.size;
            } else {
                s.phase = Phase::line;
            }
            s.skip_tail.clear();
            continue;
        }
        }
    }
}

Command CommandParser::take_command()
{
    Command out = std::move(state_->ready);
    state_->ready = Command{};
    return out;
}

const std::string& CommandParser::error_tag() const { return state_->error_tag; }
const std::string& CommandParser::error_kind() const { return state_->error_kind; }
const std::string& CommandParser::error_text() const { return state_->error_text; }

ParseResult CommandParser::read_line(std::string_view input, std::size_t& consumed, std::string& line)
{
    State& s = *state_;
    consumed = 0;
    if (s.phase == Phase::fatal) {
        consumed = input.size();
        return ParseResult::fatal;
    }
    const std::size_t allowed = s.limits.max_line_length;
    const char* lf = find_lf(input);
    if (!lf) {
        const std::size_t have = s.pending.size() + input.size();
        const bool cr_last = !input.empty() ? input.back() == '\r' : (!s.pending.empty() && s.pending.back() == '\r');
        if (have > allowed + (cr_last ? 1 : 0)) {
            s.fatal("Too long argument.");
            consumed = input.size();
            return ParseResult::fatal;
        }
        s.pending.append(input);
        consumed = input.size();
        return ParseResult::need_more;
    }
    const std::size_t len = static_cast<std::size_t>(lf - input.data());
    line.assign(s.pending);
    line.append(input.substr(0, len));
    consumed = len + 1;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (s.pending.capacity() > resting_capacity)
        std::string().swap(s.pending);
    else
        s.pending.clear();
    if (line.size() > allowed) {
        s.fatal("Too long argument.");
        consumed = input.size();
        return ParseResult::fatal;
    }
    return ParseResult::command;
}

std::size_t CommandParser::memory_used() const
{
    const State& s = *state_;
    return s.pending.capacity() + s.skip_tail.capacity() + static_cast<std::size_t>(s.literal_memory) +
        s.spool.buffer_capacity() + s.stack.capacity() * sizeof(void*);
}

void CommandParser::set_authenticated(bool authenticated) { state_->authenticated = authenticated; }
bool CommandParser::authenticated() const { return state_->authenticated; }

const std::string& CommandParser::pending_tag() const { return state_->cmd.tag; }
const std::string& CommandParser::pending_name() const { return state_->cmd.name; }
bool CommandParser::pending_uid() const { return state_->cmd.uid; }

void CommandParser::refuse_literal()
{
    State& s = *state_;
    if (s.phase != Phase::literal)
        return;
    // The client sends nothing more for this command: the next octets are
    // a new line.
    s.clear_command();
    s.phase = Phase::line;
}

void CommandParser::reset()
{
    State& s = *state_;
    s.clear_command();
    s.ready = Command{};
    s.phase = Phase::line;
    s.skip_left = 0;
    std::string().swap(s.skip_tail);
    s.error_tag = "*";
    s.error_kind = "BAD";
    s.error_text.clear();
}

} // namespace imapproto
