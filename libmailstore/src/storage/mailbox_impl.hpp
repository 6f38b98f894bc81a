// Internal parts of the generic storage layer shared by mailbox.cpp,
// view.cpp, transaction.cpp and message.cpp: the state behind a Mailbox and
// its View, and the process-wide registry of open indexes.
#pragma once

#include "index/mail_index.hpp"
#include "storage/backend.hpp"
#include "storage/save_group.hpp"
#include "user/user_impl.hpp"

#include <mailstore/export.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mailstore::storage {

// One MailIndex per index directory per process, shared by every Mailbox
// of that directory so their sessions share IndexState snapshots. `mutex`
// serialises calls into the MailIndex object (its header does not promise
// thread safety); it is never held across network I/O.
struct SharedIndex {
    std::mutex mutex;
    std::shared_ptr<index::MailIndex> index;
    // Save-only transactions waiting to be committed as one group.
    SaveGroupQueue save_group;
    // The log file as it was when the index was opened, held open: while
    // no Mailbox uses the index (it is only kept for reuse), a log at
    // log_path that is no longer this file means the mailbox was deleted,
    // recreated or its log replaced, and the index is opened afresh.
    std::string log_path;
    int log_fd = -1;

    SharedIndex() = default;
    SharedIndex(const SharedIndex&) = delete;
    SharedIndex& operator=(const SharedIndex&) = delete;
    ~SharedIndex();
};

// Indexes kept open after their last Mailbox closed (the most recently
// used ones), per process: at most this many, and at most this many bytes
// of estimated memory (storage/kept_states.hpp).
inline constexpr std::size_t kept_indexes = 16;
inline constexpr std::size_t kept_index_bytes = std::size_t(16) << 20;

// The estimated memory of an index no Mailbox uses (SIZE_MAX when it is
// busy); for the kept-state budget.
std::size_t kept_index_estimate(SharedIndex& shared);

// The SharedIndex of `key` (an index dir), opening it with `options` when
// no Mailbox of this process has it open.
Result<std::shared_ptr<SharedIndex>> shared_index(const std::string& key, const index::IndexOptions& options);

// A message that another session expunged but this view still shows
// (sync_no_expunges), with its last known flags.
struct KeptRecord {
    index::Record record;
    std::vector<std::string> keywords;
    std::uint32_t position = 0; // 0-based position in the merged view
};

// What one View shows: a shared IndexState plus the kept expunged messages.
class View::Impl {
public:
    std::shared_ptr<const index::IndexState> state;
    std::vector<KeptRecord> kept; // ascending UID
    UidSet recent;                // \Recent for this session
    // Lazily computed counters (reset by every sync).
    mutable bool counted = false;
    mutable std::uint32_t unseen = 0;
    mutable Seq first_unseen = 0;

    Seq count() const { return Seq(state->count() + kept.size()); }
    // The record at seq (1-based) and whether it is a kept expunged one;
    // nullptr when out of range.
    const index::Record* at(Seq seq, const KeptRecord** kept_out = nullptr) const;
    // Recomputes KeptRecord::position after state or kept changed.
    void place_kept();
    void reset_counters() const { counted = false; }
    void count_unseen() const;
};

// The keyword names of `record` in `state`.
std::vector<std::string> keyword_names_of(const index::IndexState& state, const index::Record& record);

// Cache entries and sizes learned between commits, flushed at the next sync,
// commit or close.
struct PendingCache {
    Uid uid = 0;
    std::string field;
    std::string value;
};
struct PendingSizes {
    Uid uid = 0;
    std::uint64_t physical_size = 0;
    std::uint64_t virtual_size = 0;
};

class Mailbox::Impl {
public:
    User user;
    ResolvedMailbox resolved;
    std::unique_ptr<MailboxBackend> backend;
    std::shared_ptr<SharedIndex> index;
    OpenOptions options;
    std::string guid;
    View::Impl view_impl;
    View view{&view_impl};
    std::vector<PendingCache> pending_cache;
    std::size_t pending_cache_bytes = 0;
    std::vector<PendingSizes> pending_sizes;
    // The last sync's STATUS values and change stamp, not yet written to
    // the mailbox-list index: written when the mailbox is closed, so a
    // session that changes the mailbox with every command rewrites that
    // file once rather than after each command (the stamp makes a later
    // STATUS open the mailbox meanwhile, as it would anyway).
    std::optional<std::pair<MailboxStatus, std::string>> unrecorded_status;

    explicit Impl(User u) : user(std::move(u)) {}

    // Writes pending cache entries and sizes into `ctx` and forgets them.
    void flush_pending(index::WriteContext& ctx);
    // Commits the pending cache entries and sizes once they pass
    // flush_pending_entries or flush_pending_bytes, so a command that
    // computes values for more messages than memory should hold (FETCH,
    // SEARCH, SORT over a large mailbox) keeps them all. Called where
    // values are added, never with the index mutex held. A refused commit
    // (read-only index, lock timeout) drops them with one warning and no
    // further commit is tried until the next sync; the caller never fails.
    void flush_pending_if_many();
    static constexpr std::size_t flush_pending_entries = 2000;
    static constexpr std::size_t flush_pending_bytes = std::size_t(1) << 20;
    // A flush was refused since the last sync: values stay pending (up to
    // message.cpp's bound) for the sync's own commit.
    bool flush_refused = false;
    bool has_pending() const { return !pending_cache.empty() || !pending_sizes.empty(); }
    // Runs a commit on the shared index (under its mutex).
    Result<index::CommitInfo> commit(const std::function<Status(index::WriteContext&)>& apply);
    // The newest state without I/O.
    std::shared_ptr<const index::IndexState> latest_state() const;
    // The view's state (for Transaction and Message).
    const index::IndexState& state() const { return *view_impl.state; }
};

// A new Transaction on `mailbox` (defined in transaction.cpp).
Transaction make_transaction(Mailbox::Impl& mailbox);

// Commits `saves` (a transaction that only saves) into `mailbox` together
// with the other save-only transactions waiting for the same index
// (save_group.hpp); returns when the commit that holds them is durable.
// `uids` gets their UIDs in order and `uidvalidity` the UIDVALIDITY they
// belong to; `saves_done` tells whether the files are numbered (then they
// are never removed). Once numbered the saves are committed: an index
// commit failing after that is logged and the index catches up at its
// next sync. Defined in save_group.cpp.
Result<index::CommitInfo> commit_saves_grouped(Mailbox::Impl& mailbox,
                                               std::vector<std::unique_ptr<PendingSave>>& saves,
                                               std::vector<Uid>& uids, std::uint32_t& uidvalidity,
                                               bool& saves_done);

// Keyword validation shared by save and flag updates: IMAP atom characters
// (RFC 3501 9: no "(){ %*\"\\]" and no controls or 8-bit), 1..50 bytes
// (Dovecot's mail_max_keyword_length default).
inline constexpr std::size_t max_keyword_length = 50;
// Bound on the keywords one mailbox may define (ids are never reused).
inline constexpr std::size_t max_keywords_per_mailbox = 1024;
Status validate_keyword(std::string_view keyword);

// Test hook: the IndexState object a Mailbox's view shows (pointer identity
// shows whether sessions share it).
MAILSTORE_INTERNAL_API const void* view_state_identity(const Mailbox& mailbox);

} // namespace mailstore::storage
