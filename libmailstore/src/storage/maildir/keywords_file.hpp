// dovecot-keywords: the keyword names of the letters a-z in Maildir file
// names. One line per keyword, "<index> <name>", index 0..25 = letter a..z.
#pragma once

#include "index/mail_index.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace mailstore::storage::maildir {

struct KeywordsFile {
    std::array<std::string, 26> names; // "" = letter unused
    // The letter of `name` (case-insensitive), or nullopt.
    MAILSTORE_INTERNAL_API std::optional<char> letter_of(std::string_view name) const;
    // The name of letter 'a'..'z', or "" when unused.
    MAILSTORE_INTERNAL_API const std::string& name_of(char letter) const;
    // Gives `name` a free letter; nullopt when all 26 are taken.
    MAILSTORE_INTERNAL_API std::optional<char> assign(std::string_view name);
};

// Parses the file's text; malformed lines and indexes >= 26 are skipped.
MAILSTORE_INTERNAL_API KeywordsFile parse_keywords_file(std::string_view text);
MAILSTORE_INTERNAL_API std::string format_keywords_file(const KeywordsFile& file);
// Reads `path`; an empty KeywordsFile when it is missing.
MAILSTORE_INTERNAL_API Result<KeywordsFile> read_keywords_file(const std::string& path);
// Writes `path` via a temporary file and rename.
MAILSTORE_INTERNAL_API Status write_keywords_file(const std::string& path, const KeywordsFile& file,
                                                  index::FsyncMode fsync);

} // namespace mailstore::storage::maildir
