// What SEARCH, SORT and THREAD share: turning a command's arguments into
// the tokens libmailstore's search parser reads, and the NO [BADCHARSET]
// answer for a charset it does not know.
#pragma once

#include "session/context.hpp"

#include <mailstore/search.hpp>

#include <cstddef>
#include <vector>

namespace imapproto::detail {

// The search tokens of args[first..] (lists become parentheses, NIL an atom,
// quoted strings and literals strings).
std::vector<mailstore::search::Token> search_tokens(const std::vector<Arg>& args, std::size_t first);

// "NO [BADCHARSET (UTF-8 US-ASCII ...)] Unsupported charset" (RFC 3501
// §7.1: the code may list the charsets the server supports).
void finish_bad_charset(Context& ctx);

} // namespace imapproto::detail
