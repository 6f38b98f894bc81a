// Internal parts of the generic storage layer shared by mailbox.cpp,
// view.cpp, transaction.cpp and message.cpp.
#pragma once

#include <mailstore/storage/mailbox.hpp>

namespace mailstore::storage {

// A new Transaction on `mailbox` (defined in transaction.cpp).
Transaction make_transaction(Mailbox& mailbox);

} // namespace mailstore::storage
