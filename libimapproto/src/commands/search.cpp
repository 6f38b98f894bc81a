// SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8), with ESEARCH's RETURN
// options (RFC 4731), SEARCHRES's SAVE and "$" (RFC 5182), CONDSTORE's
// MODSEQ key (RFC 7162 §3.1.5), WITHIN's OLDER/YOUNGER (RFC 5032, from
// the search parser) and CONTEXT=SEARCH's CONTEXT, PARTIAL and UPDATE
// (RFC 5267 §4; the UPDATE context lives in session/search_updates).
//
// The program is parsed by libmailstore's search module from the command's
// arguments turned into tokens; it is evaluated in slices of the view so a
// search that reads message bodies in a big mailbox hands control back to
// the session between slices. The session sends no EXPUNGE after the plain
// form (RFC 3501 §7.4.1), so the sequence numbers stay valid throughout.
#include "commands/commands.hpp"
#include "session/utf8_accept.hpp"
#include "commands/message_limit.hpp"
#include "commands/message_set.hpp"
#include "commands/search_program.hpp"
#include "commands/search_result.hpp"
#include "session/rev2.hpp"
#include "session/search_updates.hpp"
#include "session/uidonly.hpp"

#include <mailstore/search.hpp>

#include <algorithm>
#include <ctime>
#include <strings.h>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;
namespace search = mailstore::search;

class SearchRun final : public CommandRun {
public:
    SearchRun(search::Program program, SearchReturn ret, bool uid, std::optional<ms::Uid> cut)
        : want_modseq_(program_uses(program, search::Key::modseq)), search_(std::move(program)), ret_(ret),
          uid_(uid), cut_(cut) {}

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            finish_search_failure(
                ctx, mailstore::Status::error(mailstore::Status::Code::internal, "mailbox closed during SEARCH"),
                ret_.save);
            return Progress::done;
        }
        ms::Mailbox& mailbox = *sel->mailbox;
        switch (search_.run(ctx, mailbox)) {
        case SlicedSearch::Step::more:
            return Progress::more_output; // let the session breathe between slices
        case SlicedSearch::Step::failed:
            finish_search_failure(ctx, search_.error(), ret_.save);
            return Progress::done;
        case SlicedSearch::Step::done:
            break;
        }
        finish(ctx, mailbox);
        return Progress::done;
    }

private:
    void finish(Context& ctx, ms::Mailbox& mailbox) {
        const ms::View& view = mailbox.view();
        std::vector<ms::Seq>& seqs_ = search_.matches();
        SearchMatches matches;
        std::vector<std::uint32_t> uids;
        matches.ids.reserve(seqs_.size());
        if (ret_.save || uid_)
            uids.reserve(seqs_.size());
        for (ms::Seq seq : seqs_) {
            ms::Uid uid = view.uid(seq);
            if (ret_.save || uid_)
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
        if (ret_.save)
            ctx.saved_result() = saved_result_of(ret_, uids);
        write_search_response(ctx, ret_, uid_, matches);
        if (ret_.update) {
            SearchContextSpec spec;
            spec.program = std::move(search_.program());
            spec.ret = ret_;
            spec.uid = uid_;
            if (ret_.save)
                std::swap(saved_before, ctx.saved_result());
            ctx.search_updates().add_context(ctx, ctx.tag(), std::move(spec), seqs_);
            if (ret_.save)
                std::swap(saved_before, ctx.saved_result());
        }
        // RFC 9738 §3.4: "$" holds what the cut search found, no more.
        finish_ok_limited(ctx, cut_, "", "Search completed.", "Search completed with partial results.");
    }

    bool want_modseq_;
    SlicedSearch search_;
    SearchReturn ret_;
    bool uid_;
    std::optional<ms::Uid> cut_; // RFC 9738: searched from this UID up
};

} // namespace

std::unique_ptr<CommandRun> cmd_search(Context& ctx, const Command& cmd) {
    std::size_t first = 0;
    SearchReturn ret;
    // RFC 4731 §3.1: "RETURN (options)" comes first, before CHARSET.
    if (cmd.args.size() >= 2 && cmd.args[0].type == Arg::Type::atom && strcasecmp(cmd.args[0].text.c_str(), "RETURN") == 0 &&
        cmd.args[1].type == Arg::Type::list) {
        std::string error;
        auto parsed = parse_search_return(cmd.args[1], error);
        if (!parsed) {
            finish_syntax_error(ctx, error);
            return nullptr;
        }
        ret = *parsed;
        first = 2;
        // RFC 5267 §4.3: a tag that names an open UPDATE context may not
        // start another one.
        if (ret.update && ctx.search_updates().has_context(ctx.tag())) {
            finish_syntax_error(ctx, "Duplicate search update tag");
            return nullptr;
        }
    }
    // RFC 9051 §6.4.4: IMAP4rev2 has no SEARCH response; a SEARCH without
    // RETURN is answered as RETURN (ALL), with ESEARCH.
    if (!ret.extended && rev2(ctx)) {
        ret.extended = true;
        ret.all = true;
    }
    if (first >= cmd.args.size()) {
        finish_syntax_error(ctx, "Missing search parameters");
        return nullptr;
    }
    if (first + 1 < cmd.args.size() && cmd.args[first].type == Arg::Type::atom &&
        strcasecmp(cmd.args[first].text.c_str(), "CHARSET") == 0 &&
        refuse_charset_after_utf8_accept(ctx, cmd.args[first + 1].text, false))
        return nullptr;
    auto program = search::parse(search_tokens(cmd.args, first), true);
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
    // RFC 9738 §3.1: at most imap_message_limit messages are searched.
    const std::optional<ms::Uid> cut = cut_search_to_message_limit(ctx, ctx.selected()->mailbox->view(), *program);
    auto run = std::make_unique<SearchRun>(std::move(program).value(), ret, cmd.uid, cut);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
