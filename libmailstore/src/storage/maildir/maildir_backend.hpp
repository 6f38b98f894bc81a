// The Maildir driver: MailboxBackend over one Dovecot-compatible Maildir
// folder (cur/ new/ tmp/, dovecot-uidlist, dovecot-keywords, loft-keywords).
// See docs/maildir.md, "Sync and delivery".
//
// What the driver keeps in memory per folder (the uidlist, the keyword
// letters, the current file name of each UID) is shared by every backend of
// that folder in the process, so a 100k-message INBOX is held once, not once
// per session. Lock order: the index write lock, then MaildirShared::mutex,
// then dovecot-uidlist.lock.
#pragma once

#include "storage/backend.hpp"
#include "storage/maildir/filename.hpp"
#include "storage/maildir/keywords_file.hpp"
#include "storage/maildir/uidlist.hpp"

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mailstore::storage::maildir {

// Keywords without a letter (beyond the 26 of dovecot-keywords) per UID, as
// kept in the control file loft-keywords: "<uid> <kw> <kw>...\n", append-only,
// the last line of a UID wins (a line with the UID alone clears it).
using LetterlessKeywords = std::map<Uid, std::vector<std::string>>;

// Parses loft-keywords text; malformed lines are skipped.
MAILSTORE_INTERNAL_API LetterlessKeywords parse_loft_keywords(std::string_view text);

// The folder state shared by the backends of one Maildir in this process.
struct MaildirShared {
    std::mutex mutex;
    bool uidlist_loaded = false;
    Uidlist uidlist;
    // uid -> current file name relative to the folder ("cur/NAME" or "new/NAME").
    std::unordered_map<Uid, std::string> names;
    std::time_t last_tmp_cleanup = 0;
    // The last time locate_locked() read cur/ and new/ to find a renamed
    // file: every name it saw was recorded in `names`, so while both
    // directories keep the mtimes seen before that read (and the read was
    // not within dirty_window_ns of them), a UID still without a name has
    // no file and the directories are not read again (one listing per
    // change instead of one per message).
    std::int64_t listed_cur_mtime_ns = -1;
    std::int64_t listed_new_mtime_ns = -1;
    std::int64_t listed_at_ns = 0;
    // How many times locate_locked() has read the directories (for tests).
    std::uint64_t locate_listings = 0;

    // The folder's control directory held open (O_PATH), -1 when unknown:
    // a state kept for reuse after its last backend closed is reused only
    // while the directory at that path is still this one.
    int identity_fd = -1;

    MaildirShared() = default;
    MaildirShared(const MaildirShared&) = delete;
    MaildirShared& operator=(const MaildirShared&) = delete;
    ~MaildirShared();

    // Drops every recorded name (and so the proof that a listing was complete).
    void forget_names() {
        names.clear();
        listed_cur_mtime_ns = listed_new_mtime_ns = -1;
    }
};

// Folder states kept after their last backend closed (the most recently
// used ones), per process: at most this many, and at most this many bytes
// of estimated memory (storage/kept_states.hpp).
inline constexpr std::size_t kept_folder_states = 16;
inline constexpr std::size_t kept_folder_state_bytes = std::size_t(16) << 20;

// The estimated memory of a folder state no backend uses (SIZE_MAX when it
// is busy); for the kept-state budget.
MAILSTORE_INTERNAL_API std::size_t kept_folder_state_estimate(MaildirShared& shared);

// Directory mtimes and uidlist identity recorded in the index header
// (IndexHeader::driver_state), so needs_sync() is three stat calls.
struct MaildirDriverState {
    std::int64_t new_mtime_ns = -1;
    std::int64_t cur_mtime_ns = -1;
    std::uint64_t uidlist_inode = 0;
    std::int64_t uidlist_size = -1;
    // The mtime was recent when recorded: a change in the same timestamp
    // tick would not show, so the directory is read once more after
    // dirty_window_ns (the new mtime alone is not proof of a complete read).
    bool new_dirty = false;
    bool cur_dirty = false;
    bool operator==(const MaildirDriverState&) const = default;
};
inline constexpr std::int64_t dirty_window_ns = 2'000'000'000;
MAILSTORE_INTERNAL_API std::string format_driver_state(const MaildirDriverState& state);
MAILSTORE_INTERNAL_API MaildirDriverState parse_driver_state(std::string_view text);

class MaildirBackend final : public MailboxBackend {
public:
    MaildirBackend(const MailboxPaths& paths, const StorageSettings& settings);
    ~MaildirBackend() override;

    Status create() override;
    bool exists() const override;
    Status sync(index::WriteContext& ctx, bool full) override;
    bool needs_sync(const index::IndexState& state) override;
    Result<std::unique_ptr<PendingSave>> prepare_save(const SaveRequest& request) override;
    Result<std::unique_ptr<PendingSave>> prepare_copy(MailboxBackend& source, Uid uid,
                                                      const index::Record& record) override;
    Result<std::vector<Uid>> commit_saves(std::vector<std::unique_ptr<PendingSave>>& saves,
                                          index::WriteContext& ctx) override;
    void abort_saves(std::vector<std::unique_ptr<PendingSave>>& saves) override;
    Status apply_flags(Uid uid, MailFlags flags, const std::vector<std::string>& keywords,
                       index::WriteContext& ctx) override;
    Status expunge(Uid uid, index::WriteContext& ctx) override;
    Result<MessageData> open_message(Uid uid) override;
    Result<std::string> message_guid(Uid uid) override;
    std::optional<std::string> pop3_uidl(Uid uid) override;
    std::optional<std::string> storage_name(Uid uid) override;
    std::vector<std::string> watch_paths() const override;
    std::string change_stamp() const override;
    Status remove_all() override;

    const MailboxPaths& paths() const { return paths_; }
    const StorageSettings& settings() const { return settings_; }

    // Paths of the folder's files.
    std::string cur_dir() const { return paths_.mail_dir + "/cur"; }
    std::string new_dir() const { return paths_.mail_dir + "/new"; }
    std::string tmp_dir() const { return paths_.mail_dir + "/tmp"; }
    std::string uidlist_path() const { return paths_.control_dir + "/dovecot-uidlist"; }
    std::string keywords_path() const { return paths_.control_dir + "/dovecot-keywords"; }
    std::string loft_keywords_path() const { return paths_.control_dir + "/loft-keywords"; }
    // Where dovecot-uidlist.lock goes: the uidlist's own path (Dovecot's name).
    std::string lock_target() const { return uidlist_path(); }

    // The current path (absolute) of `uid`'s file, found as described in
    // docs/maildir.md; `index_flags_name` is the name the index's flags
    // suggest (may be ""). not_found when the file is gone. Caller holds
    // shared_->mutex.
    Result<std::string> locate_locked(Uid uid, const std::string& index_flags_name);

    // The stored file info of `uid`; caller holds the mutex.
    const UidlistEntry* entry_locked(Uid uid);
    MaildirShared& shared() { return *shared_; }
    // Appends lines to loft-keywords; the caller holds the dotlock.
    Status append_loft_keywords_locked(const LetterlessKeywords& lines);

private:
    friend struct MaildirSyncRun;
    friend struct MaildirSaveRun;

    // Save helpers (maildir_save.cpp).
    Result<int> create_tmp_file(std::string& base, std::string& path, std::uint64_t psize, std::uint64_t vsize);
    Status finish_tmp_file(int fd, const std::string& path, std::int64_t date, bool& data_synced);
    Result<std::unique_ptr<PendingSave>> prepare_streamed_save(const SaveRequest& request, std::uint64_t limit);

    MailboxPaths paths_;
    StorageSettings settings_;
    std::shared_ptr<MaildirShared> shared_;
    // Saves prepared by this backend and neither committed nor dropped:
    // more than batch_sync_after of them make a batch, whose later files
    // are made durable together at commit (docs/durability.md).
    std::shared_ptr<std::atomic<std::uint32_t>> open_saves_ = std::make_shared<std::atomic<std::uint32_t>>(0);
};

// With mail_fsync = optimized, the first saves of a transaction are
// fdatasync'ed as they are written (outside any lock: a single LMTP delivery
// costs one fdatasync); from the next one on, writeback is only started
// (sync_file_range) and commit makes them all durable with one syncfs()
// before the first rename.
inline constexpr std::uint32_t batch_sync_after = 2;

} // namespace mailstore::storage::maildir
