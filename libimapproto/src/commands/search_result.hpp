// SEARCH's answers: the RETURN options of ESEARCH (RFC 4731), SEARCHRES
// (RFC 5182) and CONTEXT=SEARCH/SORT (RFC 5267 §4: CONTEXT, UPDATE,
// PARTIAL), and the "* SEARCH" / "* ESEARCH" responses. SORT (ESORT) uses
// the same parser and writer.
#pragma once

#include "commands/partial_range.hpp"
#include "session/context.hpp"

#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imapproto::detail {

struct SearchReturn {
    bool extended = false; // RETURN (...) was given: answer with ESEARCH
    bool min = false;
    bool max = false;
    bool all = false;
    bool count = false;
    bool save = false;
    bool context = false; // RFC 5267 §4.2: a hint, accepted and ignored
    bool update = false;  // RFC 5267 §4.3: keep the result up to date
    std::optional<PartialRange> partial; // RFC 5267 §4.4, RFC 9394 §3.1
};

// Parses the list after RETURN: MIN, MAX, ALL, COUNT, SAVE, CONTEXT,
// UPDATE and "PARTIAL n:m" in any case and order; repeats allowed except
// that at most one PARTIAL or ALL may appear (RFC 9394 §3.1). "()" means
// ALL (RFC 4731 §3.1). PARTIAL takes "n:m" or "-n:-m" (RFC 9394 §4: no
// '*', no 0, no mixed signs). nullopt with the BAD message in `error` for
// anything else.
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
// ("PARTIAL (1:100 NIL)" when no result falls in the range, "PARTIAL
// (-1:-100 ids)" counted from the end) after ALL;
// nothing when SAVE, CONTEXT or UPDATE were the only options (RFC 5182
// §2.4). `matches.ids` are in the requested order (mailbox order for
// SEARCH, sort order for SORT): MIN/MAX are the first/last of them and
// PARTIAL counts positions in that order. Long results go out in pieces.
void write_search_response(Context& ctx, const SearchReturn& ret, bool uid, const SearchMatches& matches);

// The UIDs "$" should hold after a successful SEARCH RETURN (SAVE ...):
// only the minimum and/or maximum when MIN/MAX come without ALL or COUNT
// (RFC 5182 §2.1); with PARTIAL and without COUNT, the messages PARTIAL
// returns plus the MIN/MAX ones (RFC 9394 §3.2, Table 1); else every
// match. `uids` are the matches' UIDs in the result's order (ascending for
// SEARCH, sort order for SORT: MIN/MAX are its first/last).
mailstore::storage::UidSet saved_result_of(const SearchReturn& ret, const std::vector<std::uint32_t>& uids);

} // namespace imapproto::detail
