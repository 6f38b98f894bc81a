// SAVELIMIT (RFC 9738): imap_save_limit caps the messages one COPY (or UID
// COPY) and one MULTIAPPEND APPEND may save. A command over the limit is
// refused as a whole with NO [MESSAGELIMIT <n> [<uid>]] and nothing is
// saved, as COPY and MULTIAPPEND are atomic (RFC 9738 §3.1). Loft
// advertises SAVELIMIT=<n>, not MESSAGELIMIT=<n>: it does not cut FETCH,
// SEARCH, STORE, MOVE or UID EXPUNGE short (RFC 9738 §3).
#pragma once

#include "session/context.hpp"

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstddef>

namespace imapproto::detail {

// True, and the command answered NO [MESSAGELIMIT n uid], when `uids`
// names more existing messages of `view` than the save limit allows. The
// UID is the lowest one of the n highest: where a client that copies in
// pieces from the top would stop (RFC 9738 §3.1's UID COPY example).
bool refuse_copy_over_save_limit(Context& ctx, const mailstore::storage::View& view,
                                 const mailstore::storage::UidSet& uids);

// True, and the command answered NO [MESSAGELIMIT n], when one APPEND
// carries more messages than the save limit allows (RFC 9738 §3.1: no UID
// is known, so the code has none).
bool refuse_append_over_save_limit(Context& ctx, std::size_t messages);

} // namespace imapproto::detail
