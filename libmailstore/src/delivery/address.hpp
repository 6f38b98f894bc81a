// Recipient addresses: user+detail@domain split at recipient_delimiter.
#pragma once

#include <mailstore/delivery.hpp>

#include <string_view>

namespace mailstore::delivery {

// Splits `address` (without <>) at the first occurrence, in its local part,
// of any character of `delimiters` (Dovecot 2.3: every character of
// recipient_delimiter is a delimiter). The domain stays with the user:
// "user+detail@example.com" -> {"user@example.com", "detail"}. A quoted
// local part ("a+b"+c@x) is not split inside the quotes. No split when
// `delimiters` is empty, no delimiter occurs, or the user part would be
// empty ("+x@example.com").
MAILSTORE_INTERNAL_API AddressParts split_recipient_address(std::string_view address,
                                                            std::string_view delimiters);

} // namespace mailstore::delivery
