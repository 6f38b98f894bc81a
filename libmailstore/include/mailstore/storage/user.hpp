// A mail user: the result of a userdb lookup turned into namespaces and
// mailbox lists. Everything a protocol does with folders (LIST, CREATE,
// DELETE, RENAME, SUBSCRIBE, STATUS) goes through a User; opening a mailbox
// for messages is Mailbox::open(user, name) (mailbox.hpp).
//
// Mailbox names in this API are UTF-8 "virtual names": the namespace prefix
// followed by the name, hierarchy levels joined by the namespace's
// separator ("INBOX", "Archive/2024", "Public/News"). Protocols convert from
// and to modified UTF-7 (mailstore/mutf7.hpp) at the wire; the storage keeps
// Dovecot's on-disk names (modified UTF-7 unless the location says UTF-8).
//
// Errors use Status codes a protocol can map: invalid_argument (a bad name:
// IMAP [CANNOT]), not_found ([NONEXISTENT], or [TRYCREATE] for a target),
// already_exists ([ALREADYEXISTS]), temporary_failure ([INUSE]: a lock could
// not be taken in time), permission_denied, io_error ([SERVERBUG]).
#pragma once

#include <mailstore/auth/fields.hpp>
#include <mailstore/config.hpp>
#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

// What User::open needs: usually a userdb result.
struct UserSettings {
    std::string username;
    std::string home;          // userdb `home`; "" when the userdb gave none
    std::optional<unsigned> uid; // userdb `uid`/`gid`: recorded, checked against the
    std::optional<unsigned> gid; // files' owner; the library never changes its own ids
    // userdb `mail` (a mail_location); "" uses the config's mail_location.
    std::string mail_location;
    // Every other userdb field ("quota_rule", "mail_fsync", ...). Fields that
    // name a setting override the config's value for this user, as in Dovecot.
    auth::FieldList userdb_fields;
    // The protocol whose `protocol NAME { }` overrides apply ("imap", "pop3",
    // "lmtp", "lda", "doveadm"); "" for none.
    std::string service;
};

// Makes UserSettings from a userdb reply (fields uid, gid, home, mail and the
// rest as extra settings).
MAILSTORE_API UserSettings user_settings_from_userdb(std::string_view username,
                                                     const auth::FieldList& userdb_fields,
                                                     std::string_view service = {});

enum class NamespaceType { private_ns, shared_ns, public_ns };
enum class NamespaceList { yes, no, children };

// One `namespace NAME { }` block, after variable expansion.
struct NamespaceInfo {
    std::string name;      // the block's name ("inbox"), may be ""
    NamespaceType type = NamespaceType::private_ns;
    std::string prefix;    // "" or ends with separator ("INBOX.", "Public/")
    char separator = '.';
    bool inbox = false;    // holds INBOX
    bool hidden = false;   // left out of the NAMESPACE response
    NamespaceList list = NamespaceList::yes;
    bool subscriptions = true;
    std::string location;  // the expanded mail_location it uses
};

// A LIST query (RFC 3501 LIST/LSUB and RFC 5258 LIST-EXTENDED).
struct ListQuery {
    std::string reference;             // UTF-8; prepended to each pattern
    std::vector<std::string> patterns; // UTF-8 with '*' and '%' wildcards
    bool subscribed = false;           // selection SUBSCRIBED (and LSUB)
    bool special_use_only = false;     // selection SPECIAL-USE
    bool recursive_match = false;      // selection RECURSIVEMATCH: parents of matches get child_subscribed
    bool lsub = false;                 // RFC 3501 LSUB semantics (unsubscribed parents become \Noselect)
};

struct MailboxInfo {
    std::string name;                // virtual name, UTF-8
    char separator = '.';
    std::uint32_t attributes = 0;    // MailboxAttribute bits (children, subscribed always computed)
    std::uint32_t special_use = 0;   // SpecialUse bits
    bool child_subscribed = false;   // RECURSIVEMATCH: a child matched the selection
    int namespace_index = 0;         // index into User::namespaces()
};

class MAILSTORE_API User {
public:
    // Builds the user's namespaces from `config` (namespace blocks; without
    // any, one private inbox namespace with prefix "" and the storage's
    // separator) and checks their locations. The root directories are
    // created on first use, not here. Fails with invalid_argument for a bad
    // mail_location or namespace setting (the message names the setting),
    // not_found when mail_location is empty and nothing can be detected in
    // the home directory.
    static Result<User> open(const config::Config& config, const UserSettings& settings);

    const std::string& username() const;
    const std::string& home() const;
    const config::Config& config() const;
    const UserSettings& settings() const;

    // The namespaces, in the order NAMESPACE and LIST use.
    const std::vector<NamespaceInfo>& namespaces() const;
    // The namespace `name` belongs to (the longest matching prefix; "INBOX"
    // case-insensitively), or -1.
    int namespace_of(std::string_view name) const;
    // `name` with "INBOX" (any case, also as the first level) made "INBOX";
    // other names unchanged.
    std::string normalize_name(std::string_view name) const;
    // Checks a name a client wants to create or use: valid UTF-8, no control
    // characters, no empty, "." or ".." level, bounded length (255 bytes per
    // level, 1024 total) and depth (16 levels). invalid_argument names the
    // problem.
    Status validate_name(std::string_view name) const;

    // Mailboxes matching the query, each once, in a stable order (namespace
    // order, then name). \NonExistent/\Noselect parents are included where
    // RFC 3501/5258 say so.
    Result<std::vector<MailboxInfo>> list(const ListQuery& query) const;

    // Creates `name` (and missing parents, which stay \Noselect only where the
    // layout allows it). already_exists when it exists; special_use sets
    // RFC 6154 CREATE USE flags.
    Status create_mailbox(std::string_view name, std::uint32_t special_use = 0) const;
    // Deletes `name` and its messages. Children survive (the mailbox becomes
    // \Noselect when it has any), as RFC 3501 says. INBOX cannot be deleted.
    Status delete_mailbox(std::string_view name) const;
    // Renames `from` and its children to `to`. Renaming INBOX moves its
    // messages into a new mailbox `to` and leaves INBOX empty (RFC 3501).
    Status rename_mailbox(std::string_view from, std::string_view to) const;
    Status subscribe(std::string_view name, bool subscribed = true) const;
    Result<std::vector<std::string>> subscriptions() const;
    bool exists(std::string_view name) const;

    // STATUS of a mailbox, answered from the mailbox-list index when the
    // mailbox has not changed since it was last recorded; otherwise the
    // mailbox is opened and synced (read-only; \Recent is not claimed).
    // `recent` counts the messages no session has claimed yet (Dovecot's
    // STATUS RECENT), never another session's claimed \Recent.
    Result<MailboxStatus> status(std::string_view name, std::uint32_t items) const;
    // The mailbox GUID (32 hex digits), created with the mailbox.
    Result<std::string> mailbox_guid(std::string_view name) const;

    // Creates the `mailbox NAME { auto = create|subscribe }` mailboxes of the
    // config that are missing. Called by User::open; exposed for loftadm.
    Status create_auto_mailboxes() const;

    class Impl;
    explicit User(std::shared_ptr<Impl> impl);
    Impl& impl() const { return *impl_; }

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace mailstore::storage
