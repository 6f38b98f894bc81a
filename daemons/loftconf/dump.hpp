// Printing a Config back in config-file syntax, the way doveconf does.
#pragma once

#include <mailstore/config.hpp>

#include <string>
#include <string_view>

namespace loftconf {

enum class DumpMode {
    normal,       // implemented global settings and everything the file sets, plus its blocks
    non_default,  // -n: only what differs from the defaults, plus the file's blocks
    explicit_set, // -N: like -n, plus settings the file sets to their default value
    all,          // -a: every registered global setting; blocks with their defaults filled in
};

struct DumpOptions {
    DumpMode mode = DumpMode::normal;
    mailstore::config::LookupContext context; // -f
    bool show_secrets = false;                // -P
};

// The whole config as text.
std::string dump_config(const mailstore::config::Config& config, const DumpOptions& options);

// `value` as it must be written after `key = ` to read back the same (quoted
// when it has leading/trailing blanks, a comment start, a `$`, newlines...).
std::string format_value(std::string_view value);

// The value of global setting `name` to print: `<path` for a value read from
// a file (a relative path made absolute, so that the output means the same
// wherever it is saved), a placeholder for secrets unless `show_secrets`.
std::string printable_global(const mailstore::config::Config& config, std::string_view name,
                             const DumpOptions& options);

// Blocks of `type` at the top level, printed.
std::string dump_sections(const mailstore::config::Config& config, std::string_view type,
                          const DumpOptions& options);

} // namespace loftconf
