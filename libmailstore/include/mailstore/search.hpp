// Searching a mailbox: the search program model, a parser for IMAP SEARCH
// syntax (RFC 3501 §6.4.4 plus ESEARCH's saved result "$" from RFC 5182 and
// WITHIN's OLDER/YOUNGER from RFC 5032), and an evaluator.
//
// The evaluator answers from the index (flags, keywords, UIDs, sizes,
// dates, modseqs) and the field cache first and opens a message only for
// keys that need its header or body. String keys match case-insensitively
// as substrings after decoding (RFC 2047 words in headers, transfer
// encodings and charsets in text parts) per i;unicode-casemap.
//
// Used by the IMAP server (libimapproto), loftadm and the C API, so it
// parses from tokens (what an IMAP command parser produces) or from one
// line of text ("FROM alice SINCE 1-Jan-2024").
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::search {

// A message set as IMAP writes it (RFC 3501 sequence-set): "1:4,7,*,10:*",
// or "$", the saved search result (RFC 5182). The same type serves
// sequence numbers and UIDs; which one it means is up to the user.
struct MAILSTORE_API SequenceSet {
    // '*' in the text: the largest number in use.
    static constexpr std::uint32_t star = 0xFFFFFFFFu;
    struct Range {
        std::uint32_t first = 0; // as written; may be star
        std::uint32_t last = 0;  // as written (a single number: last == first); may be star
        bool operator==(const Range&) const = default;
    };
    std::vector<Range> ranges;
    bool saved = false; // "$": ranges is empty

    // Parses IMAP sequence-set text. nullopt for anything else: empty text,
    // 0, numbers above 4294967295, a trailing ',' or ':', spaces; "$" only
    // when `allow_saved`.
    static std::optional<SequenceSet> parse(std::string_view text, bool allow_saved = true);

    // The UIDs of the messages in `view` this set names as sequence
    // numbers ('*' = the last message). A number above view.count() is an
    // error: Code::invalid_argument "Invalid messageset" (RFC 3501 §9: a
    // sequence number must exist). A saved set resolves to `saved_result`
    // restricted to the view; nullptr counts as empty.
    Result<storage::UidSet> resolve_seqs(const storage::View& view,
                                         const storage::UidSet* saved_result = nullptr) const;
    // The UIDs of the messages in `view` this set names as UIDs. Never an
    // error: UIDs that do not exist are left out, and '*' is the highest
    // UID in the view, so "n:*" names the last message even when n is
    // above it (RFC 3501 §6.4.8). Empty when the view is empty.
    storage::UidSet resolve_uids(const storage::View& view,
                                 const storage::UidSet* saved_result = nullptr) const;

    // IMAP text again ("1:4,7,*" / "$").
    std::string to_string() const;
    bool operator==(const SequenceSet&) const = default;
};

// One search key. A program is a tree of them.
enum class Key {
    all,
    and_, // children: all must match (a parenthesised list, and the top level)
    or_,  // children: exactly two, either matches
    not_, // children: exactly one
    // Flags (from the index).
    answered, deleted, draft, flagged, seen, recent, new_, old,
    unanswered, undeleted, undraft, unflagged, unseen,
    keyword, unkeyword, // text: the keyword
    // Strings (text: UTF-8, already converted from the CHARSET).
    bcc, cc, from, to, subject,
    header, // field: the header name; text: the value ("" matches when present)
    body, text,
    // Dates (date: days since 1970-01-01 of the calendar date given).
    before, on, since,             // internal date, in the server's local time zone
    sentbefore, senton, sentsince, // Date: header, in the header's own zone
    // Sizes (number: octets, RFC822.SIZE).
    larger, smaller,
    // Sets.
    sequence, // set: sequence numbers
    uid,      // set: UIDs
    // WITHIN (RFC 5032): number = seconds; internal date older / younger than now - number.
    older, younger,
    // CONDSTORE (RFC 7162): number = modseq. The optional entry-name and
    // entry-type are accepted and ignored (field holds the entry name).
    modseq,
    // SAVEDATE (RFC 8514 §4): the date the message was saved in this
    // mailbox (date: days, as for BEFORE/ON/SINCE, in the server's local
    // time zone); SAVEDATESUPPORTED matches every message of a mailbox
    // that keeps save dates (every Loft mailbox does).
    savedbefore, savedon, savedsince, savedatesupported,
    // OBJECTID (RFC 8474 §6): text = the objectid; matches the messages
    // whose EMAILID / THREADID is exactly that (case-sensitive).
    emailid, threadid,
    // MESSAGELIMIT (RFC 9738 §3.2): number = a UID; the messages whose UID
    // is above it / below it.
    uidafter, uidbefore,
};

struct MAILSTORE_API Node {
    Key key = Key::all;
    std::string text;
    std::string field;
    std::int64_t number = 0;
    std::int64_t date = 0;
    SequenceSet set;
    std::vector<Node> children;
};

struct MAILSTORE_API Program {
    Node root; // Key::and_ of the top-level keys
    // The CHARSET the client named ("" when none: US-ASCII/UTF-8).
    std::string charset;
    // Whether the program refers to "$" anywhere (RFC 5182 needs to know).
    bool uses_saved = false;
    // Whether any key needs the message's header or body (the evaluator
    // opens messages only then).
    bool needs_message = false;
};

// A token as an IMAP command parser hands it over: an atom, a string
// (quoted or literal, its bytes as sent), or a parenthesis.
struct Token {
    enum class Kind { atom, string, list_begin, list_end };
    Kind kind = Kind::atom;
    std::string text;
};

// Errors of parse(): Code::invalid_argument with a message for a BAD reply
// ("Unknown search key: FOO", "Missing argument for SUBJECT", "Invalid
// date", "Invalid messageset", "Unbalanced parentheses", "Too deeply
// nested"); Code::not_supported for an unknown charset — the message is
// then the charset name, and the IMAP answer is NO [BADCHARSET (UTF-8 ...)].
// Nesting is bounded (64 levels) and so is the number of keys (10,000).

// Parses a search program from tokens. A leading CHARSET <name> is taken
// when `allow_charset` (IMAP SEARCH allows it, ESEARCH's RETURN options
// come before it and are the caller's business). String arguments are
// converted from the charset to UTF-8.
MAILSTORE_API Result<Program> parse(const std::vector<Token>& tokens, bool allow_charset = true);

// Parses one line of IMAP search text: atoms, "quoted strings" with
// backslash escapes, and parentheses; no literals. For loftadm and the C
// API ("FROM alice SINCE 1-Jan-2024", "OR SEEN FLAGGED").
MAILSTORE_API Result<Program> parse(std::string_view text);

// The charsets SEARCH CHARSET accepts, for [BADCHARSET (...)].
MAILSTORE_API std::vector<std::string> supported_charsets();

struct EvaluateOptions {
    // "$" (SEARCHRES): the UIDs of the saved result; nullptr means empty.
    const storage::UidSet* saved_result = nullptr;
    // Seconds since the epoch for OLDER/YOUNGER; 0 means the current time.
    std::int64_t now = 0;
    // Look at the messages with sequence numbers first..last only (both
    // inclusive, within the view); 0 means the whole view. Lets a caller
    // search a big mailbox in slices.
    storage::Seq first = 0;
    storage::Seq last = 0;
    // Sequence-number keys leave out numbers beyond the view instead of
    // failing with "Invalid messageset": "2:10" in a 4-message mailbox
    // names 2:4, "5" names nothing. This is what Dovecot 2.3 answers to
    // SEARCH (while its FETCH/STORE/COPY answer BAD), so an IMAP SEARCH
    // should set it; the default keeps the RFC 3501 §9 error.
    bool clamp_sequence_numbers = false;
};

// The sequence numbers (in the mailbox's current view, ascending) of the
// messages that match. A message that was expunged by another process and
// can no longer be read does not match. Errors: a sequence set naming a
// number beyond the view (invalid_argument "Invalid messageset"), I/O.
MAILSTORE_API Result<std::vector<storage::Seq>> evaluate(storage::Mailbox& mailbox, const Program& program,
                                                         const EvaluateOptions& options = {});

// Whether the message with sequence number `seq` matches.
MAILSTORE_API Result<bool> matches(storage::Mailbox& mailbox, storage::Seq seq, const Program& program,
                                   const EvaluateOptions& options = {});

} // namespace mailstore::search
