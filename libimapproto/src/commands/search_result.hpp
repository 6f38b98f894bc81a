// SEARCH's answers: the RETURN options of ESEARCH (RFC 4731), SEARCHRES
// (RFC 5182) and CONTEXT=SEARCH/SORT (RFC 5267 §4: CONTEXT, UPDATE,
// PARTIAL), and the "* SEARCH" / "* ESEARCH" responses. SORT (ESORT) uses
// the same parser and writer.
#pragma once

#include "session/context.hpp"

#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imapproto::detail {

// "PARTIAL 1:500" (RFC 5267 §4.4): positions in the result, 1-based, as
// the client wrote them (500:1 means 1:500; low() and high() order them).
struct PartialRange {
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    std::uint32_t low() const { return first < last ? first : last; }
    std::uint32_t high() const { return first < last ? last : first; }
};

struct SearchReturn {
    bool extended = false; // RETURN (...) was given: answer with ESEARCH
    bool min = false;
    bool max = false;
    bool all = false;
    bool count = false;
    bool save = false;
    bool context = false; // RFC 5267 §4.2: a hint, accepted and ignored
    bool update = false;  // RFC 5267 §4.3: keep the result up to date
    std::optional<PartialRange> partial; // RFC 5267 §4.4
};

// Parses the list after RETURN: MIN, MAX, ALL, COUNT, SAVE, CONTEXT,
// UPDATE and "PARTIAL n:m" in any case and order; repeats allowed except
// that at most one PARTIAL or ALL may appear (RFC 5267 §4.4). "()" means
// ALL (RFC 4731 §3.1). PARTIAL takes two nz-numbers (no '*', no negative
// numbers: RFC 5267 §5 partial-range). nullopt with the BAD message in
// `error` for anything else.
std::optional<SearchReturn> parse_search_return(const Arg& list, std::string& error);

// What a finished search found, in ascending order: sequence numbers, or
// UIDs for UID SEARCH. `modseq` is the highest mod-sequence of the matches
// when the program had a MODSEQ key (RFC 7162 §3.1.5), else 0.
struct SearchMatches {
    std::vector<std::uint32_t> ids;
    std::uint64_t modseq = 0;
};

// Writes the response: "* SEARCH 2 5 9" ("* SEARCH" when nothing matched)
// for plain SEARCH, or "* ESEARCH (TAG "a1") UID MIN 2 MAX 9 ALL 2:4,9
// COUNT 4" in Dovecot's item order for RETURN, with "PARTIAL (1:100 ids)"
// ("PARTIAL (1:100 NIL)" when no result falls in the range) after ALL;
// nothing when SAVE, CONTEXT or UPDATE were the only options (RFC 5182
// §2.4). `matches.ids` are in the requested order (mailbox order for
// SEARCH, sort order for SORT): MIN/MAX are the first/last of them and
// PARTIAL counts positions in that order. Long results go out in pieces.
void write_search_response(Context& ctx, const SearchReturn& ret, bool uid, const SearchMatches& matches);

// The UIDs "$" should hold after a successful SEARCH RETURN (SAVE ...):
// only the minimum and/or maximum when MIN/MAX come without ALL or COUNT,
// else every match (RFC 5182 §2.1). `uids` are the matches' UIDs, ascending.
mailstore::storage::UidSet saved_result_of(const SearchReturn& ret, const std::vector<std::uint32_t>& uids);

} // namespace imapproto::detail
