// What a storage driver (Maildir now; dbox, mbox, object storage later)
// implements for the generic storage layer (mailbox.cpp, transaction.cpp),
// which owns the index, the views and the transaction logic. A driver only
// knows its mail files: it keeps the index in agreement with them (sync),
// writes new messages, applies flag changes and expunges to its files, and
// reads messages back.
//
// Locking order, to never deadlock: the index write lock (MailIndex::commit)
// first, then any driver lock (Maildir: dovecot-uidlist.lock). A driver never
// takes the index lock while it holds its own.
#pragma once

#include "index/mail_index.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

enum class CompressFormat { none, gz, bz2 };

// Settings a driver needs, resolved from the config and userdb for one user.
struct StorageSettings {
    index::FsyncMode fsync = index::FsyncMode::optimized; // mail_fsync
    bool save_crlf = false;                  // mail_save_crlf
    bool copy_with_hardlinks = true;         // maildir_copy_with_hardlinks
    CompressFormat compress = CompressFormat::none; // plugin { zlib_save }
    int compress_level = 6;                  // plugin { zlib_save_level }
    std::string hostname;                    // for Maildir file names (no '/' or ':')
    std::chrono::milliseconds lock_timeout{30000}; // mail_max_lock_timeout (0 = 30 s)
    std::uint64_t max_message_size = 0;      // 0 = unlimited
};

// Where one mailbox's files live.
struct MailboxPaths {
    std::string mail_dir;     // Maildir: the directory holding cur/ new/ tmp/
    std::string control_dir;  // dovecot-uidlist, dovecot-keywords (CONTROL=, else mail_dir)
    std::string index_dir;    // loft.index* (INDEX=, else mail_dir); "MEMORY" = in memory only
    std::string volatile_dir; // VOLATILEDIR= (lock files that need not survive), may be ""
    // Maildir: where dovecot-uidvalidity keeps the last UIDVALIDITY given
    // out under this mail root (the CONTROL= root, else the root), so a
    // re-created mailbox gets a greater one; "" = none (time-based only).
    std::string uidvalidity_dir;
};

// A message written by prepare_save() but not yet visible.
struct PendingSave {
    virtual ~PendingSave() = default;
    std::uint64_t physical_size = 0;
    std::uint64_t virtual_size = 0;
    std::int64_t received_date = 0;
    MailFlags flags = 0;
    std::vector<std::string> keywords;
    std::string guid;
    std::string pop3_uidl;
    // After commit_saves(): the file holding the message, "" when none.
    virtual std::string stored_path() const { return {}; }
};

// One saved message after commit_saves(): the UID it got.
struct SavedMessage {
    Uid uid = 0;
};

class MailboxBackend {
public:
    virtual ~MailboxBackend() = default;

    // Creates the mailbox's files if they are missing (the Maildir
    // directories). Called for INBOX on first use and by create.
    virtual Status create() = 0;
    // Whether the mailbox exists on disk (and can hold messages).
    virtual bool exists() const = 0;

    // Brings the index in agreement with the mail files, inside the index
    // write lock (called from `ctx` of MailIndex::commit): new files get UIDs
    // and records, vanished files are expunged, changed file flags are
    // applied. Cheap when nothing changed (a few stat calls): `full` forces
    // a rescan of everything. A new or reset index (uidvalidity 0) is rebuilt
    // completely, keeping UIDs from the driver's own UID list where it has one.
    virtual Status sync(index::WriteContext& ctx, bool full) = 0;
    // True when sync() would find something to do (stat calls only; the
    // generic layer skips taking the lock otherwise).
    virtual bool needs_sync(const index::IndexState& state) = 0;

    // Writes a message where it is not yet visible, durably per mail_fsync.
    virtual Result<std::unique_ptr<PendingSave>> prepare_save(const SaveRequest& request) = 0;
    // A copy of message `uid` of `source` (same driver, same user) made
    // cheaply (a hard link); nullptr when that is not possible, and the
    // generic layer reads and saves the message instead.
    virtual Result<std::unique_ptr<PendingSave>> prepare_copy(MailboxBackend& source, Uid uid,
                                                              const index::Record& record) = 0;
    // Makes prepared saves visible, in order, and appends their records
    // (sizes, dates, flags, keywords via ctx.keyword_id) to `ctx`. Called
    // inside the index lock after sync(). Returns their UIDs in order.
    virtual Result<std::vector<Uid>> commit_saves(std::vector<std::unique_ptr<PendingSave>>& saves,
                                                  index::WriteContext& ctx) = 0;
    // Removes prepared saves that will not be committed.
    virtual void abort_saves(std::vector<std::unique_ptr<PendingSave>>& saves) = 0;

    // Applies final flags/keywords of `uid` to the mail file (Maildir:
    // rename). Called inside the index lock; the generic layer then records
    // them with ctx.set_flags. keyword names, not ids.
    virtual Status apply_flags(Uid uid, MailFlags flags, const std::vector<std::string>& keywords,
                               index::WriteContext& ctx) = 0;
    // Removes the message's file(s). Called inside the index lock; a file
    // already gone is not an error.
    virtual Status expunge(Uid uid, index::WriteContext& ctx) = 0;

    // The message's bytes (decompressed when stored compressed). not_found
    // when the message is gone.
    virtual Result<MessageData> open_message(Uid uid) = 0;
    // A stable GUID of the message (Maildir: G field or the base file name).
    virtual Result<std::string> message_guid(Uid uid) = 0;
    // POP3 UIDL kept from a migration (uidlist P field), if any.
    virtual std::optional<std::string> pop3_uidl(Uid uid) = 0;
    // The name the message is stored under (Maildir: the base file name),
    // if the driver has one.
    virtual std::optional<std::string> storage_name(Uid) { return std::nullopt; }

    // Paths whose change may mean the mailbox changed (Maildir: new/, cur/).
    virtual std::vector<std::string> watch_paths() const = 0;
    // Something that changes when the mailbox's messages change outside the
    // index (Maildir: new/ and cur/ mtimes, uidlist size) — for the
    // mailbox-list STATUS cache. Cheap: stat calls only.
    virtual std::string change_stamp() const = 0;
    // Deletes the mailbox's files (messages, uidlist, keywords, index).
    virtual Status remove_all() = 0;
};

// Makes the backend of driver `driver` ("maildir") for one mailbox.
MAILSTORE_INTERNAL_API Result<std::unique_ptr<MailboxBackend>>
make_backend(std::string_view driver, const MailboxPaths& paths, const StorageSettings& settings);

// MessageData over bytes the caller owns through `keepalive` (a mapping or a
// buffer); `header_size` = bytes up to and including the blank line.
MAILSTORE_INTERNAL_API MessageData make_message_data(std::shared_ptr<const void> keepalive, std::string_view bytes);
// MessageData of a file: mmap'd read-only (empty files allowed); compressed
// files (gzip or bzip2 magic) are decompressed into memory.
MAILSTORE_INTERNAL_API Result<MessageData> map_message_file(int fd);

} // namespace mailstore::storage
