// libFuzzer target for the IMAP command parser (libimapproto/src/parser).
// The input is the client's byte stream. It is parsed twice: fed whole, and
// in pieces of random sizes (a generator seeded from the input), and both
// runs must report exactly the same commands, continuations and errors.
// Checks on the way: consumed never exceeds what was offered and need_more
// means everything was used; a command's arguments respect max_depth,
// max_args and the literal limits; spooled literals are files of the
// announced size; the parser's memory stays within its bound while reading
// and returns to a few KiB after each command.
//
// Half of the inputs (chosen by a hash) run with tiny limits so the bounds
// and the APPEND spool are reached by short inputs; the others with the
// defaults. The corpus files are plain IMAP client streams.
#include "fuzz_check.hpp"

#include <imapproto/command_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using imapproto::Arg;
using imapproto::Command;
using imapproto::CommandParser;
using imapproto::ParseResult;
using imapproto::ParserLimits;

namespace {

std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size)
{
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < size; ++i) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct Rng {
    std::uint64_t s;
    std::uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

ParserLimits pick_limits(std::uint64_t h)
{
    ParserLimits l;
    l.spool_dir = "/tmp";
    if (h & 1) {
        l.max_line_length = 32 + (h >> 8) % 96;
        l.max_literal_size = (h >> 16) % 64;
        l.max_command_memory = 16 + (h >> 24) % 128;
        l.max_append_size = 64 + (h >> 32) % 512;
        l.prelogin_literal_memory = (h >> 44) % 64;
        l.spool_threshold = (h >> 40) % 32;
        l.max_depth = 1 + (h >> 48) % 6;
        l.max_args = 1 + (h >> 52) % 24;
        l.literal_minus = (h >> 60) & 1;
    }
    return l;
}

struct Stats {
    std::size_t args = 0;
    std::uint64_t memory = 0;
    std::size_t spooled = 0;
};

void check_args(const std::vector<Arg>& args, const ParserLimits& l, std::size_t depth, Stats& st, std::string& out)
{
    FUZZ_CHECK(depth <= l.max_depth);
    for (const Arg& a : args) {
        ++st.args;
        out += ' ';
        switch (a.type) {
        case Arg::Type::atom:
        case Arg::Type::nil:
            FUZZ_CHECK(!a.text.empty());
            FUZZ_CHECK(a.text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
            out += (a.type == Arg::Type::nil ? "N:" : "A:") + a.text;
            break;
        case Arg::Type::quoted:
            FUZZ_CHECK(a.text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
            out += "Q:" + a.text;
            break;
        case Arg::Type::literal:
            if (a.spool) {
                ++st.spooled;
                FUZZ_CHECK(a.text.empty());
                struct stat sb {};
                FUZZ_CHECK(::fstat(a.spool->fd(), &sb) == 0);
                FUZZ_CHECK(static_cast<std::uint64_t>(sb.st_size) == a.spool->size());
                FUZZ_CHECK(a.spool->size() <= l.max_append_size);
                std::string data(static_cast<std::size_t>(a.spool->size()), '\0');
                FUZZ_CHECK(::pread(a.spool->fd(), data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
                out += "S:" + data;
            } else {
                st.memory += a.text.size();
                FUZZ_CHECK(a.text.size() <= l.max_command_memory);
                out += "L:" + a.text;
            }
            if (!a.literal8)
                FUZZ_CHECK(a.size() == 0 || out.find('\0', out.size() - a.size()) == std::string::npos);
            break;
        case Arg::Type::list:
            out += '(';
            check_args(a.children, l, depth + 1, st, out);
            out += ')';
            break;
        }
    }
}

// The bound of CommandParser::memory_used(): the line buffer may have grown
// to twice the line limit, plus the command's literals and the spool's
// staging buffer.
std::size_t memory_bound(const ParserLimits& l)
{
    return 2 * (l.max_line_length + 2) + l.max_command_memory + 64 * 1024 + 4096;
}

// A parser starts as for a client that has not logged in; half of the
// inputs speak as a logged-in client, so APPEND reaches the spool.
std::string run(std::string_view input, const ParserLimits& limits, bool authenticated, Rng* rng)
{
    CommandParser p(limits);
    p.set_authenticated(authenticated);
    std::string log;
    std::string buf;
    std::size_t fed = 0;
    for (;;) {
        if (fed < input.size()) {
            std::size_t n = input.size() - fed;
            if (rng)
                n = std::min<std::size_t>(n, 1 + rng->next() % 64);
            buf.append(input.substr(fed, n));
            fed += n;
        }
        for (;;) {
            std::size_t consumed = 0;
            ParseResult r = p.parse(buf, consumed);
            FUZZ_CHECK(consumed <= buf.size());
            buf.erase(0, consumed);
            FUZZ_CHECK(p.memory_used() <= memory_bound(limits));
            if (r == ParseResult::need_more) {
                FUZZ_CHECK(buf.empty());
                break;
            }
            if (r == ParseResult::command) {
                Command c = p.take_command();
                FUZZ_CHECK(!c.tag.empty());
                FUZZ_CHECK(!c.name.empty());
                for (char ch : c.name)
                    FUZZ_CHECK(!(ch >= 'a' && ch <= 'z'));
                FUZZ_CHECK(p.memory_used() <= 4096 + 64 * sizeof(void*) + 128);
                Stats st;
                log += "C " + c.tag + ' ' + (c.uid ? "UID " : "") + c.name;
                check_args(c.args, limits, 0, st, log);
                FUZZ_CHECK(st.args <= limits.max_args);
                FUZZ_CHECK(st.memory <= limits.max_command_memory);
                // Before login nothing is spooled and all literals of a
                // command together stay within the pre-login budget.
                if (!authenticated) {
                    FUZZ_CHECK(st.spooled == 0);
                    FUZZ_CHECK(st.memory <= limits.prelogin_literal_memory);
                }
                log += '\n';
            } else if (r == ParseResult::continuation) {
                log += "+\n";
            } else if (r == ParseResult::error) {
                FUZZ_CHECK(!p.error_tag().empty());
                FUZZ_CHECK(p.error_kind() == "BAD" || p.error_kind() == "NO");
                FUZZ_CHECK(!p.error_text().empty());
                log += "E " + p.error_tag() + ' ' + p.error_kind() + ' ' + p.error_text() + '\n';
            } else {
                FUZZ_CHECK(!p.error_text().empty());
                log += "F " + p.error_text() + '\n';
                return log;
            }
        }
        if (fed >= input.size())
            return log;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::uint64_t h = fnv1a(data, size);
    const ParserLimits limits = pick_limits(h);
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const bool authenticated = (h >> 62) & 1;
    const std::string whole = run(input, limits, authenticated, nullptr);
    Rng rng{h | 1};
    const std::string pieces = run(input, limits, authenticated, &rng);
    FUZZ_CHECK(whole == pieces);
    return 0;
}
