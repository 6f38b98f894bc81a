// The start of every daemon's main(): load the config file, configure
// logging for the service, and log the config's warnings — except under
// loftd, whose /proc/self/fd/N snapshot loftd has already warned about with
// the real file names (repeating them here would name the descriptor).
#pragma once

#include <mailstore/config.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace loft {

// nullopt after printing "<program>: <error>" to stderr.
std::optional<mailstore::config::Config> load_daemon_config(const std::string& path, std::string_view service,
                                                            std::string_view program);

} // namespace loft
