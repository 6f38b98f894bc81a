// THREAD (RFC 5256 §3 BASE.6.4.THREAD): grouping the messages of a mailbox
// view into threads with ORDEREDSUBJECT, REFERENCES or REFS.
//
// REFS is Dovecot's algorithm: REFERENCES without the subject merging of
// RFC 5256 §3 step 5, with the threads (top-level siblings) ordered by the
// sent date of the latest message in each thread instead of the first.
//
// The tree is flat (nodes in one vector, linked by index), so that neither
// building, walking nor destroying it recurses: a reply chain of 100,000
// messages is as cheap as 100,000 separate threads.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::search {

enum class ThreadAlgorithm { orderedsubject, references, refs };

// The algorithm a client names, ASCII case-insensitively ("references",
// "REFS", "OrderedSubject"). Code::invalid_argument "Unknown thread
// algorithm" for anything else.
MAILSTORE_API Result<ThreadAlgorithm> parse_thread_algorithm(std::string_view name);
// The name in capitals as CAPABILITY lists it ("REFERENCES").
MAILSTORE_API std::string_view thread_algorithm_name(ThreadAlgorithm algorithm);

// One node of a thread tree. `seq` is the message (whatever number the
// caller gave: sequence numbers, or UIDs for UID THREAD after
// relabelling) or 0 for a dummy (a parent that is not among the threaded
// messages, kept only where RFC 5256 keeps it: a top-level node whose
// children are siblings of one thread).
struct ThreadNode {
    static constexpr std::uint32_t none = 0xFFFFFFFFu;
    std::uint32_t seq = 0;
    std::uint32_t first_child = none;  // index into ThreadTree::nodes
    std::uint32_t next_sibling = none; // index into ThreadTree::nodes
};

// Threads in the order the THREAD response lists them.
struct ThreadTree {
    std::vector<ThreadNode> nodes;
    std::uint32_t first_root = ThreadNode::none; // first thread; the rest via next_sibling
};

// What threading needs of one message, read from its header.
struct ThreadMessage {
    std::uint32_t seq = 0;            // nonzero; ties of sent_date sort by it
    std::string message_id;           // normalised (sort_keys.hpp parse_message_id); "" when none
    // References' msg-ids, or when it has none the first of In-Reply-To
    // (RFC 5256 §3 REFERENCES), oldest first.
    std::vector<std::string> references;
    std::string base_subject;         // casemapped RFC 5256 §2.1 base subject
    bool reply_or_forward = false;    // §3: the extraction removed Re:/Fwd:/(fwd)/[Fwd: ]
    std::int64_t sent_date = 0;       // §2.2: Date: in UTC seconds, else the internal date
};

// Reads a ThreadMessage from a raw header block (the field values are
// RFC 2047-decoded where the algorithm needs it). `internal_date` is the
// sent date when Date: is missing or unreadable.
MAILSTORE_API ThreadMessage thread_message_from_header(std::uint32_t seq, std::string_view header,
                                                       std::int64_t internal_date);

// Threads `messages` (any order; seq values distinct and nonzero) with
// `algorithm` exactly as RFC 5256 §3 (or Dovecot's REFS) says. Never
// recurses; time and memory linear in the input apart from the sorts.
MAILSTORE_API ThreadTree build_threads(ThreadAlgorithm algorithm, std::vector<ThreadMessage> messages);

// Threads the messages `seqs` of `mailbox`'s current view. Each message's
// header is read once and what threading needs is kept in the index cache
// (one field, "thread.v1": sent date, reply flag, Message-ID, base subject,
// references), so threading again opens no message file, and in a bounded
// process-wide memo, so threading again in the same process reads no
// index cache either. An expunged message whose file
// is gone threads as one without header (its internal date, no ids).
// Errors: those of the storage (io_error) when a needed header cannot be
// read for another reason.
MAILSTORE_API Result<ThreadTree> thread_messages(storage::Mailbox& mailbox, ThreadAlgorithm algorithm,
                                                 const std::vector<storage::Seq>& seqs);

// thread_messages() in steps, so that a session can do other work between
// them: load() reads what threading needs of up to `max_messages` more
// messages (the memo, then the index cache, opening message files only for
// messages never threaded), then, once it returned true, finish() threads.
// The last tree of each algorithm is kept (process-wide, for up to a
// million messages): threading the same UIDs of the same mailbox again
// loads nothing and gives that tree.
// The mailbox's view must not be synced in between (sequence numbers must
// stay valid).
class MAILSTORE_API ThreadLoader {
public:
    ThreadLoader(ThreadAlgorithm algorithm, std::vector<storage::Seq> seqs);
    ThreadLoader(ThreadLoader&&) noexcept;
    ThreadLoader& operator=(ThreadLoader&&) noexcept;
    ~ThreadLoader();

    // Loads up to `max_messages` further messages (0: all). true when
    // every message is loaded. Errors: those of thread_messages().
    Result<bool> load(storage::Mailbox& mailbox, std::size_t max_messages = 0);
    // The threads of the loaded messages; the loader is empty afterwards.
    ThreadTree finish();

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// Writes `tree` as RFC 5256 §4 thread-list text ("(2)(3 6 (4 23)(44 7 96))";
// nothing for an empty tree), in pieces of about `piece_size` bytes handed
// to `sink`, so a response for a huge mailbox is never built whole.
// `label` maps a node's seq to the number written (identity when empty:
// sequence numbers; UID THREAD passes the view's uid()). Iterative.
MAILSTORE_API void write_thread_list(const ThreadTree& tree, std::size_t piece_size,
                                     const std::function<void(std::string_view)>& sink,
                                     const std::function<std::uint32_t(std::uint32_t)>& label = {});

// The whole thread-list text at once (tests, loftadm).
MAILSTORE_API std::string format_thread_list(const ThreadTree& tree);

} // namespace mailstore::search
