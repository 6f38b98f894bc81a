// RFC 8474 object identifiers derived from mailbox and message GUIDs and
// message headers (object_id.hpp says how and why).
#include "storage/object_id.hpp"

#include "auth/crypto.hpp"

#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>

#include <algorithm>

namespace mailstore::storage {

namespace {

// 24 hex digits = 96 bits of SHA-256: a collision among the messages of
// one account is out of reach (about 2^48 messages for an even chance),
// and the ids stay short in FETCH responses.
constexpr std::size_t kHashDigits = 24;

// The cache field holding a message's THREADID. Versioned: a change of the
// derivation takes a new name and old entries are simply unused.
constexpr std::string_view kThreadIdField = "objectid.thread.v1";

// A msg-id longer than a whole RFC 5322 line is junk, as THREAD treats it.
constexpr std::size_t kMaxIdLength = 998;

std::string hashed(char prefix, std::string_view domain, std::string_view value) {
    // The domain string keeps the inputs of different derivations apart
    // (a GUID that happens to equal a msg-id still gives another THREADID).
    std::string input(domain);
    input += '\0';
    input += value;
    std::string digest = auth::crypto::hex(auth::crypto::sha256(input));
    std::string id(1, prefix);
    id.append(digest, 0, kHashDigits);
    return id;
}

// A msg-id as it names a conversation: the domain part after the last '@'
// is case-insensitive (RFC 5322 §3.4.1 domain), so it is lower-cased; the
// local part is kept as written.
std::string normalized_id(std::string id) {
    auto at = id.rfind('@');
    if (at != std::string::npos)
        std::transform(id.begin() + static_cast<std::ptrdiff_t>(at), id.end(),
                       id.begin() + static_cast<std::ptrdiff_t>(at), [](unsigned char c) {
                           return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                       });
    return id;
}

bool usable(const std::string& id) {
    return !id.empty() && id.size() <= kMaxIdLength;
}

} // namespace

bool valid_object_id(std::string_view text) {
    if (text.empty() || text.size() > 255)
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

std::string mailbox_object_id(std::string_view mailbox_guid) {
    std::string id = "F";
    for (char c : mailbox_guid)
        id += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    // A GUID is 32 hex digits; anything else (never written by Loft or
    // Dovecot) is hashed so the id still has the objectid syntax.
    if (mailbox_guid.size() != 32 || !valid_object_id(id))
        return hashed('F', "mailbox", mailbox_guid);
    return id;
}

std::string email_object_id(std::string_view message_guid) {
    return hashed('M', "email", message_guid);
}

std::optional<std::string> thread_root_id(std::string_view header) {
    mime::Header h(header);
    // RFC 5322 §3.6.4: References starts with the first message of the
    // conversation (clients that shorten it keep the first id); a reply
    // without References names its parent in In-Reply-To.
    for (const auto& id : mime::parse_message_ids(h.value("References")))
        if (usable(id))
            return normalized_id(id);
    for (const auto& id : mime::parse_message_ids(h.value("In-Reply-To")))
        if (usable(id))
            return normalized_id(id);
    if (auto own = mime::parse_message_id(h.value("Message-ID")); own && usable(*own))
        return normalized_id(std::move(*own));
    return std::nullopt;
}

std::string thread_object_id(const std::optional<std::string>& root_id,
                             std::string_view message_guid) {
    if (root_id)
        return hashed('T', "msgid", *root_id);
    return hashed('T', "guid", message_guid);
}

Result<std::string> message_email_id(const Message& message) {
    auto guid = message.guid();
    if (!guid)
        return guid.status();
    return email_object_id(*guid);
}

Result<std::string> message_thread_id(const Message& message) {
    if (auto cached = message.cached(kThreadIdField); cached && valid_object_id(*cached))
        return std::move(*cached);
    auto data = message.open();
    if (!data)
        return data.status();
    std::optional<std::string> root = thread_root_id(data->header());
    std::string id;
    if (root) {
        id = thread_object_id(root, {});
    } else {
        auto guid = message.guid();
        if (!guid)
            return guid.status();
        id = thread_object_id(std::nullopt, *guid);
    }
    message.cache(kThreadIdField, id);
    return id;
}

} // namespace mailstore::storage
