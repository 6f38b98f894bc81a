// Expunging the \Deleted messages of the selected mailbox: EXPUNGE, UID
// EXPUNGE and CLOSE.
#pragma once

#include "session/context.hpp"

namespace imapproto::detail {

// Expunges the messages of `mailbox`'s current view that have \Deleted
// (only those in `within` when given) in one transaction, and counts them
// in ctx.stats().expunged. Untagged EXPUNGE responses are left to the next
// sync.
mailstore::Status expunge_deleted(Context& ctx, mailstore::storage::Mailbox& mailbox,
                                  const mailstore::storage::UidSet* within);

} // namespace imapproto::detail
