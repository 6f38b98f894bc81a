// Search arguments shared by SEARCH, SORT and THREAD.
#include "commands/search_program.hpp"

namespace imapproto::detail {

namespace search = mailstore::search;

namespace {

void add_tokens(const Arg& arg, std::vector<search::Token>& tokens) {
    switch (arg.type) {
    case Arg::Type::list:
        tokens.push_back({search::Token::Kind::list_begin, {}});
        for (const Arg& child : arg.children)
            add_tokens(child, tokens);
        tokens.push_back({search::Token::Kind::list_end, {}});
        return;
    case Arg::Type::nil:
        tokens.push_back({search::Token::Kind::atom, "NIL"});
        return;
    case Arg::Type::atom:
        tokens.push_back({search::Token::Kind::atom, arg.text});
        return;
    case Arg::Type::quoted:
    case Arg::Type::literal:
        tokens.push_back({search::Token::Kind::string, arg.text});
        return;
    }
}

} // namespace

std::vector<search::Token> search_tokens(const std::vector<Arg>& args, std::size_t first) {
    std::vector<search::Token> tokens;
    for (std::size_t i = first; i < args.size(); ++i)
        add_tokens(args[i], tokens);
    return tokens;
}

void finish_bad_charset(Context& ctx) {
    std::string code = "BADCHARSET (";
    bool first = true;
    for (const auto& name : search::supported_charsets()) {
        if (!first)
            code += ' ';
        first = false;
        code += name;
    }
    code += ')';
    ctx.finish_no(code, "Unsupported charset");
}

} // namespace imapproto::detail
