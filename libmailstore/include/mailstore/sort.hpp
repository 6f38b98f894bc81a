// Ordering messages for IMAP SORT (RFC 5256 §3) and SORT=DISPLAY
// (RFC 5957): sort criteria, their parser, and a sorter that orders a set
// of sequence numbers of a Mailbox's view.
//
// Strings are compared with i;unicode-casemap (RFC 5051), as RFC 5256 §3
// and I18NLEVEL=1 (RFC 5255 §4) require. Each message's keys are computed
// once per sort (never inside the comparator) and the header-derived ones
// are kept in the index cache ("sort.date", "sort.subject", "sort.from",
// "sort.to", "sort.cc", "sort.displayfrom", "sort.displayto"), so a second
// SORT of the same mailbox does not open the message files.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/search.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace mailstore::search {

enum class SortKey : std::uint8_t {
    arrival,      // internal date (RFC 5256 §3)
    cc,           // addr-mailbox of the first Cc address
    date,         // sent date (RFC 5256 §2.2), the internal date when missing or unparseable; UTC
    from,         // addr-mailbox of the first From address
    size,         // RFC822.SIZE
    subject,      // base subject (RFC 5256 §2.1)
    to,           // addr-mailbox of the first To address
    display_from, // RFC 5957 §3: display name of the first From address, else its addr-spec
    display_to,   // the same for To
};

struct SortCriterion {
    SortKey key = SortKey::arrival;
    bool reverse = false; // REVERSE before the key
    bool operator==(const SortCriterion&) const = default;
};

// At most this many criteria in one SORT (each key once with and without
// REVERSE is far below it).
inline constexpr std::size_t max_sort_criteria = 32;

// Parses the sort criteria: the tokens inside the parentheses of
// "SORT (REVERSE DATE SUBJECT) ..." (atoms or strings, case-insensitive;
// without the parentheses). As Dovecot reads them, REVERSE toggles
// (REVERSE REVERSE DATE is DATE). Errors, Code::invalid_argument with
// Dovecot's message for a BAD reply: "Empty sort program" (no criteria),
// "Unknown sort argument: FOO", "Sort list ends with REVERSE", "Invalid
// sort list argument" (a nested list), "Too many sort criteria".
MAILSTORE_API Result<std::vector<SortCriterion>> parse_sort_criteria(const std::vector<Token>& tokens);
// The same from text: "REVERSE DATE SUBJECT" (for loftadm and the C API).
MAILSTORE_API Result<std::vector<SortCriterion>> parse_sort_criteria(std::string_view text);

// The IMAP name of a key ("DATE", "DISPLAYFROM").
MAILSTORE_API std::string_view sort_key_name(SortKey key);

// Orders the messages `seqs` (sequence numbers of `mailbox`'s view) by
// `criteria`, with ties broken by sequence number (RFC 5256 §3), so the
// result does not depend on the order of `seqs`. Keys come from the
// index and the field cache; a message whose file must be read is opened
// once. A message expunged by another session that can no longer be read
// sorts with empty header keys. The whole set at once; use Sorter to
// hand control back between slices.
MAILSTORE_API Result<std::vector<storage::Seq>> sort(storage::Mailbox& mailbox, std::vector<storage::Seq> seqs,
                                                     const std::vector<SortCriterion>& criteria);

// sort() in steps: load() computes the keys of up to `max_messages` more
// messages (opening message files only for keys not cached), then, once
// it returned true, finish() orders. The mailbox's view must not be synced
// in between (sequence numbers must stay valid).
class MAILSTORE_API Sorter {
public:
    Sorter(std::vector<SortCriterion> criteria, std::vector<storage::Seq> seqs);
    Sorter(Sorter&&) noexcept;
    Sorter& operator=(Sorter&&) noexcept;
    ~Sorter();

    // Whether any criterion needs a header field (else the index answers
    // everything and one load() of all messages is cheap).
    bool needs_header() const;
    // Computes keys for up to `max_messages` further messages (0: all).
    // true when every message has its keys. Errors: I/O other than a
    // message that disappeared.
    Result<bool> load(storage::Mailbox& mailbox, std::size_t max_messages = 0);
    // The sequence numbers in sort order; the Sorter is empty afterwards.
    std::vector<storage::Seq> finish();

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace mailstore::search
