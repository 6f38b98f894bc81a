// The config-file parser: Dovecot's syntax in, a SectionData tree plus
// warnings out. Validation against the settings registry happens here so that
// every error can name the file and line it came from.
#pragma once

#include "config/config_data.hpp"

#include <mailstore/status.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::config {

// Bounds on what a config may make the parser do; configs are trusted input,
// but a typo (an include of itself, a runaway glob) must not hang a daemon.
struct ParseLimits {
    std::size_t max_line_length = 64 * 1024;       // one logical line, continuations joined
    // A logical line whose value is quoted (`key = "..."`) may be longer: a
    // resolved config (Config::serialize) writes `<file` values, such as a CA
    // bundle, as one quoted line with escapes.
    std::size_t max_quoted_line_length = 2 * 16 * 1024 * 1024 + 64 * 1024;
    int max_include_depth = 16;                     // nested !include levels
    int max_nesting = 16;                           // nested sections
    std::size_t max_file_size = 64 * 1024 * 1024;  // a config file
    std::size_t max_value_file_size = 16 * 1024 * 1024; // a <file value
};

// Parse `text` as the config file `name` whose !include and <file paths are
// relative to `base_dir`. `canonical_path` (may be empty) is the file's
// real path, used to detect include loops.
Result<std::shared_ptr<ConfigData>> parse_config(std::string_view text, const std::string& name,
                                                 const std::string& base_dir,
                                                 const std::string& canonical_path,
                                                 const ParseLimits& limits = {});

// Read a whole file, refusing files larger than `max_size`.
Result<std::string> read_whole_file(const std::string& path, std::size_t max_size);

// Fill ConfigData::filters from the tree.
void collect_filters(ConfigData& data);

} // namespace mailstore::config
