// The per-mailbox index shared by all storage drivers (docs/index-format.md):
//
//   loft.index        a snapshot: header + fixed-size records, read through
//                     mmap, replaced by rename (never truncated in place)
//   loft.index.log    append-only transaction log; every change goes through
//                     it (crash safety, modseqs, notification of other
//                     sessions and processes). Rotated into a new snapshot
//                     when it grows past a threshold.
//   loft.index.cache  append-only field cache (envelope, bodystructure,
//                     header fields, GUIDs ...), compacted with the snapshot
//
// Readers never lock: they replay complete log records past the point their
// snapshot reflects. Writers take an OFD lock (F_OFD_SETLK) on the log, so
// threads of one process exclude each other too; the lock is held only while
// a commit runs, never across network I/O.
//
// In memory the state is an immutable IndexState shared through shared_ptr:
// sessions of one process that are at the same log position share it, and a
// commit builds the next state copying only the record chunks it touched.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::index {

using storage::MailFlags;
using storage::ModSeq;
using storage::Uid;
using storage::UidSet;

enum class FsyncMode { optimized, always, never };

// One message. Keywords are ids into IndexHeader::keywords; the first 64 are
// bits here, higher ids are in IndexState::extra_keywords(uid).
struct Record {
    Uid uid = 0;
    MailFlags flags = 0;
    std::uint64_t keyword_bits = 0;
    ModSeq modseq = 0;
    std::uint64_t physical_size = 0;  // 0 = unknown
    std::uint64_t virtual_size = 0;   // 0 = unknown
    std::int64_t received_date = 0;   // INTERNALDATE, Unix seconds
    std::int64_t save_date = 0;       // Unix seconds
    std::uint64_t cache_offset = 0;   // newest cache entry of this message; 0 = none
};

struct IndexHeader {
    std::uint32_t uidvalidity = 0;      // 0 = not yet set (a fresh index)
    Uid next_uid = 1;
    Uid first_recent_uid = 1;           // messages with uid >= this are \Recent for whoever claims them
    ModSeq highest_modseq = 0;
    std::array<std::uint8_t, 16> mailbox_guid{};
    std::vector<std::string> keywords;  // id -> name; ids never change or get reused
    std::string driver_state;           // opaque to the index (Maildir: dir mtimes, uidlist position)
};

// An immutable view of the index at one log position.
class MAILSTORE_INTERNAL_API IndexState {
public:
    const IndexHeader& header() const;
    std::uint32_t count() const;
    // Record at 0-based position i (ascending UID order).
    const Record& at(std::uint32_t i) const;
    // Position of `uid`, or nullopt.
    std::optional<std::uint32_t> find(Uid uid) const;
    // First position with uid >= `uid` (count() when none).
    std::uint32_t lower_bound(Uid uid) const;
    // Keyword ids >= 64 of `uid` (empty for most messages).
    std::vector<std::uint32_t> extra_keywords(Uid uid) const;
    // Every keyword id of `uid` (bits and extra).
    std::vector<std::uint32_t> keyword_ids(const Record& record) const;
    // UIDs expunged with modseq > `since`; nullopt when the history kept does
    // not go back that far.
    std::optional<UidSet> expunged_since(ModSeq since) const;
    // Whether `uid` is in the expunge history kept (however old its modseq).
    // false also for an expunge so old that the history no longer holds it.
    bool in_expunge_history(Uid uid) const;
    // Opaque identity of a chunk of records, so two states can be diffed
    // without visiting unchanged chunks: records [begin, end) of chunk i.
    std::uint32_t chunk_count() const;
    const void* chunk_identity(std::uint32_t chunk) const;
    std::pair<std::uint32_t, std::uint32_t> chunk_span(std::uint32_t chunk) const;

    class Impl;
    explicit IndexState(std::shared_ptr<const Impl> impl);
    const Impl& impl() const { return *impl_; }

private:
    std::shared_ptr<const Impl> impl_;
};

struct IndexOptions {
    std::string dir;                    // where loft.index* live (created if missing)
    FsyncMode fsync = FsyncMode::optimized;
    bool read_only = false;             // never write (a read-only file system, EXAMINE of someone else's mailbox)
    std::chrono::milliseconds lock_timeout{30000};
    std::uint64_t log_rotate_size = 1 << 20; // rotate into a new snapshot past this many log bytes
};

// Change operations inside MailIndex::commit(). Every change made through one
// WriteContext gets the same new modseq (highest_modseq + 1), assigned when
// the first change is made.
class MAILSTORE_INTERNAL_API WriteContext {
public:
    // The newest state, including this commit's changes so far.
    const IndexState& current() const;
    // Appends a message; uid must be > every uid in the index and >= next_uid
    // is raised to uid+1. Its modseq is set by the index. `keyword_ids` as
    // from keyword_id().
    Status append(const Record& record, const std::vector<std::uint32_t>& keyword_ids = {});
    // Sets the flags and keywords of `uid` (final values). No-op (and no new
    // modseq) when nothing changes.
    Status set_flags(Uid uid, MailFlags flags, const std::vector<std::uint32_t>& keyword_ids);
    Status expunge(Uid uid);
    // Sizes and dates learned later (from the mail file).
    Status set_sizes(Uid uid, std::uint64_t physical_size, std::uint64_t virtual_size);
    // Id of keyword `name` (compared case-insensitively), adding it to the
    // header when new.
    std::uint32_t keyword_id(std::string_view name);
    void set_uidvalidity(std::uint32_t uidvalidity);
    void set_next_uid(Uid next_uid);          // never lowers it
    void set_first_recent_uid(Uid uid);       // never lowers it
    void set_mailbox_guid(const std::array<std::uint8_t, 16>& guid);
    void set_driver_state(std::string state);
    // Raises highest_modseq to at least `modseq` (rebuild keeps it from going backwards).
    void raise_modseq(ModSeq modseq);
    // Drops every record and the expunge history (a new UIDVALIDITY); the
    // modseq counter keeps going up.
    void reset();
    // Adds a cache field value for `uid` (replaces an earlier value of that field).
    Status cache_add(Uid uid, std::string_view field, std::string_view value);

    class Impl;
    explicit WriteContext(Impl* impl) : impl_(impl) {}

private:
    Impl* impl_;
};

struct CommitInfo {
    ModSeq modseq = 0; // the modseq this commit used (0: it changed nothing)
    std::shared_ptr<const IndexState> state; // the state right after it
};

class MAILSTORE_INTERNAL_API MailIndex {
public:
    // Opens (creating when missing) the index in options.dir. A snapshot,
    // log or cache that is corrupt is logged ("index: PATH: corrupt (...),
    // rebuilding") and replaced with an empty one; the driver's next sync
    // fills it from the mail files. A fresh index starts its modseqs at a
    // time-based value (microseconds since the epoch), so HIGHESTMODSEQ never
    // goes backwards across a rebuild or a migration from Dovecot.
    static Result<std::shared_ptr<MailIndex>> open(const IndexOptions& options);
    ~MailIndex();

    // The newest state this object has read (no I/O).
    std::shared_ptr<const IndexState> state() const;
    // Reads log records written since (by anyone) and returns the new state.
    Result<std::shared_ptr<const IndexState>> refresh();
    // Takes the write lock, refreshes to the end of the log, runs `apply`
    // (which may also do driver work under the lock, such as renaming mail
    // files), appends its changes to the log as one record, fsyncs per mode,
    // unlocks. When `apply` fails nothing is written and its Status is
    // returned. temporary_failure when the lock is not had in lock_timeout.
    Result<CommitInfo> commit(const std::function<Status(WriteContext&)>& apply);

    // The cached value of `field` for the message at `record` in `state`.
    std::optional<std::string> cache_lookup(const IndexState& state, const Record& record,
                                            std::string_view field) const;

    // Deletes the index files and starts empty (force-resync, corrupt files).
    Status reset_files();
    // Files a watcher should watch (the log).
    std::vector<std::string> watch_paths() const;
    const IndexOptions& options() const;
    // Human-readable dump of header, records and log for `loftadm index dump`.
    std::string dump() const;

    class Impl;
    explicit MailIndex(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace mailstore::index

namespace mailstore::index {
// A short string that changes whenever the index in `dir` is written (stat
// of the log: inode, size, mtime). stat calls only; "" when there is none.
MAILSTORE_INTERNAL_API std::string change_stamp(const std::string& dir);
} // namespace mailstore::index
