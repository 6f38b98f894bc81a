// dovecot-uidlist, version 3 — read and written compatibly with Dovecot:
//
//   3 V1367080883 N12 G0f1a...32hex
//   1 :1367080883.M622430P16295.host,S=547,W=559
//   5 W1234 P00000001 :1367080890.M1P2.host
//
// Header: version, then space-separated KEY+value fields (V uidvalidity,
// N next uid, G mailbox guid, others kept). Each line: uid, optional
// extension fields (S psize, W vsize, P POP3 UIDL, O POP3 order, G GUID, any
// other upper-case letter kept as is), then ":" and the base file name.
//
// Writers hold dovecot-uidlist.lock (a dotlock, as Dovecot's) while they
// append lines or replace the file (write dovecot-uidlist.tmp, fsync,
// rename). Readers need no lock: appends are whole lines; a replaced file is
// noticed by its inode.
#pragma once

#include "index/mail_index.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailstore::storage::maildir {

struct UidlistEntry {
    Uid uid = 0;
    std::string base;                                   // file base name (no ":2,...")
    std::vector<std::pair<char, std::string>> ext;      // extension fields in file order
    MAILSTORE_INTERNAL_API std::optional<std::string> field(char key) const; // value of an extension field
};

struct UidlistHeader {
    unsigned version = 3;
    std::uint32_t uidvalidity = 0;
    Uid next_uid = 1;
    std::string guid;                                   // 32 hex, may be ""
    std::vector<std::pair<char, std::string>> other;    // other header fields, kept
};

// An open descriptor, closed with its last owner.
struct MAILSTORE_INTERNAL_API HeldFile {
    int fd = -1;
    explicit HeldFile(int f) : fd(f) {}
    HeldFile(const HeldFile&) = delete;
    HeldFile& operator=(const HeldFile&) = delete;
    ~HeldFile();
};

struct Uidlist {
    UidlistHeader header;
    std::vector<UidlistEntry> entries;                  // ascending uid
    // Where the file ended when read (to read appended lines later) and its identity.
    std::uint64_t end_offset = 0;
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
    // The header line as read (without its '\n'). Appends never change it;
    // a rewrite (Dovecot's or ours) normally does (N, or the order of
    // fields), so a different header line means "read it whole again".
    std::string header_line;
    // The file that was read (read_uidlist), held open: while we hold it its
    // inode number cannot be given to another file (ext4 hands a freed
    // number out again, so two rewrites by rename can bring the old number
    // back). Equal inode and device then really mean the same file, which
    // writers only append to. Without it nothing is trusted incrementally.
    std::shared_ptr<const HeldFile> held;
};

// Parses uidlist text. Versions 1 and 2 are read too. invalid_argument with
// "line N: ..." for a corrupt file (the driver then rebuilds it). Lines with
// non-increasing UIDs are corrupt. A final line without '\n' is ignored
// (being appended).
MAILSTORE_INTERNAL_API Result<Uidlist> parse_uidlist(std::string_view text);
// Reads the file `path` (not_found when missing).
MAILSTORE_INTERNAL_API Result<Uidlist> read_uidlist(const std::string& path);
// Reads lines appended since `list` was read, into `list`. Only when `list`
// holds the file it read (list.held), the file at `path` is that same inode,
// not shorter than end_offset, and its header line is byte for byte the one
// read; otherwise (replaced, truncated, header rewritten, or nothing held)
// re-reads it whole. Returns true when anything changed.
MAILSTORE_INTERNAL_API Result<bool> refresh_uidlist(const std::string& path, Uidlist& list);
// Text of a whole uidlist (version 3) with a header N >= next uid.
MAILSTORE_INTERNAL_API std::string format_uidlist(const Uidlist& list);
// One record line, "<uid>[ <K><value>]* :<base>\n" (with its newline).
MAILSTORE_INTERNAL_API std::string format_uidlist_line(const UidlistEntry& entry);
// Replaces `path` with `list` via PATH.tmp + rename (fdatasync per mode). The
// caller holds the dotlock.
MAILSTORE_INTERNAL_API Status write_uidlist(const std::string& path, const Uidlist& list, index::FsyncMode fsync);
// Appends entry lines to `path` (the caller holds the dotlock and has
// refreshed `list` to the file's end); updates list.end_offset.
MAILSTORE_INTERNAL_API Status append_uidlist(const std::string& path, Uidlist& list,
                                             const std::vector<UidlistEntry>& entries, index::FsyncMode fsync);

// A dotlock as Dovecot takes them: PATH.lock created with O_EXCL holding
// "<pid>:<hostname>" (no newline, as Dovecot 2.3 writes it); a lock older than `stale_after` (default 2 minutes, as
// Dovecot's uidlist lock), or whose pid on this host is dead, is broken.
class MAILSTORE_INTERNAL_API Dotlock {
public:
    Dotlock() = default;
    Dotlock(Dotlock&&) noexcept;
    Dotlock& operator=(Dotlock&&) noexcept;
    ~Dotlock(); // releases
    // Waits up to `timeout`; temporary_failure "PATH.lock: locked by pid N" after it.
    static Result<Dotlock> acquire(const std::string& path, std::chrono::milliseconds timeout,
                                   std::chrono::seconds stale_after = std::chrono::seconds(120));
    void release();
    bool held() const { return !lock_path_.empty(); }

private:
    std::string lock_path_;
    std::uint64_t inode_ = 0;  // of our lock file: release() never removes a lock someone else took
    std::uint64_t device_ = 0; // after ours was broken as stale
};

} // namespace mailstore::storage::maildir
