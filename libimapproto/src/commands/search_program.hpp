// What SEARCH, SORT and THREAD share: turning a command's arguments into
// the tokens libmailstore's search parser reads, the NO [BADCHARSET]
// answer for a charset it does not know, and evaluating the program over
// the selected mailbox in slices.
#pragma once

#include "session/context.hpp"
#include "session/progress.hpp"

#include <mailstore/search.hpp>

#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <cstddef>
#include <vector>

namespace imapproto::detail {

// The search tokens of args[first..] (lists become parentheses, NIL an atom,
// quoted strings and literals strings).
std::vector<mailstore::search::Token> search_tokens(const std::vector<Arg>& args, std::size_t first);

// "NO [BADCHARSET (UTF-8 US-ASCII ...)] Unsupported charset" (RFC 3501
// §7.1: the code may list the charsets the server supports).
void finish_bad_charset(Context& ctx);

// A SEARCH/SORT/THREAD that failed. RFC 5182 §2.1: with SAVE, a NO
// empties "$" and a BAD (invalid_argument: a syntax error) leaves it alone.
void finish_search_failure(Context& ctx, const mailstore::Status& status, bool save);

// RFC 7162 §3.1: a MODSEQ search key turns CONDSTORE on; the first time it
// does, the client hears the mailbox's HIGHESTMODSEQ.
void enable_condstore_by_search(Context& ctx, const mailstore::storage::View& view);

// Whether `key` occurs anywhere in the program (MODSEQ turns on CONDSTORE
// and the "(MODSEQ n)" result, RFC 7162 §3.1.5).
bool program_uses(const mailstore::search::Program& program, mailstore::search::Key key);

// A search program evaluated over the selected mailbox's view. A program
// the index answers runs over the whole view at once; one that reads
// message contents runs kSliceWithBodies messages per step, so a command
// over a big mailbox hands control back to the session between slices
// (the command returns Progress::more_output after Step::more). No EXPUNGE
// is sent while the command runs (its UpdatePolicy), so the sequence
// numbers stay valid from step to step. Sequence numbers beyond the view
// name what exists, as Dovecot answers SEARCH 2:10 in a 4-message mailbox.
// Between slices it reports progress (RFC 9585 INPROGRESS, in messages
// searched of the mailbox's count) when one is due.
class SlicedSearch {
public:
    static constexpr mailstore::storage::Seq kSliceWithBodies = 500;

    explicit SlicedSearch(mailstore::search::Program program);

    enum class Step { more, done, failed };
    // Evaluates the next slice. failed: error() says why (invalid_argument
    // is a BAD, e.g. "Invalid messageset"; anything else a NO).
    Step run(Context& ctx, mailstore::storage::Mailbox& mailbox);
    const mailstore::Status& error() const { return error_; }

    // The matching sequence numbers, ascending (complete after Step::done).
    std::vector<mailstore::storage::Seq>& matches() { return seqs_; }
    mailstore::search::Program& program() { return program_; }

private:
    mailstore::search::Program program_;
    mailstore::search::EvaluateOptions options_;
    mailstore::storage::Seq next_ = 1;
    std::vector<mailstore::storage::Seq> seqs_;
    mailstore::Status error_ = mailstore::Status::ok();
    ProgressReport progress_;
};

} // namespace imapproto::detail
