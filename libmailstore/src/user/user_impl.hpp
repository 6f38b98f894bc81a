// Internal side of storage::User: what the generic mailbox layer needs to
// open a mailbox by name.
#pragma once

#include "storage/backend.hpp"
#include "storage/list_backend.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/user.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

// A mailbox name resolved to its namespace and storage.
struct ResolvedMailbox {
    std::string name;                 // normalized virtual name ("INBOX", "Archive/2024")
    int namespace_index = 0;
    StorageName storage_name;         // levels below the namespace prefix
    bool is_inbox = false;
    MailboxPaths paths;
    StorageSettings settings;
    std::shared_ptr<MailboxListBackend> list; // the namespace's storage
    std::uint32_t special_use = 0;    // from `mailbox NAME { special_use }`
};

// Resolves `name` of `user`. invalid_argument for a bad name or one outside
// every namespace. Does not check that the mailbox exists.
MAILSTORE_INTERNAL_API Result<ResolvedMailbox> resolve_mailbox(const User& user, std::string_view name);
// The storage settings of `user` (mail_fsync, mail_save_crlf, zlib_save ...,
// userdb overrides applied).
MAILSTORE_INTERNAL_API const StorageSettings& user_storage_settings(const User& user);
// Records a mailbox's status in the user's mailbox-list index (called by the
// generic layer after a sync, so LIST-STATUS/STATUS can skip opening it).
MAILSTORE_INTERNAL_API void remember_status(const User& user, const ResolvedMailbox& mailbox,
                                            const MailboxStatus& status, const std::string& change_stamp);

// A `mailbox NAME { }` block of a namespace (NAME is relative to the
// namespace prefix, as Dovecot reads it: `mailbox Sent` in a namespace with
// prefix "INBOX." is "INBOX.Sent").
struct MailboxSettings {
    std::string name;             // virtual name (prefix + NAME; "INBOX" for INBOX)
    std::uint32_t special_use = 0;
    enum class Auto { no, create, subscribe } autocreate = Auto::no;
};

// One served namespace: its settings, parsed location and storage.
struct NamespaceRuntime {
    NamespaceInfo info;
    MailLocation location;
    std::shared_ptr<MailboxListBackend> list;
    std::vector<MailboxSettings> mailboxes;
};

class User::Impl {
public:
    config::Config config = config::Config::defaults();
    UserSettings settings;
    std::vector<NamespaceInfo> namespaces;   // what namespaces() returns
    std::vector<NamespaceRuntime> runtimes;  // same order
    StorageSettings storage;
    std::string mail_location;               // the expanded user's location

    // Serializes this User's use of the mailbox-list index file; other
    // processes are covered by temp + rename (it is a cache: last writer
    // wins). Subscriptions and special-use changes take a process-wide lock
    // (mailbox_list.cpp).
    mutable std::mutex files_mutex;
    // What this process last wrote to the mailbox-list index per mailbox
    // (stamp and counters), so repeated syncs do not rewrite it. Guarded by
    // files_mutex.
    mutable std::map<std::string, std::string> remembered;
    // The parsed mailbox-list index files (by path), reused while the file's
    // inode, size and mtime are unchanged, so LIST-STATUS over many folders
    // reads each file once. Guarded by files_mutex (status_cache.cpp).
    struct ListIndexSnapshot;
    mutable std::map<std::string, std::shared_ptr<const ListIndexSnapshot>> list_index_snapshots;
};

// Builds the user's settings and namespaces (user_settings.cpp, namespaces.cpp).
Status load_storage_settings(User::Impl& impl);
Status load_namespaces(User::Impl& impl);
// Virtual name of a storage name of namespace `ns`.
std::string virtual_name(const NamespaceRuntime& ns, const StorageName& name);
// Expands %u %n %d %h (and long names) of `text` for the user.
Result<std::string> expand_user_variables(std::string_view text, const UserSettings& settings);

// The per-user special-use file (`loft-special-use`: lines "<flags>\t<name>").
std::map<std::string, std::uint32_t> read_special_use_file(const NamespaceRuntime& ns);
Status store_special_use(const User::Impl& impl, const NamespaceRuntime& ns, const std::string& vname,
                         std::uint32_t flags);

// Drops a mailbox's entry from the mailbox-list index (DELETE, RENAME).
void forget_status(const User& user, int namespace_index, const std::string& name);

} // namespace mailstore::storage
