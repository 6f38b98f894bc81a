// SORT and UID SORT (RFC 5256 §3), ESORT's RETURN options (RFC 5267 §3),
// SORT=DISPLAY's DISPLAYFROM/DISPLAYTO (RFC 5957) and SEARCHRES's SAVE
// (RFC 5182 §2.4).
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
#include "commands/message_set.hpp"
#include "commands/search_program.hpp"
#include "commands/search_result.hpp"

#include <imapproto/string_writer.hpp>

#include <mailstore/search.hpp>
#include <mailstore/sort.hpp>

#include <algorithm>
#include <ctime>
#include <strings.h>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;
namespace search = mailstore::search;

// Messages per slice when the program reads message contents, and per
// slice of sort keys when they need headers not cached.
constexpr ms::Seq kSliceWithBodies = 500;
constexpr std::size_t kSortSlice = 1000;
// Bytes collected before they are handed to the output queue.
constexpr std::size_t kChunk = 16 * 1024;

bool has_key(const search::Node& node, search::Key key) {
    if (node.key == key)
        return true;
    for (const auto& child : node.children)
        if (has_key(child, key))
            return true;
    return false;
}

void flush_chunk(Context& ctx, std::string& line, bool force) {
    if (line.size() >= kChunk || (force && !line.empty())) {
        ctx.out().append(line);
        line.clear();
    }
}

// ESORT's ALL: the ids in sort order; a run of consecutive ascending
// numbers becomes a range, nothing else does (RFC 5267 §3.2: 12:10 SHOULD
// be avoided, so a descending run stays "12,11,10").
void append_sorted_set(Context& ctx, std::string& line, const std::vector<std::uint32_t>& ids) {
    std::size_t i = 0;
    while (i < ids.size()) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
            ++j;
        if (i != 0)
            line += ',';
        line += std::to_string(ids[i]);
        if (j > i) {
            line += ':';
            line += std::to_string(ids[j]);
        }
        i = j + 1;
        flush_chunk(ctx, line, false);
    }
}

// "* SORT 3 1 2" / "* SORT 3 1 2 (MODSEQ n)" (RFC 7162 §3.1.5), or the
// ESEARCH response for RETURN: MIN and MAX are the first and last in sort
// order (RFC 5267 §3.1), items in Dovecot's order.
void write_sort_response(Context& ctx, const SearchReturn& ret, bool uid, const std::vector<std::uint32_t>& ids,
                         std::uint64_t modseq) {
    std::string line;
    if (!ret.extended) {
        line = "* SORT";
        for (std::uint32_t id : ids) {
            line += ' ';
            line += std::to_string(id);
            flush_chunk(ctx, line, false);
        }
        if (modseq != 0 && !ids.empty())
            line += " (MODSEQ " + std::to_string(modseq) + ")";
        line += "\r\n";
        flush_chunk(ctx, line, true);
        return;
    }
    // RFC 5182 §2.4: SAVE alone returns no ESEARCH response.
    if (!ret.min && !ret.max && !ret.all && !ret.count)
        return;
    line = "* ESEARCH (TAG ";
    write_string(line, ctx.tag());
    line += ')';
    if (uid)
        line += " UID";
    // RFC 4731 §3.1: MIN, MAX and ALL are left out for an empty result.
    if (!ids.empty()) {
        if (ret.min)
            line += " MIN " + std::to_string(ids.front());
        if (ret.max)
            line += " MAX " + std::to_string(ids.back());
        if (ret.all) {
            line += " ALL ";
            append_sorted_set(ctx, line, ids);
        }
    }
    if (ret.count)
        line += " COUNT " + std::to_string(ids.size());
    if (modseq != 0 && !ids.empty())
        line += " MODSEQ " + std::to_string(modseq);
    line += "\r\n";
    flush_chunk(ctx, line, true);
}

class SortRun final : public CommandRun {
public:
    SortRun(search::Program program, std::vector<search::SortCriterion> criteria, SearchReturn ret, bool uid)
        : program_(std::move(program)), criteria_(std::move(criteria)), ret_(ret), uid_(uid) {
        want_modseq_ = has_key(program_.root, search::Key::modseq);
        options_.now = static_cast<std::int64_t>(std::time(nullptr));
        // As SEARCH: "2:10" in a 4-message mailbox names what exists.
        options_.clamp_sequence_numbers = true;
    }

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            fail_no(ctx, mailstore::Status::error(mailstore::Status::Code::internal, "mailbox closed during SORT"));
            return Progress::done;
        }
        ms::Mailbox& mailbox = *sel->mailbox;
        if (!sorter_) {
            const ms::Seq total = mailbox.view().count();
            options_.saved_result = &ctx.saved_result();
            while (next_ <= total) {
                ms::Seq last = total;
                if (program_.needs_message && total - next_ >= kSliceWithBodies)
                    last = next_ + kSliceWithBodies - 1;
                options_.first = next_;
                options_.last = last;
                auto found = search::evaluate(mailbox, program_, options_);
                if (!found) {
                    fail(ctx, found.status());
                    return Progress::done;
                }
                seqs_.insert(seqs_.end(), found->begin(), found->end());
                next_ = last + 1;
                if (next_ <= total)
                    return Progress::more_output; // let the session breathe between slices
            }
            sorter_.emplace(criteria_, std::move(seqs_));
            seqs_ = {};
        }
        std::size_t slice = sorter_->needs_header() ? kSortSlice : 0;
        auto loaded = sorter_->load(mailbox, slice);
        if (!loaded) {
            fail_no(ctx, loaded.status());
            return Progress::done;
        }
        if (!*loaded)
            return Progress::more_output;
        finish(ctx, mailbox, sorter_->finish());
        return Progress::done;
    }

private:
    void finish(Context& ctx, ms::Mailbox& mailbox, const std::vector<ms::Seq>& sorted) {
        const ms::View& view = mailbox.view();
        std::vector<std::uint32_t> ids;
        std::vector<std::uint32_t> uids;
        std::uint64_t modseq = 0;
        ids.reserve(sorted.size());
        if (ret_.save)
            uids.reserve(sorted.size());
        for (ms::Seq seq : sorted) {
            ms::Uid uid = view.uid(seq);
            if (ret_.save)
                uids.push_back(uid);
            ids.push_back(uid_ ? uid : seq);
            if (want_modseq_)
                modseq = std::max<std::uint64_t>(modseq, view.modseq(seq));
        }
        if (want_modseq_ && !ctx.enabled().condstore) {
            // RFC 7162 §3.1: a MODSEQ search key turns CONDSTORE on.
            ctx.enabled().condstore = true;
            ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(view.highest_modseq()) + "] Highest");
        }
        // RFC 5182 §2.4 with ESORT: "$" holds the matches; with MIN/MAX
        // alone, the first/last in sort order (uids are in sort order).
        if (ret_.save) {
            if (ret_.all || ret_.count || (!ret_.min && !ret_.max))
                std::sort(uids.begin(), uids.end()); // the whole set: ascending makes ranges
            ctx.saved_result() = saved_result_of(ret_, uids);
        }
        write_sort_response(ctx, ret_, uid_, ids, modseq);
        ctx.finish_ok("", "Sort completed.");
    }

    // RFC 5182 §2.1: a failure with NO empties "$", one with BAD does not.
    void fail(Context& ctx, const mailstore::Status& status) {
        if (status.code() == mailstore::Status::Code::invalid_argument) {
            finish_syntax_error(ctx, status.message());
            return;
        }
        fail_no(ctx, status);
    }

    void fail_no(Context& ctx, const mailstore::Status& status) {
        if (ret_.save)
            ctx.saved_result() = ms::UidSet();
        ctx.finish_status(status);
    }

    search::Program program_;
    std::vector<search::SortCriterion> criteria_;
    SearchReturn ret_;
    bool uid_;
    bool want_modseq_ = false;
    search::EvaluateOptions options_;
    ms::Seq next_ = 1;
    std::vector<ms::Seq> seqs_;
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
    auto run = std::make_unique<SortRun>(std::move(program).value(), std::move(criteria).value(), ret, cmd.uid);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
