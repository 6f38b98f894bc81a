// The `subscriptions` file. Dovecot 2.3.19 writes (doveadm mailbox
// subscribe, Maildir++ and LAYOUT=fs alike):
//
//   "V\t2\n\nINBOX\nArchive\t2024\nEntw&APw-rfe\n"
//
// a "V\t2" line, an empty line, then one name per line with the levels
// separated by tabs. Names are in the storage's on-disk encoding: modified
// UTF-7 unless the location has :UTF-8 (then UTF-8); the caller converts.
// Older files have no version line and use the namespace separator.
#pragma once

#include "index/mail_index.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage {

// Names in the file, in order, without duplicates; `separator` replaces the
// tabs of a version-2 file.
MAILSTORE_INTERNAL_API std::vector<std::string> parse_subscriptions(std::string_view text, char separator);
MAILSTORE_INTERNAL_API Result<std::vector<std::string>> read_subscriptions(const std::string& path, char separator);
// Writes the names one per line via a temporary file and rename (under
// PATH.lock, the dotlock Dovecot takes for it), without a version line.
MAILSTORE_INTERNAL_API Status write_subscriptions(const std::string& path, const std::vector<std::string>& names,
                                                  index::FsyncMode fsync);
// Writes Dovecot's "V\t2" form: each name's `separator` becomes a tab. This
// is what Dovecot itself writes; prefer it.
MAILSTORE_INTERNAL_API Status write_subscriptions(const std::string& path, const std::vector<std::string>& names,
                                                  char separator, index::FsyncMode fsync);
// The text write_subscriptions() writes (separator '\0': no version line).
MAILSTORE_INTERNAL_API std::string format_subscriptions(const std::vector<std::string>& names, char separator);

} // namespace mailstore::storage
