// Values shared by the storage API: UIDs and sets of them, message flags,
// mailbox status, mailbox attributes and special-use flags.
#pragma once

#include <mailstore/export.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

using Uid = std::uint32_t;    // 1 .. 2^32-1 within one UIDVALIDITY; never reused
using Seq = std::uint32_t;    // 1-based message sequence number in a View; 0 = none
using ModSeq = std::uint64_t; // RFC 7162 mod-sequence; never goes backwards

// The IMAP system flags a message keeps (\Recent is not stored: it belongs to
// the session that saw the message first; see View::recent()).
enum MailFlag : std::uint8_t {
    flag_answered = 0x01,
    flag_flagged = 0x02,
    flag_deleted = 0x04,
    flag_seen = 0x08,
    flag_draft = 0x10,
};
using MailFlags = std::uint8_t;
inline constexpr MailFlags all_mail_flags = 0x1f;

// "\\Answered \\Flagged ..." in the fixed order above (no parentheses).
MAILSTORE_API std::string format_flags(MailFlags flags);
// The flag bit of an IMAP system flag name ("\\Seen", case-insensitive), or
// nullopt (also for "\\Recent", which cannot be stored).
MAILSTORE_API std::optional<MailFlags> parse_flag(std::string_view name);

struct UidRange {
    Uid first = 0;
    Uid last = 0; // inclusive; first <= last
    bool operator==(const UidRange&) const = default;
};

// A set of UIDs kept as sorted, merged, non-overlapping ranges. Also used
// for sets of sequence numbers.
class MAILSTORE_API UidSet {
public:
    UidSet() = default;
    void add(Uid uid);
    void add(Uid first, Uid last); // any order; 0 is ignored
    void add(const UidSet& other);
    void remove(Uid uid);
    bool contains(Uid uid) const;
    bool empty() const { return ranges_.empty(); }
    std::uint64_t count() const; // number of UIDs
    Uid min() const;             // 0 when empty
    Uid max() const;             // 0 when empty
    const std::vector<UidRange>& ranges() const { return ranges_; }
    // Every UID in ascending order (for small sets; count() may be large).
    std::vector<Uid> to_vector() const;
    // IMAP form "1:3,5,7:9" ("" when empty).
    std::string to_string() const;
    // Parses the IMAP form (numbers and ranges, no '*'); nullopt on bad text.
    static std::optional<UidSet> parse(std::string_view text);
    bool operator==(const UidSet&) const = default;

private:
    std::vector<UidRange> ranges_;
};

// What Mailbox::status()/User::status() should compute.
enum StatusItem : std::uint32_t {
    status_messages = 0x001,
    status_recent = 0x002,
    status_uidnext = 0x004,
    status_uidvalidity = 0x008,
    status_unseen = 0x010,
    status_highest_modseq = 0x020,
    status_size = 0x040,         // sum of virtual (RFC822.SIZE) sizes
    status_first_unseen = 0x080, // sequence number of the first message without \Seen
    status_guid = 0x100,
    status_deleted = 0x200,      // messages with \Deleted
    status_all = 0x3ff,
};

struct MailboxStatus {
    std::uint32_t messages = 0;
    std::uint32_t recent = 0;
    std::uint32_t uidnext = 1;
    std::uint32_t uidvalidity = 0;
    std::uint32_t unseen = 0;
    ModSeq highest_modseq = 0;
    std::uint64_t size = 0;
    Seq first_unseen = 0; // 0 when every message is \Seen
    std::string guid;     // 32 lower-case hex digits
    std::uint32_t deleted = 0;
};

// LIST attributes (RFC 3501, 3348, 5258).
enum MailboxAttribute : std::uint32_t {
    attr_noselect = 0x001,
    attr_noinferiors = 0x002,
    attr_nonexistent = 0x004,
    attr_has_children = 0x008,
    attr_has_no_children = 0x010,
    attr_subscribed = 0x020,
    attr_marked = 0x040,
    attr_unmarked = 0x080,
};

// SPECIAL-USE flags (RFC 6154).
enum SpecialUse : std::uint32_t {
    special_all = 0x01,
    special_archive = 0x02,
    special_drafts = 0x04,
    special_flagged = 0x08,
    special_junk = 0x10,
    special_sent = 0x20,
    special_trash = 0x40,
    special_important = 0x80, // RFC 8457
};
// "\\Sent \\Trash" in the order above.
MAILSTORE_API std::string format_special_use(std::uint32_t flags);
// Parses a space-separated list such as "\\Sent \\Junk" (case-insensitive);
// nullopt when a word is not a known special-use flag.
MAILSTORE_API std::optional<std::uint32_t> parse_special_use(std::string_view text);

} // namespace mailstore::storage
