// The IMAP command parser (stub until the real one lands).
#include <imapproto/command_parser.hpp>

namespace imapproto {

struct CommandParser::State {
    ParserLimits limits;
    std::string error_tag = "*";
    std::string error_kind = "BAD";
    std::string error_text = "not implemented";
};

CommandParser::CommandParser(ParserLimits limits) : state_(std::make_unique<State>())
{
    state_->limits = std::move(limits);
}
CommandParser::~CommandParser() = default;
CommandParser::CommandParser(CommandParser&&) noexcept = default;
CommandParser& CommandParser::operator=(CommandParser&&) noexcept = default;

ParseResult CommandParser::parse(std::string_view input, std::size_t& consumed)
{
    consumed = input.size();
    return ParseResult::fatal;
}

Command CommandParser::take_command() { return {}; }
const std::string& CommandParser::error_tag() const { return state_->error_tag; }
const std::string& CommandParser::error_kind() const { return state_->error_kind; }
const std::string& CommandParser::error_text() const { return state_->error_text; }

ParseResult CommandParser::read_line(std::string_view input, std::size_t& consumed, std::string& line)
{
    consumed = input.size();
    line.clear();
    return ParseResult::fatal;
}

void CommandParser::reset() {}

} // namespace imapproto
