// Internal side of storage::User: what the generic mailbox layer needs to
// open a mailbox by name.
#pragma once

#include "storage/backend.hpp"
#include "storage/list_backend.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/user.hpp>

#include <memory>
#include <string>
#include <string_view>

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

} // namespace mailstore::storage
