// An open mailbox: its View (what this session sees: sequence numbers, UIDs,
// flags), Transactions that change it, and the Messages in it.
//
// One Mailbox object belongs to one session and is used from one thread at a
// time. Many Mailbox objects (in this process and in others) may have the
// same mailbox open; each sees the others' changes when it calls sync().
// Between two syncs the View does not move: sequence numbers stay valid, a
// message expunged by someone else stays in the View (its body may no longer
// be readable: Message::open() then fails with not_found) until the next
// sync that is allowed to report expunges.
//
// Blocking: every call may do file I/O (never network I/O) and may wait for
// a short lock (bounded by mail_max_lock_timeout, default 30 s, then
// temporary_failure). Run them off an event loop's I/O threads.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>
#include <mailstore/storage/user.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

class Mailbox;

struct OpenOptions {
    bool read_only = false;   // EXAMINE: no changes, \Recent not claimed (but unclaimed ones shown: View::recent)
    bool claim_recent = true; // this session becomes the owner of \Recent messages
    // Delivery (LMTP, LDA): the mailbox is opened only to save into it. No
    // view is built (view() shows the index as it was, without counters),
    // \Recent is not claimed (the next IMAP session gets it) and the status
    // cache is not rewritten: opening costs the same whatever the mailbox's
    // size. Transaction::commit still syncs with the files under the lock.
    bool save_only = false;
};

// The messages one session sees. Valid until the next Mailbox::sync(); a
// View's snapshot is shared copy-on-write with other sessions of the process.
class MAILSTORE_API View {
public:
    Seq count() const;
    Uid uid(Seq seq) const;        // seq in 1..count()
    Seq seq(Uid uid) const;        // 0 when uid is not in the view
    // The sequence numbers whose UIDs lie in [first, last] (a UID range from a
    // client): {0, 0} when none.
    std::pair<Seq, Seq> seq_range(Uid first, Uid last) const;
    MailFlags flags(Seq seq) const;
    std::vector<std::string> keywords(Seq seq) const;
    // \Recent for this session (RFC 3501 2.3.2). A claiming session (the
    // default OpenOptions) sees the messages it claimed; another session
    // claiming them later does not take them away. A session that does not
    // claim (read_only or !claim_recent: EXAMINE, STATUS) sees the messages
    // no session had claimed when it synced, and keeps them, as Dovecot
    // answers EXAMINE's RECENT and FETCH FLAGS.
    bool recent(Seq seq) const;
    ModSeq modseq(Seq seq) const;

    std::uint32_t uidvalidity() const;
    std::uint32_t uidnext() const;
    ModSeq highest_modseq() const;
    std::uint32_t recent_count() const; // messages recent(seq) is true for
    Seq first_unseen() const;      // 0 when none
    std::uint32_t unseen_count() const;
    // The keywords defined in the mailbox (for the FLAGS response), in the
    // order they were first used.
    const std::vector<std::string>& keyword_names() const;

    class Impl;
    explicit View(const Impl* impl) : impl_(impl) {}

private:
    const Impl* impl_;
};

// What changed since the previous sync, for the protocol to report.
struct SyncResult {
    // Sequence numbers to send as EXPUNGE, in order: each is relative to the
    // view after the previous ones were removed (so, applied one by one, they
    // turn the old view into the new one).
    std::vector<Seq> expunged;
    UidSet expunged_uids;        // the same messages, for VANISHED
    Seq old_count = 0;           // messages before the sync
    Seq count = 0;               // messages after (EXISTS when it grew or expunges were sent)
    std::uint32_t recent = 0;    // RECENT after the sync
    std::vector<Uid> changed;    // messages still in view whose flags, keywords or modseq changed, ascending
    bool keywords_changed = false;   // new keyword names: send FLAGS and PERMANENTFLAGS again
    bool uidvalidity_changed = false; // the mailbox was recreated: the client must be disconnected
};

enum SyncFlag : std::uint32_t {
    // Keep expunged messages in the view (FETCH, STORE, SEARCH must not send
    // EXPUNGE: RFC 3501 7.4.1); they are reported by a later sync.
    sync_no_expunges = 0x1,
    // Only read the index log; skip the mail-file checks (for frequent polls).
    sync_fast = 0x2,
    // Rescan every mail file (force-resync).
    sync_full = 0x4,
};

// The bytes of one message. Holds them alive (a read-only mapping of the file,
// or the decompressed data) even if the message is expunged meanwhile.
class MAILSTORE_API MessageData {
public:
    std::string_view bytes() const;   // the whole message as stored (LF or CRLF)
    std::string_view header() const;  // up to and including the empty line
    std::string_view body() const;

    class Impl;
    explicit MessageData(std::shared_ptr<const Impl> impl);

private:
    std::shared_ptr<const Impl> impl_;
};

// One message of a Mailbox's view. A cheap handle; valid until the next sync.
class MAILSTORE_API Message {
public:
    Seq seq() const;
    Uid uid() const;
    MailFlags flags() const;
    std::vector<std::string> keywords() const;
    bool recent() const;
    ModSeq modseq() const;
    // True when another session expunged it (known from the last sync that
    // kept expunges: sync_no_expunges).
    bool expunged() const;

    // Sizes and dates come from the index; if missing, from the mail file.
    Result<std::uint64_t> physical_size() const; // bytes as stored (LF line ends possible)
    Result<std::uint64_t> virtual_size() const;  // with CRLF line ends: RFC822.SIZE
    Result<std::int64_t> internal_date() const;  // Unix seconds (INTERNALDATE)
    Result<std::int64_t> save_date() const;      // Unix seconds the message was saved here
    Result<std::string> guid() const;            // stable message GUID (Maildir: the base filename or G field)
    std::optional<std::string> pop3_uidl() const; // POP3 UIDL preserved from migration (uidlist P field)
    // The name the driver stores the message under (Maildir: the base file
    // name, without ":2,<flags>", as dovecot-uidlist records it), or nullopt
    // when the driver has none or the message is gone. POP3's %f.
    std::optional<std::string> storage_name() const;

    // The message's bytes. not_found when the message was expunged.
    Result<MessageData> open() const;

    // A field cached in the index ("imap.envelope", "imap.bodystructure",
    // "hdr.subject", ...): the bytes stored with cache(), or nullopt.
    std::optional<std::string> cached(std::string_view field) const;
    // Stores a field in the cache (written at the next sync or transaction
    // commit or close; a lost cache entry is simply computed again).
    void cache(std::string_view field, std::string_view value) const;

    Message(Mailbox* mailbox, Seq seq) : mailbox_(mailbox), seq_(seq) {}

private:
    Mailbox* mailbox_;
    Seq seq_;
};

// A new message to save.
struct SaveRequest {
    std::string_view data;               // the message; LF or CRLF line ends
    int fd = -1;                         // instead of data: read the message from this file (from offset 0)
    MailFlags flags = 0;
    std::vector<std::string> keywords;
    std::optional<std::int64_t> internal_date; // Unix seconds; default: now
    std::string guid;                    // "" makes one
    std::string pop3_uidl;               // "" for none
    // Bytes stored before the message (data or fd), with its line ends
    // normalized the same way: the trace headers delivery adds. The message
    // read from `fd` is streamed, never held whole in memory.
    std::string_view header_prefix;
    // A file that already holds exactly what this save stores (an earlier
    // CommitResult::saved_files entry): hard-linked instead of written when
    // it is on the same file system and its size and first bytes match what
    // would be written; otherwise ignored and the message is written.
    std::string link_from;
};

struct FlagUpdate {
    enum class Mode { add, remove, replace };
    Mode mode = Mode::add;
    MailFlags flags = 0;
    std::vector<std::string> keywords;
    // CONDSTORE UNCHANGEDSINCE: messages whose modseq is higher are left
    // alone and reported in CommitResult::modified.
    std::optional<ModSeq> unchanged_since;
};

struct CommitResult {
    std::uint32_t uidvalidity = 0;
    std::vector<Uid> saved;    // UIDs of the saves, in save() order (APPENDUID)
    std::vector<Uid> copy_src; // COPYUID source UIDs, in order
    std::vector<Uid> copy_dst; // and the UIDs they got here
    UidSet modified;           // UNCHANGEDSINCE failures
    UidSet expunged;           // messages this commit expunged
    ModSeq modseq = 0;         // the modseq of this commit's changes (0: nothing changed)
    // Per save (in save() order, as `saved`): the file now holding the
    // message (Maildir: its full path at commit time), for
    // SaveRequest::link_from; "" where the driver has no such file.
    std::vector<std::string> saved_files;
};

// A set of changes to one mailbox that commit() applies atomically: all or
// nothing is visible to other sessions, and every saved message is durable
// (per mail_fsync) before commit() returns. The destructor rolls back.
class MAILSTORE_API Transaction {
public:
    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) noexcept;
    ~Transaction();

    // Adds a message. Fails with invalid_argument for an empty message or a
    // bad keyword; io_error when it cannot be written.
    Status save(const SaveRequest& request);
    // Copies messages of another open mailbox (UIDs of `source`'s view) into
    // this one, in UID order (hard links where possible).
    Status copy(Mailbox& source, const UidSet& uids);
    // Like copy(), and expunges them from `source` when this commits.
    Status move(Mailbox& source, const UidSet& uids);
    // Changes flags and keywords of messages (UIDs).
    Status update_flags(const UidSet& uids, const FlagUpdate& update);
    // Expunges messages (UIDs); UIDs already gone are ignored.
    Status expunge(const UidSet& uids);
    // Expunges those of `uids` that are still \Deleted when commit() runs
    // (checked under the index lock, after this transaction's own flag
    // updates): a message another session undeleted since this one last
    // synced stays (IMAP EXPUNGE, UID EXPUNGE and CLOSE; RFC 3501 6.4.3).
    // CommitResult::expunged lists what was really expunged.
    Status expunge_deleted(const UidSet& uids);

    Result<CommitResult> commit();
    void rollback();

    class Impl;
    explicit Transaction(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

class MAILSTORE_API Mailbox {
public:
    // Opens mailbox `name` of `user` and syncs it once. not_found when it does
    // not exist (IMAP [TRYCREATE]/[NONEXISTENT]); invalid_argument when it is
    // \Noselect or the name is bad.
    static Result<Mailbox> open(const User& user, std::string_view name, const OpenOptions& options = {});

    Mailbox(Mailbox&&) noexcept;
    Mailbox& operator=(Mailbox&&) noexcept;
    ~Mailbox();

    const std::string& name() const;
    bool read_only() const;
    const std::string& guid() const; // 32 hex digits
    const User& user() const;

    // Brings the view up to date with every committed change (this session's
    // and others') and reports what changed. SyncFlag bits.
    Result<SyncResult> sync(std::uint32_t flags = 0);
    const View& view() const;
    Message message(Seq seq) { return Message(this, seq); }
    Result<Message> message_by_uid(Uid uid);

    Transaction begin();

    // STATUS items of the current view.
    MailboxStatus status(std::uint32_t items = status_all) const;
    // UIDs expunged with a modseq above `since` (QRESYNC VANISHED (EARLIER)),
    // limited to `within` when given. invalid_argument when the history does
    // not reach back that far (the client must do a full resync).
    Result<UidSet> expunged_since(ModSeq since, const UidSet* within = nullptr) const;

    // Paths whose change means the mailbox may have changed (the index log,
    // Maildir new/ and cur/). ChangeWatcher uses them.
    std::vector<std::string> watch_paths() const;

    class Impl;
    explicit Mailbox(std::unique_ptr<Impl> impl);
    Impl& impl() const { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

// Tells a process when mailboxes it watches may have changed (IMAP IDLE).
// One inotify instance per process; where inotify is unavailable (or runs out
// of watches) a polling thread checks the watched paths every second.
// Callbacks run inside dispatch(), on the caller's thread.
class MAILSTORE_API ChangeWatcher {
public:
    static ChangeWatcher& instance();

    // Readable when dispatch() has something to do; add it to an event loop.
    int fd() const;
    // Runs the callbacks of watched mailboxes that changed. Never blocks.
    void dispatch();

    class Handle {
    public:
        Handle() = default;
        Handle(Handle&&) noexcept;
        Handle& operator=(Handle&&) noexcept;
        ~Handle(); // stops watching
        explicit Handle(std::uint64_t id) : id_(id) {}

    private:
        std::uint64_t id_ = 0;
    };
    // Calls `callback` (from dispatch()) after any watch_paths() of `mailbox`
    // changes. The callback should just schedule a sync.
    Handle watch(const Mailbox& mailbox, std::function<void()> callback);
    // Calls `callback` (from dispatch()) after any of `paths` changes: a
    // directory is watched itself, a file through its directory. For a set
    // of paths that is not one open mailbox (IMAP NOTIFY: the watch_paths()
    // of several mailboxes and the mailbox root). An empty handle when the
    // watch could not be made (out of memory).
    Handle watch_paths(const std::vector<std::string>& paths, std::function<void()> callback);

    ChangeWatcher(const ChangeWatcher&) = delete;
    ChangeWatcher& operator=(const ChangeWatcher&) = delete;
    class Impl;

private:
    ChangeWatcher();
    ~ChangeWatcher();
    std::unique_ptr<Impl> impl_;
};

} // namespace mailstore::storage
