// Parsers for the IMAP responses the load generator checks (RFC 3501 §7):
// EXISTS/EXPUNGE/RECENT, FETCH data items with literals, SEARCH/SORT result
// lists, STATUS, and response codes (APPENDUID, COPYUID: RFC 4315;
// UIDVALIDITY, UIDNEXT, PERMANENTFLAGS). Each returns nullopt when the
// response is of another kind and throws loadgen::ProtocolError when it is
// of this kind but malformed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap_client.hpp"

namespace loadgen {

// "* n EXISTS" -> n
std::optional<std::uint32_t> parse_exists(const ImapUntagged& u);
// "* n EXPUNGE" -> n
std::optional<std::uint32_t> parse_expunge(const ImapUntagged& u);
// "* n RECENT" -> n
std::optional<std::uint32_t> parse_recent(const ImapUntagged& u);
// "* VANISHED [(EARLIER)] uid-set" (RFC 7162) -> the UIDs, expanded
// (bounded: a set of more than 10 million UIDs throws).
std::optional<std::vector<std::uint32_t>> parse_vanished(const ImapUntagged& u);

// One "* n FETCH (...)" response. Items absent from the response are unset.
struct FetchData {
    std::uint32_t seq = 0;
    std::optional<std::uint32_t> uid;
    std::optional<std::vector<std::string>> flags; // as sent, e.g. "\\Seen"
    std::optional<std::uint64_t> modseq;
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::string> internaldate;
    // BODY[...] / BODY.PEEK answers and RFC822*, BINARY[...]: the section
    // name upper-cased ("BODY[HEADER.FIELDS (FROM TO)]",
    // "BODY[]<0>") -> its octets (NIL -> empty with the key present).
    std::map<std::string, std::string> bodies;
    // ENVELOPE, BODYSTRUCTURE, BODY (no section): the raw parenthesised text
    // with any literals inlined as quoted strings where possible.
    std::map<std::string, std::string> structures;

    bool has_flag(std::string_view flag) const; // case-insensitive
};
std::optional<FetchData> parse_fetch(const ImapUntagged& u);

// "* SEARCH 1 2 3" / "* SORT 1 2 3" (RFC 5256) -> the numbers. A trailing
// "(MODSEQ n)" (RFC 7162) is skipped.
std::optional<std::vector<std::uint32_t>> parse_search(const ImapUntagged& u);

// "* STATUS mailbox (MESSAGES n UIDNEXT n ...)"
struct StatusData {
    std::string mailbox;
    std::map<std::string, std::uint64_t> items; // upper-case names
};
std::optional<StatusData> parse_status(const ImapUntagged& u);

// "* FLAGS (...)" -> the flags
std::optional<std::vector<std::string>> parse_flags(const ImapUntagged& u);

// The response code of a status text: "[UIDVALIDITY 3] ok" -> "UIDVALIDITY 3".
std::optional<std::string> response_code(std::string_view text);
// The response code of an untagged "* OK [...]" (or NO/BAD/BYE/PREAUTH) line.
std::optional<std::string> untagged_code(const ImapUntagged& u);

// APPENDUID (RFC 4315 §3) in the tagged reply of APPEND.
struct AppendUid {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uid = 0;
};
std::optional<AppendUid> parse_appenduid(const ImapResponse& r);

// What SELECT/EXAMINE told: the untagged EXISTS, RECENT, FLAGS and the
// [UIDVALIDITY]/[UIDNEXT]/[PERMANENTFLAGS]/[HIGHESTMODSEQ] codes, and the
// tagged [READ-WRITE]/[READ-ONLY].
struct SelectData {
    std::optional<std::uint32_t> exists;
    std::optional<std::uint32_t> recent;
    std::optional<std::uint32_t> uidvalidity;
    std::optional<std::uint32_t> uidnext;
    std::optional<std::uint64_t> highestmodseq;
    std::vector<std::string> flags;
    std::vector<std::string> permanentflags;
    bool read_only = false;
};
SelectData parse_select(const ImapResponse& r);

// Parses a sequence/UID set "1:3,7,9:*" into numbers; `star` replaces "*".
// Throws beyond `max` numbers.
std::vector<std::uint32_t> parse_uid_set(std::string_view set, std::uint32_t star = 0,
                                         std::size_t max = 10'000'000);
// Formats sorted numbers as a compact set ("1:3,7").
std::string format_uid_set(const std::vector<std::uint32_t>& sorted);

} // namespace loadgen
