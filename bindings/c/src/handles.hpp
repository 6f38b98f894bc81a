// What the C API's opaque handles hold. Only the binding's own files see
// these definitions; a C caller has nothing but the pointers.
#pragma once

#include <mailstore/mime/message.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <loft/mailstore.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct loft_user {
    mailstore::storage::User user;
};

struct loft_mailbox {
    loft_user* user; // borrowed: a mailbox must be closed before its user
    mailstore::storage::Mailbox mailbox;
};

// A snapshot of one message (taken by loft_message_get), plus its bytes and
// MIME tree once something read them. The bytes are found again by UID, so
// the handle stays usable after the mailbox was synced.
struct loft_message {
    loft_mailbox* mailbox = nullptr; // borrowed: freed before the mailbox is closed
    std::uint32_t seq = 0;
    std::uint32_t uid = 0;
    std::uint32_t flags = 0;
    std::vector<std::string> keywords;
    std::uint64_t size = 0;
    std::uint64_t physical_size = 0;
    std::int64_t internal_date = 0;
    std::int64_t save_date = 0;
    // Loaded on first read; `parsed` points into `data`'s bytes, so it is
    // declared after it (destroyed first).
    std::optional<mailstore::storage::MessageData> data;
    std::optional<mailstore::mime::ParsedMessage> parsed;
};

struct loft_mailbox_list {
    std::vector<mailstore::storage::MailboxInfo> entries;
};
