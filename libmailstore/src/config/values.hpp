// Value helpers internal to the config module.
#pragma once

#include <mailstore/config.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailstore::config {

// Split a list value on spaces, tabs and commas, dropping empty words.
std::vector<std::string> split_list(std::string_view text);

// The allowed range of a uint setting whose SettingInfo::values is
// "MIN..MAX", or nullopt when it has none.
std::optional<std::pair<std::uint64_t, std::uint64_t>> uint_range(const SettingInfo& info);

// nullopt when `value` is valid for `info`; otherwise what a valid value looks
// like, for the error message ("expected a size like 64k, 10M or 1G").
std::optional<std::string> check_value(const SettingInfo& info, std::string_view value);

// "string", "boolean", ... as written in the settings reference.
std::string_view type_name(SettingType type);

} // namespace mailstore::config
