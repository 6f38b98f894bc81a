// A libmailstore MailboxStatus as the C struct.
#pragma once

#include <mailstore/storage/types.hpp>

#include <loft/mailstore.h>

namespace loft_c {

inline void fill_status(const mailstore::storage::MailboxStatus& from, loft_mailbox_status* to) {
    to->messages = from.messages;
    to->recent = from.recent;
    to->uidnext = from.uidnext;
    to->uidvalidity = from.uidvalidity;
    to->unseen = from.unseen;
    to->deleted = from.deleted;
    to->highest_modseq = from.highest_modseq;
    to->size = from.size;
}

} // namespace loft_c
