// Modified UTF-7 (RFC 3501 section 5.1.3): how IMAP4rev1 clients write
// mailbox names, and how Dovecot names Maildir folders on disk.
#pragma once

#include <mailstore/export.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mailstore {

// UTF-8 to modified UTF-7. nullopt when `utf8` is not valid UTF-8.
MAILSTORE_API std::optional<std::string> utf8_to_mutf7(std::string_view utf8);
// Modified UTF-7 to UTF-8. nullopt for text that is not valid modified
// UTF-7 (bad base64, a shift that encodes printable ASCII, "&" not written
// "&-", unpaired surrogates, non-zero padding bits).
MAILSTORE_API std::optional<std::string> mutf7_to_utf8(std::string_view mutf7);
// True when `text` is valid modified UTF-7.
MAILSTORE_API bool is_valid_mutf7(std::string_view text);

} // namespace mailstore
