// Mailbox and server metadata (RFC 5464 entries, Dovecot's "mailbox
// attributes"): small named values, private to the user or shared, attached
// to one mailbox (by its GUID) or to the server.
//
// The entries live in the dict named by the `mail_attribute_dict` setting
// (Dovecot's `file:%h/dovecot-attributes`), in Dovecot's own file-dict format
// and key layout, so entries written by Dovecot are read by Loft and the
// other way round. Writes are all-or-nothing and durable: the whole file is
// written to a temporary file, fsynced (per `mail_fsync`) and renamed over
// the old one under a lock file, so the file is never half-written and two
// writers never lose each other's keys (the last writer of one key wins).
//
// Entry names in this API are the RFC 5464 names: "/private/comment",
// "/shared/vendor/acme/x". They are case-insensitive; the store keeps them
// in lower case (as Dovecot does), and returns them that way.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

class User;

// GETMETADATA DEPTH (RFC 5464 §4.2.2): the entry only, its children too, or
// every descendant.
enum class MetadataDepth { zero, one, infinity };

struct MetadataEntry {
    std::string name;  // "/private/comment" (lower case)
    std::string value; // any bytes, may be empty
    bool operator==(const MetadataEntry&) const = default;
};

// One change of a SETMETADATA: a value to store, or nullopt to delete.
struct MetadataChange {
    std::string name;
    std::optional<std::string> value;
};

// Bounds on what one user may store (RFC 5464 §4.3 lets a server choose).
struct MetadataLimits {
    // One value, in bytes ([METADATA MAXSIZE]); below the IMAP parser's
    // 64 KiB literal limit, so that a client learns the limit from MAXSIZE.
    std::size_t max_value_size = 32 * 1024;
    std::size_t max_entries = 256;              // per mailbox, and for the server ([METADATA TOOMANY])
    std::size_t max_total_bytes = 1024 * 1024;  // names + values of all the user's entries ([TOOMANY])
};

// Why set() refused a change that was valid: the IMAP layer turns these
// into the RFC 5464 §4.3 response codes.
enum class MetadataRefusal {
    none,      // applied
    too_large, // a value exceeds max_value_size: [METADATA MAXSIZE max_value_size]
    too_many,  // max_entries or max_total_bytes would be exceeded: [METADATA TOOMANY]
};

// Which dict file a read saw: its identity (device, inode), size and times.
// Writers replace the file by rename (Loft and Dovecot's file dict alike),
// so an equal version means the same entries; a caller that polls compares
// versions to skip reading an unchanged file. `exists` false: no file yet
// (no entries).
struct MetadataFileVersion {
    bool exists = false;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const MetadataFileVersion&) const = default;
};

// Every entry of the dict from one read, grouped by owner.
struct MetadataSnapshot {
    // The file as stat'ed just before it was read: a change after that
    // gives a different version, so a poller that keeps this one reads
    // again rather than miss it.
    MetadataFileVersion version;
    // Lower-case mailbox GUID -> that mailbox's entries; "" -> the server's
    // entries. Each list holds what get_tree(guid, "/private" and "/shared",
    // infinity) would return, sorted by name, internal entries included
    // (callers filter them). Keys of other dict users are not entries and
    // are left out; a mailbox or the server without entries has no element.
    std::map<std::string, std::vector<MetadataEntry>> owners;
};

// Checks an RFC 5464 entry name: starts with "/private" or "/shared", ASCII
// printable without '*' '%', no "//", no trailing '/', bounded length
// (1024). invalid_argument names the problem.
MAILSTORE_API Status validate_metadata_entry_name(std::string_view name);

class MAILSTORE_API MetadataStore {
public:
    // The store of `user`, from its `mail_attribute_dict` (%h and %u are
    // expanded; only "file:PATH" dicts are supported). not_supported when the
    // setting is empty (METADATA is off, as in Dovecot) or names another dict
    // type. The file is created on the first write, not here.
    static Result<MetadataStore> open(const User& user, const MetadataLimits& limits = {});
    // A store over the file `path` (tests, tools). `inbox_guid` is the GUID
    // of the user's INBOX: Dovecot keeps server entries under INBOX's key.
    // `fsync` false skips fsync (mail_fsync = never).
    static Result<MetadataStore> open_file(std::string path, std::string inbox_guid,
                                           const MetadataLimits& limits = {}, bool fsync = true);

    // In every call, `mailbox_guid` is the mailbox's GUID (32 hex digits,
    // User::mailbox_guid) or "" for server entries (RFC 5464 METADATA-SERVER).

    // The value of one entry, nullopt when it is not set. io_error when the
    // file cannot be read, invalid_argument for a bad name.
    Result<std::optional<std::string>> get(std::string_view mailbox_guid, std::string_view name) const;
    // The entry `name` (when set) and, for DEPTH 1 its children, for DEPTH
    // infinity every descendant, sorted by name. `name` may be "/private" or
    // "/shared" to walk a whole scope.
    Result<std::vector<MetadataEntry>> get_tree(std::string_view mailbox_guid, std::string_view name,
                                                MetadataDepth depth) const;
    // Applies every change or none. Returns the refusal (none = applied);
    // invalid_argument for a bad name, temporary_failure when the lock could
    // not be taken in time, io_error when the file could not be written.
    Result<MetadataRefusal> set(std::string_view mailbox_guid, std::span<const MetadataChange> changes);
    // Drops every entry of a deleted mailbox (private and shared).
    Status remove_mailbox(std::string_view mailbox_guid);

    // The version of the dict file now: one stat, nothing read. io_error
    // when it cannot be stat'ed (other than not existing).
    Result<MetadataFileVersion> file_version() const;
    // Every entry of every mailbox and of the server from one read of the
    // file (for NOTIFY, RFC 5465 §5.6/§5.7, which compares all of them).
    // A missing file is an empty snapshot. io_error when it cannot be read,
    // invalid_argument when it is larger than the store reads (64 MiB),
    // internal when it holds server entries and INBOX's GUID is unknown.
    Result<MetadataSnapshot> read_all() const;

    const MetadataLimits& limits() const;
    // The dict file's path.
    const std::string& path() const;

    class Impl;
    explicit MetadataStore(std::shared_ptr<Impl> impl);

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace mailstore::storage
