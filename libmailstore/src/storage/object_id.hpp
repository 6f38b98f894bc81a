// Object identifiers (RFC 8474 OBJECTID): MAILBOXID, EMAILID and THREADID,
// derived from what the storage already keeps, so they need no new field on
// disk (a Maildir stays readable by Dovecot) and are the same in every
// session, every process and after a restart.
//
// - MAILBOXID: "F" + the mailbox GUID (32 hex digits, created with the
//   mailbox and kept in dovecot-uidlist). RENAME keeps the GUID; DELETE and
//   CREATE of the same name make a new one (RFC 8474 §4).
// - EMAILID: "M" + 24 hex digits of SHA-256 over the message GUID (a
//   Maildir base filename or the uidlist G field, which may hold '.', ','
//   and '=' that an objectid may not). COPY and MOVE keep the GUID
//   (Transaction::copy), so the destination message keeps the EMAILID
//   (RFC 8474 §5.1).
// - THREADID: "T" + 24 hex digits of SHA-256 over the conversation's root
//   msg-id: the first id of References, else of In-Reply-To, else the
//   message's own Message-ID. A message without any id is a thread of its
//   own, named from its GUID. The value depends only on the message's
//   header (and GUID), so it never changes once reported and is the same
//   for every copy (RFC 8474 §5.2); it is kept in the index cache.
//
// The prefixes keep the three spaces apart (RFC 8474 §5.2: an EMAILID and
// a THREADID never share a value) and start every id with a letter (§8.1).
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mailstore::storage {

// RFC 8474 §7: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
MAILSTORE_INTERNAL_API bool valid_object_id(std::string_view text);

// MAILBOXID of the mailbox with this GUID.
MAILSTORE_INTERNAL_API std::string mailbox_object_id(std::string_view mailbox_guid);

// EMAILID of a message with this GUID.
MAILSTORE_INTERNAL_API std::string email_object_id(std::string_view message_guid);

// The conversation's root msg-id of a message header (without angle
// brackets, the domain part lower-cased), nullopt when the header names no
// usable msg-id at all.
MAILSTORE_INTERNAL_API std::optional<std::string> thread_root_id(std::string_view header);

// THREADID from a root msg-id (thread_root_id), or, without one, from the
// message's own GUID.
MAILSTORE_INTERNAL_API std::string thread_object_id(const std::optional<std::string>& root_id,
                                                    std::string_view message_guid);

// EMAILID of `message`. Errors: not_found when it was expunged, I/O.
MAILSTORE_INTERNAL_API Result<std::string> message_email_id(const Message& message);

// THREADID of `message`: from the index cache, else read from its header
// and cached. Errors: not_found when it was expunged, I/O.
MAILSTORE_INTERNAL_API Result<std::string> message_thread_id(const Message& message);

} // namespace mailstore::storage
