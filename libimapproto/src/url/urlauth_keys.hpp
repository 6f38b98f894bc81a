// Mailbox access keys (RFC 4467 §2.2): per user and per mailbox, random
// (256 bits from OpenSSL's RAND_bytes), never shown to a client. The
// INTERNAL mechanism's token is HMAC-SHA1(key, rump URL) in lower-case hex
// (RFC 4467 §2.4.1 recommends an HMAC such as HMAC-SHA1; Dovecot uses the
// same construction, so tokens are 40 hex digits as Dovecot's are).
//
// Where the keys live: with `mail_attribute_dict` set (METADATA), in the
// user's metadata store as the private entry
// /private/vendor/vendor.loft/urlauth-key of each mailbox (as Dovecot keeps
// its keys as a mailbox attribute); a client can see and change that entry
// with GETMETADATA/SETMETADATA, which only affects its own URLs. Without a
// dict, in a file "loft-urlauth-keys" (mode 0600) in the user's home, or in
// the mail root when the userdb gives no home, one line per mailbox:
// "<mailbox GUID> <key in hex>". Either way keys are bound to the mailbox
// GUID, so RENAME keeps a mailbox's URLs valid and DELETE + CREATE of the
// same name invalidates them. File changes are read-modify-write under an
// OFD lock on "loft-urlauth-keys.lock" and replace the file by rename after
// an fsync, then fsync the directory (unless mail_fsync = never), so two
// sessions never lose each other's keys and a crash after an acknowledged
// change leaves the new file (a RESETKEY never rolls back).
#pragma once

#include <mailstore/status.hpp>
#include <mailstore/storage/metadata.hpp>
#include <mailstore/storage/user.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace imapproto::detail::url {

// Bounds: a key file with more lines than this is refused (a user with more
// mailboxes than this cannot authorize URLs for the rest).
inline constexpr std::size_t kMaxKeys = 100000;

class UrlauthKeys {
public:
    explicit UrlauthKeys(const mailstore::storage::User& user);

    // The key (hex) of the mailbox with GUID `mailbox_guid`; with `create`
    // a new one is made and stored when there is none. nullopt when there
    // is none (and `create` is false). io_error when the file cannot be
    // read or written.
    mailstore::Result<std::optional<std::string>> get(std::string_view mailbox_guid, bool create);
    // RESETKEY mailbox: a new key replaces the old one.
    mailstore::Status reset(std::string_view mailbox_guid);
    // RESETKEY without arguments: every key of the user is removed.
    mailstore::Status reset_all();

    // The key file ("" when the metadata store holds the keys).
    const std::string& path() const { return path_; }

private:
    const mailstore::storage::User& user_;
    std::optional<mailstore::storage::MetadataStore> store_;
    std::string path_;
    bool fsync_ = true; // mail_fsync is not "never"
};

// The metadata entry of a mailbox's key.
inline constexpr std::string_view kKeyEntry = "/private/vendor/vendor.loft/urlauth-key";

// HMAC-SHA1 of `data` with the (hex) key, in lower-case hex (40 digits).
std::string urlauth_token(std::string_view key_hex, std::string_view data);
// A random key in hex (for a mailbox that cannot be identified: RFC 4467
// §6 computes a token with a "plausible" key anyway).
std::string random_key();
// Compares two tokens in constant time (no early exit on the first
// difference); case-insensitive for the hex digits.
bool tokens_equal(std::string_view a, std::string_view b);

} // namespace imapproto::detail::url
