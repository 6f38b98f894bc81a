// SORT and UID SORT (RFC 5256 §3), ESORT's RETURN options (RFC 5267 §3),
// SORT=DISPLAY's DISPLAYFROM/DISPLAYTO (RFC 5957), SEARCHRES's SAVE
// (RFC 5182 §2.4) and CONTEXT=SORT's PARTIAL and UPDATE (RFC 5267 §4; the
// UPDATE context lives in session/search_updates).
//
//   SORT [RETURN (options)] (criteria) charset search-keys
//
// The search program is parsed by libmailstore's search module with the
// charset given to it as "CHARSET name"; the criteria by its sort module.
// Like SEARCH, the program is evaluated in slices of the view when it reads
// message contents, and the sort keys of messages whose keys are not in
// the index cache are computed in slices too, so a SORT over a big mailbox
// hands control back to the session in between. No EXPUNGE is sent while
// SORT runs (RFC 5256 §3), so the sequence numbers stay valid throughout.
// Errors are answered with Dovecot's texts.
#include "commands/commands.hpp"
#include "session/utf8_accept.hpp"
#include "commands/message_set.hpp"
#include "commands/search_program.hpp"
#include "commands/search_result.hpp"
#include "session/search_updates.hpp"
#include "session/uidonly.hpp"

#include <mailstore/search.hpp>
#include <mailstore/sort.hpp>

#include <algorithm>
#include <ctime>
#include <strings.h>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;
namespace search = mailstore::search;

// Messages per slice of sort keys when they need headers not cached (the
// search itself runs in SlicedSearch's slices).
constexpr std::size_t kSortSlice = 1000;
// Bytes collected before they are handed to the output queue.
constexpr std::size_t kChunk = 16 * 1024;

void flush_chunk(Context& ctx, std::string& line, bool force) {
    if (line.size() >= kChunk || (force && !line.empty())) {
        ctx.out().append(line);
        line.clear();
    }
}

// "* SORT 3 1 2", with "(MODSEQ n)" after a MODSEQ search key (RFC 7162
// §3.1.5), written in pieces.
void write_sort_line(Context& ctx, const std::vector<std::uint32_t>& ids, std::uint64_t modseq) {
    std::string line = "* SORT";
    for (std::uint32_t id : ids) {
        line += ' ';
        line += std::to_string(id);
        flush_chunk(ctx, line, false);
    }
    if (modseq != 0 && !ids.empty())
        line += " (MODSEQ " + std::to_string(modseq) + ")";
    line += "\r\n";
    flush_chunk(ctx, line, true);
}

class SortRun final : public CommandRun {
public:
    SortRun(search::Program program, std::vector<search::SortCriterion> criteria, SearchReturn ret, bool uid)
        : want_modseq_(program_uses(program, search::Key::modseq)), search_(std::move(program)),
          criteria_(std::move(criteria)), ret_(ret), uid_(uid) {}

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            finish_search_failure(
                ctx, mailstore::Status::error(mailstore::Status::Code::internal, "mailbox closed during SORT"),
                ret_.save);
            return Progress::done;
        }
        ms::Mailbox& mailbox = *sel->mailbox;
        if (!sorter_) {
            switch (search_.run(ctx, mailbox)) {
            case SlicedSearch::Step::more:
                return Progress::more_output; // let the session breathe between slices
            case SlicedSearch::Step::failed:
                finish_search_failure(ctx, search_.error(), ret_.save);
                return Progress::done;
            case SlicedSearch::Step::done:
                break;
            }
            sorter_.emplace(criteria_, std::move(search_.matches()));
        }
        std::size_t slice = sorter_->needs_header() ? kSortSlice : 0;
        auto loaded = sorter_->load(mailbox, slice);
        if (!loaded) {
            finish_search_failure(ctx, loaded.status(), ret_.save);
            return Progress::done;
        }
        if (!*loaded)
            return Progress::more_output;
        finish(ctx, mailbox, sorter_->finish());
        return Progress::done;
    }

private:
    void finish(Context& ctx, ms::Mailbox& mailbox, std::vector<ms::Seq> sorted) {
        const ms::View& view = mailbox.view();
        SearchMatches matches;
        std::vector<std::uint32_t> uids;
        matches.ids.reserve(sorted.size());
        if (ret_.save)
            uids.reserve(sorted.size());
        for (ms::Seq seq : sorted) {
            ms::Uid uid = view.uid(seq);
            if (ret_.save)
                uids.push_back(uid);
            matches.ids.push_back(uid_ ? uid : seq);
            if (want_modseq_)
                matches.modseq = std::max<std::uint64_t>(matches.modseq, view.modseq(seq));
        }
        if (want_modseq_)
            enable_condstore_by_search(ctx, view);
        // "$" in an UPDATE context names the result saved before this
        // command (RFC 5182 §2.1), which SAVE is about to replace.
        ms::UidSet saved_before;
        if (ret_.update && ret_.save)
            saved_before = ctx.saved_result();
        // RFC 5182 §2.4 with ESORT: "$" holds the matches; with MIN/MAX
        // alone, the first/last in sort order; with PARTIAL, the positions
        // in sort order (RFC 9394 §3.2). uids are in sort order.
        if (ret_.save)
            ctx.saved_result() = saved_result_of(ret_, uids);
        // ESORT (RFC 5267 §3): the ESEARCH response in sort order: MIN/MAX
        // are the first/last sorted, ALL keeps the order (only ascending
        // runs become ranges, §3.2), PARTIAL counts positions in it (§4.4).
        if (ret_.extended)
            write_search_response(ctx, ret_, uid_, matches);
        else
            write_sort_line(ctx, matches.ids, matches.modseq);
        if (ret_.update) {
            // CONTEXT=SORT (RFC 5267 §4.3): the session keeps the result
            // in sort order and reports ADDTO/REMOVEFROM positions.
            SearchContextSpec spec;
            spec.program = std::move(search_.program());
            spec.ret = ret_;
            spec.uid = uid_;
            spec.sort = criteria_;
            if (ret_.save)
                std::swap(saved_before, ctx.saved_result());
            ctx.search_updates().add_context(ctx, ctx.tag(), std::move(spec), sorted);
            if (ret_.save)
                std::swap(saved_before, ctx.saved_result());
        }
        ctx.finish_ok("", "Sort completed.");
    }

    bool want_modseq_;
    SlicedSearch search_;
    std::vector<search::SortCriterion> criteria_;
    SearchReturn ret_;
    bool uid_;
    std::optional<search::Sorter> sorter_;
};

bool is_atom(const Arg& arg, const char* text) {
    return arg.type == Arg::Type::atom && strcasecmp(arg.text.c_str(), text) == 0;
}

} // namespace

std::unique_ptr<CommandRun> cmd_sort(Context& ctx, const Command& cmd) {
    const auto& args = cmd.args;
    std::size_t i = 0;
    SearchReturn ret;
    // RFC 5267 §3: "RETURN (options)" right after the command name.
    if (!args.empty() && is_atom(args[0], "RETURN") && args.size() >= 2 && args[1].type == Arg::Type::list) {
        std::string error;
        auto parsed = parse_search_return(args[1], error);
        if (!parsed) {
            finish_syntax_error(ctx, error);
            return nullptr;
        }
        ret = *parsed;
        i = 2;
        // RFC 5267 §4.3: a tag that names an open UPDATE context may not
        // start another one.
        if (ret.update && ctx.search_updates().has_context(ctx.tag())) {
            finish_syntax_error(ctx, "Duplicate search update tag");
            return nullptr;
        }
    }
    if (i >= args.size() || args[i].type != Arg::Type::list) {
        finish_syntax_error(ctx, "Invalid sort argument");
        return nullptr;
    }
    std::vector<search::Token> sort_tokens;
    for (const Arg& child : args[i].children) {
        if (child.type == Arg::Type::list) {
            finish_syntax_error(ctx, "Invalid sort list argument");
            return nullptr;
        }
        sort_tokens.push_back({search::Token::Kind::atom, child.type == Arg::Type::nil ? "NIL" : child.text});
    }
    auto criteria = search::parse_sort_criteria(sort_tokens);
    if (!criteria) {
        finish_syntax_error(ctx, criteria.status().message());
        return nullptr;
    }
    ++i;
    // RFC 5256 §3: the charset is mandatory; an atom or a string.
    if (i >= args.size() || args[i].type == Arg::Type::list) {
        finish_syntax_error(ctx, "Invalid charset argument");
        return nullptr;
    }
    if (refuse_charset_after_utf8_accept(ctx, args[i].text, true))
        return nullptr;
    std::vector<search::Token> tokens;
    tokens.push_back({search::Token::Kind::atom, "CHARSET"});
    tokens.push_back({search::Token::Kind::atom, args[i].type == Arg::Type::nil ? "NIL" : args[i].text});
    ++i;
    auto rest = search_tokens(args, i);
    tokens.insert(tokens.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    auto program = search::parse(tokens, true);
    if (!program) {
        const auto& status = program.status();
        if (status.code() == mailstore::Status::Code::not_supported) {
            if (ret.save)
                ctx.saved_result() = ms::UidSet();
            finish_bad_charset(ctx);
        } else if (status.code() == mailstore::Status::Code::invalid_argument) {
            finish_syntax_error(ctx, status.message());
        } else {
            if (ret.save)
                ctx.saved_result() = ms::UidSet();
            ctx.finish_status(status);
        }
        return nullptr;
    }
    if (refuse_sequence_search_keys(ctx, *program))
        return nullptr;
    auto run = std::make_unique<SortRun>(std::move(program).value(), std::move(criteria).value(), ret, cmd.uid);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
