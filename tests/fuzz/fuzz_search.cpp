// libFuzzer target for the SEARCH program parser (libmailstore/src/search).
// The input is parsed twice: as one line of search text (parse(text)), and
// cut at '\n' into tokens the way an IMAP command parser would hand them
// over (a line starting with '(' or ')' is a parenthesis, with '"' a string
// of the rest of the line, anything else an atom). Checks on every program
// that parses: the key count and nesting stay within the bounds search.hpp
// promises, NOT has one child and OR two, string arguments are valid UTF-8,
// sets print and parse back to themselves, needs_message and uses_saved
// agree with the keys; every error is invalid_argument, or not_supported
// naming the charset.
#include "fuzz_check.hpp"

#include <mailstore/mime/charset.hpp>
#include <mailstore/search.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mailstore::Status;
using namespace mailstore::search;

struct Walk {
    std::size_t nodes = 0;
    int max_depth = 0;
    bool needs_message = false;
    bool uses_saved = false;
};

bool is_string_key(Key k) {
    return k == Key::bcc || k == Key::cc || k == Key::from || k == Key::to || k == Key::subject ||
           k == Key::header || k == Key::body || k == Key::text;
}

void walk(const Node& node, int depth, Walk& w) {
    ++w.nodes;
    if (depth > w.max_depth)
        w.max_depth = depth;
    if (node.key == Key::not_)
        FUZZ_CHECK(node.children.size() == 1);
    else if (node.key == Key::or_)
        FUZZ_CHECK(node.children.size() == 2);
    else if (node.key == Key::and_)
        FUZZ_CHECK(!node.children.empty());
    else
        FUZZ_CHECK(node.children.empty());
    if (is_string_key(node.key)) {
        FUZZ_CHECK(mailstore::mime::is_valid_utf8(node.text));
        w.needs_message = true;
    }
    if (node.key == Key::sentbefore || node.key == Key::senton || node.key == Key::sentsince)
        w.needs_message = true;
    // RFC 8474 objectids: 1 to 255 of ALPHA / DIGIT / "_" / "-"; THREADID
    // may read the header.
    if (node.key == Key::emailid || node.key == Key::threadid) {
        FUZZ_CHECK(!node.text.empty() && node.text.size() <= 255);
        FUZZ_CHECK(node.text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                   std::string::npos);
        if (node.key == Key::threadid)
            w.needs_message = true;
    }
    if (node.key == Key::larger || node.key == Key::smaller || node.key == Key::modseq)
        FUZZ_CHECK(node.number >= 0);
    if (node.key == Key::older || node.key == Key::younger)
        FUZZ_CHECK(node.number >= 1 && node.number <= 0xFFFFFFFFll);
    // RFC 9738 §3.2: UIDAFTER/UIDBEFORE take a uniqueid (nz-number).
    if (node.key == Key::uidafter || node.key == Key::uidbefore)
        FUZZ_CHECK(node.number >= 1 && node.number <= 0xFFFFFFFFll);
    if (node.key == Key::sequence || node.key == Key::uid) {
        w.uses_saved = w.uses_saved || node.set.saved;
        FUZZ_CHECK(node.set.saved == node.set.ranges.empty());
        auto again = SequenceSet::parse(node.set.to_string());
        FUZZ_CHECK(again.has_value() && *again == node.set);
    }
    for (const auto& child : node.children)
        walk(child, depth + 1, w);
}

void check(const mailstore::Result<Program>& program) {
    if (!program) {
        const Status& st = program.status();
        FUZZ_CHECK(st.code() == Status::Code::invalid_argument || st.code() == Status::Code::not_supported);
        FUZZ_CHECK(!st.message().empty() || st.code() == Status::Code::not_supported);
        if (st.code() == Status::Code::not_supported)
            FUZZ_CHECK(!mailstore::mime::is_known_charset(st.message()));
        return;
    }
    FUZZ_CHECK(program->root.key == Key::and_);
    Walk w;
    walk(program->root, 0, w);
    // The root plus at most 10,000 keys, nested at most 64 deep below it.
    FUZZ_CHECK(w.nodes <= 10001);
    FUZZ_CHECK(w.max_depth <= 64);
    FUZZ_CHECK(w.needs_message == program->needs_message);
    FUZZ_CHECK(w.uses_saved == program->uses_saved);
    if (!program->charset.empty())
        FUZZ_CHECK(mailstore::mime::is_known_charset(program->charset));
}

std::vector<Token> tokens_of(std::string_view input) {
    std::vector<Token> tokens;
    std::size_t pos = 0;
    while (pos <= input.size()) {
        std::size_t nl = input.find('\n', pos);
        std::string_view line = input.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        if (!line.empty() && line[0] == '(')
            tokens.push_back({Token::Kind::list_begin, {}});
        else if (!line.empty() && line[0] == ')')
            tokens.push_back({Token::Kind::list_end, {}});
        else if (!line.empty() && line[0] == '"')
            tokens.push_back({Token::Kind::string, std::string(line.substr(1))});
        else
            tokens.push_back({Token::Kind::atom, std::string(line)});
        if (nl == std::string_view::npos)
            break;
        pos = nl + 1;
    }
    return tokens;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // SEARCH lines are bounded by imap_max_line_length (64 KiB by default).
    if (size > 256 * 1024)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(parse(text));
    auto tokens = tokens_of(text);
    check(parse(tokens, true));
    check(parse(tokens, false));
    return 0;
}
