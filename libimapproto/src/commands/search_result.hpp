// SEARCH's answers: the RETURN options of ESEARCH (RFC 4731) and SEARCHRES
// (RFC 5182), and the "* SEARCH" / "* ESEARCH" responses.
#pragma once

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
};

// Parses the list after RETURN: MIN, MAX, ALL, COUNT, SAVE in any case and
// order, repeats allowed; "()" means ALL (RFC 4731 §3.1). nullopt with the
// BAD message in `error` for anything else.
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
// COUNT 4" in Dovecot's item order for RETURN; nothing when SAVE was the
// only option (RFC 5182 §2.4). Long results go out in pieces.
void write_search_response(Context& ctx, const SearchReturn& ret, bool uid, const SearchMatches& matches);

// The UIDs "$" should hold after a successful SEARCH RETURN (SAVE ...):
// only the minimum and/or maximum when MIN/MAX come without ALL or COUNT,
// else every match (RFC 5182 §2.1). `uids` are the matches' UIDs, ascending.
mailstore::storage::UidSet saved_result_of(const SearchReturn& ret, const std::vector<std::uint32_t>& uids);

} // namespace imapproto::detail
