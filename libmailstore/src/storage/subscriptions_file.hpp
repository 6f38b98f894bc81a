// The `subscriptions` file: one mailbox name per line (as Dovecot writes it:
// the storage's names with the namespace separator, in UTF-8 since 2.1;
// older files in modified UTF-7 are accepted). An optional first line "V\t2"
// marks Dovecot 2.x's versioned format, whose names are tab-separated levels.
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
// Writes the names one per line via a temporary file and rename.
MAILSTORE_INTERNAL_API Status write_subscriptions(const std::string& path, const std::vector<std::string>& names,
                                                  index::FsyncMode fsync);

} // namespace mailstore::storage
