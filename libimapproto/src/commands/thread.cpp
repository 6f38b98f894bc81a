// THREAD and UID THREAD (RFC 5256 BASE.6.4.THREAD): ORDEREDSUBJECT,
// REFERENCES and Dovecot's REFS (libmailstore's mailstore/thread.hpp).
//
// The search program is evaluated as SEARCH does it, in slices of the view
// when it reads message contents, so the session breathes between slices.
// The plain form sends no EXPUNGE while it runs (RFC 5256: "Untagged
// EXPUNGE responses are not permitted while the server is responding to a
// THREAD command"), so sequence numbers stay valid throughout. What
// threading needs of each message is then loaded in slices too (a cold
// THREAD of 100,000 messages reads every header).
#include "commands/commands.hpp"
#include "session/utf8_accept.hpp"
#include "commands/message_set.hpp"
#include "commands/search_program.hpp"
#include "session/uidonly.hpp"

#include <mailstore/log.hpp>
#include <mailstore/search.hpp>
#include <mailstore/thread.hpp>

#include <optional>
#include <utility>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;
namespace search = mailstore::search;

// Messages whose thread data is loaded per resume: a cold THREAD reads
// this many headers, then lets the session answer (as SORT's slices).
constexpr std::size_t kThreadSlice = 1000;
// The response goes to the output queue in pieces of this size, never
// built whole (a 100,000-message mailbox makes a line of about 800 KB).
constexpr std::size_t kPieceSize = 16 * 1024;

class ThreadRun final : public CommandRun {
public:
    ThreadRun(search::ThreadAlgorithm algorithm, search::Program program, bool uid)
        : algorithm_(algorithm), search_(std::move(program)), uid_(uid) {}

    Progress resume(Context& ctx) override {
        Selected* sel = ctx.selected();
        if (sel == nullptr || !sel->mailbox) {
            ctx.finish_status(
                mailstore::Status::error(mailstore::Status::Code::internal, "mailbox closed during THREAD"));
            return Progress::done;
        }
        ms::Mailbox& mailbox = *sel->mailbox;
        if (!loader_) {
            switch (search_.run(ctx, mailbox)) {
            case SlicedSearch::Step::more:
                return Progress::more_output; // let the session breathe between slices
            case SlicedSearch::Step::failed:
                if (search_.error().code() == mailstore::Status::Code::invalid_argument)
                    finish_syntax_error(ctx, search_.error().message());
                else
                    ctx.finish_status(search_.error());
                return Progress::done;
            case SlicedSearch::Step::done:
                break;
            }
            to_load_ = search_.matches().size();
            loader_.emplace(algorithm_, std::move(search_.matches()));
        }
        auto loaded = loader_->load(mailbox, kThreadSlice);
        if (!loaded) {
            ctx.finish_status(loaded.status());
            return Progress::done;
        }
        if (!*loaded) {
            loaded_ += kThreadSlice;
            ctx.log().logf(mailstore::log::Level::debug, mailstore::log::Category::mail,
                           "THREAD: {} of {} messages of {} loaded", loaded_, to_load_, mailbox.name());
            return Progress::more_output;
        }
        write_response(ctx, mailbox.view(), loader_->finish());
        ctx.finish_ok("", "Thread completed.");
        return Progress::done;
    }

private:
    void write_response(Context& ctx, const ms::View& view, const search::ThreadTree& tree) {
        // RFC 5256 §5: thread-data = "THREAD" [SP 1*thread-list]; no
        // trailing space when nothing matched (Dovecot sends one).
        if (tree.first_root == search::ThreadNode::none) {
            ctx.untagged("THREAD");
            return;
        }
        Output& out = ctx.out();
        out.append("* THREAD ");
        std::function<std::uint32_t(std::uint32_t)> label;
        if (uid_)
            label = [&view](std::uint32_t seq) { return view.uid(seq); };
        search::write_thread_list(
            tree, kPieceSize, [&out](std::string_view piece) { out.append(piece); }, label);
        out.append("\r\n");
    }

    search::ThreadAlgorithm algorithm_;
    SlicedSearch search_;
    bool uid_;
    std::optional<search::ThreadLoader> loader_; // once the search is done
    std::size_t to_load_ = 0;                     // messages the loader threads
    std::size_t loaded_ = 0;                      // of them, loaded so far
};

} // namespace

std::unique_ptr<CommandRun> cmd_thread(Context& ctx, const Command& cmd) {
    // thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria, and
    // search-criteria = charset 1*(SP search-key): the charset is
    // mandatory (RFC 5256 §5). Dovecot's words for each failure; like
    // Dovecot, a quoted algorithm name is taken too.
    if (cmd.args.size() < 2 || !cmd.args[0].is_astring() || !cmd.args[1].is_astring()) {
        finish_syntax_error(ctx, "Invalid arguments");
        return nullptr;
    }
    auto algorithm = search::parse_thread_algorithm(cmd.args[0].text);
    if (!algorithm) {
        finish_syntax_error(ctx, algorithm.status().message());
        return nullptr;
    }
    if (cmd.args.size() < 3) {
        finish_syntax_error(ctx, "Missing search parameters");
        return nullptr;
    }
    if (refuse_charset_after_utf8_accept(ctx, cmd.args[1].text, true))
        return nullptr;
    // The search parser takes the charset as SEARCH's "CHARSET <name>".
    std::vector<search::Token> tokens;
    tokens.push_back({search::Token::Kind::atom, "CHARSET"});
    auto rest = search_tokens(cmd.args, 1);
    tokens.insert(tokens.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    auto program = search::parse(tokens, true);
    if (!program) {
        const auto& status = program.status();
        if (status.code() == mailstore::Status::Code::not_supported)
            finish_bad_charset(ctx);
        else if (status.code() == mailstore::Status::Code::invalid_argument)
            finish_syntax_error(ctx, status.message());
        else
            ctx.finish_status(status);
        return nullptr;
    }
    if (refuse_sequence_search_keys(ctx, *program))
        return nullptr;
    auto run = std::make_unique<ThreadRun>(algorithm.value(), std::move(program).value(), cmd.uid);
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
