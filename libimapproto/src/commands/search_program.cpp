// Search arguments and sliced evaluation shared by SEARCH, SORT and THREAD.
#include "commands/search_program.hpp"

#include "commands/message_set.hpp"

#include <ctime>

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

void finish_search_failure(Context& ctx, const mailstore::Status& status, bool save) {
    if (status.code() == mailstore::Status::Code::invalid_argument) {
        finish_syntax_error(ctx, status.message());
        return;
    }
    if (save)
        ctx.saved_result() = mailstore::storage::UidSet();
    ctx.finish_status(status);
}

void enable_condstore_by_search(Context& ctx, const mailstore::storage::View& view) {
    if (ctx.enabled().condstore)
        return;
    ctx.enabled().condstore = true;
    ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(view.highest_modseq()) + "] Highest");
}

bool program_uses(const search::Program& program, search::Key key) {
    // Iterative: the parser bounds nesting, but a walk needs no stack depth.
    std::vector<const search::Node*> todo{&program.root};
    while (!todo.empty()) {
        const search::Node* node = todo.back();
        todo.pop_back();
        if (node->key == key)
            return true;
        for (const auto& child : node->children)
            todo.push_back(&child);
    }
    return false;
}

SlicedSearch::SlicedSearch(search::Program program) : program_(std::move(program)) {
    options_.now = static_cast<std::int64_t>(std::time(nullptr));
    options_.clamp_sequence_numbers = true;
}

SlicedSearch::Step SlicedSearch::run(Context& ctx, mailstore::storage::Mailbox& mailbox) {
    const mailstore::storage::Seq total = mailbox.view().count();
    progress_.start(ctx);
    options_.saved_result = &ctx.saved_result();
    if (next_ > total)
        return Step::done;
    mailstore::storage::Seq last = total;
    if (program_.needs_message && total - next_ >= kSliceWithBodies)
        last = next_ + kSliceWithBodies - 1;
    options_.first = next_;
    options_.last = last;
    auto found = search::evaluate(mailbox, program_, options_);
    if (!found) {
        error_ = found.status();
        return Step::failed;
    }
    seqs_.insert(seqs_.end(), found->begin(), found->end());
    next_ = last + 1;
    if (next_ > total)
        return Step::done;
    if (progress_.due_now(ctx))
        progress_.write(ctx, next_ - 1, total);
    return Step::more;
}

} // namespace imapproto::detail
