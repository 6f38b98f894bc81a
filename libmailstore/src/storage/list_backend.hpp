// The folder side of a storage driver: which mailboxes exist under a
// namespace's root, creating, deleting and renaming them, the subscriptions
// file. Names here are "storage names": the levels of a name below the
// namespace prefix, UTF-8, e.g. {"Archive", "2024"}; {"INBOX"} is INBOX.
#pragma once

#include "storage/backend.hpp"
#include "storage/mail_location.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <memory>
#include <string>
#include <vector>

namespace mailstore::storage {

using StorageName = std::vector<std::string>;

struct StoredMailbox {
    StorageName name;
    bool selectable = true;   // false: a directory that only holds children (\Noselect)
};

class MailboxListBackend {
public:
    virtual ~MailboxListBackend() = default;
    // Every mailbox below the root (INBOX included when it exists), any order.
    virtual Result<std::vector<StoredMailbox>> list() const = 0;
    virtual MailboxPaths paths(const StorageName& name) const = 0;
    virtual Result<std::unique_ptr<MailboxBackend>> open_backend(const StorageName& name) const = 0;
    // Creates one mailbox (not its parents). already_exists when it exists.
    virtual Status create(const StorageName& name) = 0;
    // Deletes one mailbox's messages and files; keeps children. not_found when missing.
    virtual Status remove(const StorageName& name) = 0;
    // Renames one mailbox and, for layouts where they are separate, each of
    // its children. already_exists when `to` exists.
    virtual Status rename(const StorageName& from, const StorageName& to) = 0;
    // The subscriptions file of this namespace's root.
    virtual std::string subscriptions_path() const = 0;
    // The storage's own hierarchy separator ('.' for Maildir++, '/' for fs).
    virtual char native_separator() const = 0;
    // Where per-user data such as the mailbox-list index lives (INDEX= root, else the mail root).
    virtual std::string index_root() const = 0;
};

// The list backend for a parsed location (Maildir now).
MAILSTORE_INTERNAL_API Result<std::unique_ptr<MailboxListBackend>>
make_list_backend(const MailLocation& location, const StorageSettings& settings);

} // namespace mailstore::storage
