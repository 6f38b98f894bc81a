// FETCH's data items (RFC 3501 §6.4.5, RFC 3516 §4.2 BINARY, RFC 7162
// MODSEQ): parsing the item list of a FETCH command into the items to
// answer, in the order the answer gives them.
//
// Order (Dovecot 2.3's, so answers compare byte for byte): the items that
// come from the index (UID, FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ, and
// SAVEDATE and PREVIEW, which Dovecot also answers there) first,
// in request order, each once; then everything else (ENVELOPE, BODY,
// BODYSTRUCTURE, body sections, BINARY, BINARY.SIZE) in request order,
// repeats included. UID FETCH puts UID first. The FLAGS a \Seen change adds
// (RFC 3501 §6.4.5) goes after the index items.
#pragma once

#include <imapproto/command_parser.hpp>

#include <mailstore/mime/section.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto::detail::fetch {

enum class ItemKind {
    // From the index.
    uid,
    flags,
    internaldate,
    rfc822_size,
    modseq,
    // Answered with the index items, in request order, as Dovecot 2.3 orders
    // them: SAVEDATE (RFC 8514) from the index, PREVIEW (RFC 8970) from the
    // cache ("imap.preview") or the parsed message.
    savedate,
    preview,
    // OBJECTID (RFC 8474 §5.3): EMAILID from the message GUID, THREADID
    // from the index cache or the header (storage/object_id.hpp). Static
    // items, with the index items in request order.
    emailid,
    threadid,
    // From the cache or the parsed message.
    envelope,
    body,          // BODY (the non-extensible BODYSTRUCTURE)
    bodystructure,
    // Message bytes.
    section,       // BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT
    binary,        // BINARY[...], BINARY.PEEK[...]
    binary_size,   // BINARY.SIZE[...]
};

struct FetchItem {
    ItemKind kind = ItemKind::uid;
    // section / binary / binary_size: which part (binary: part numbers only).
    mailstore::mime::SectionSpec section;
    // <origin.length>: a partial fetch (RFC 3501 §6.4.5).
    bool partial = false;
    std::uint64_t origin = 0;
    std::uint64_t length = UINT64_MAX;
    // Sets \Seen: BODY[...], RFC822, RFC822.TEXT, BINARY[...].
    bool sets_seen = false;
    // PREVIEW (LAZY) (RFC 8970 §4): only a cached preview, else NIL.
    bool lazy = false;
    // The name the response gives the data: "BODY[HEADER.FIELDS (FROM)]<0>",
    // "RFC822.TEXT", "BINARY.SIZE[1]" (before its value; no trailing space).
    std::string name;

    bool is_index_item() const { return kind <= ItemKind::threadid; }
    // Whether answering needs the message's bytes or structure.
    bool needs_message() const { return kind >= ItemKind::envelope || kind == ItemKind::preview; }
    // Header-only data (Dovecot's fetch_hdr_* counters) rather than body
    // data (fetch_body_*).
    bool is_header_data() const;
};

struct FetchRequest {
    std::vector<FetchItem> items; // in response order
    bool sets_seen = false;       // some item sets \Seen
    bool has_flags = false;       // FLAGS was asked for
    bool has_modseq = false;      // MODSEQ was asked for (RFC 7162 enables CONDSTORE)
    // Where the FLAGS a \Seen change adds goes: before items[flags_insert_at].
    std::size_t flags_insert_at = 0;
};

// Parses FETCH's item argument: one atom (an item or a macro ALL, FAST,
// FULL) or a parenthesised list of items. `uid`: UID FETCH (UID comes
// first). nullopt with the reason for BAD in `error` (Dovecot's wording:
// "Unknown parameter: FOO", "FETCH list is empty", "Invalid BODY[..]
// section", "Invalid BODY[..] parameter: Missing ']'", ...).
std::optional<FetchRequest> parse_fetch_items(const Arg& arg, bool uid, std::string& error);

// One item (atom text such as "BODY.PEEK[1.MIME]<0.100>"), appended to
// `items`; false with `error` set when it is not a FETCH item. Exposed for
// the tests.
bool parse_fetch_item(std::string_view text, std::vector<FetchItem>& items, std::string& error);

} // namespace imapproto::detail::fetch
