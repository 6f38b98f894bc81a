// Which configuration loftd runs: `-c FILE`, else $LOFT_CONFIG, else
// LOFT_SYSCONFDIR/loft.conf when it exists, else the built-in default.
#pragma once

#include "builtin_setup.hpp"

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <optional>
#include <string>

namespace loftd {

struct LoadedConfig {
    mailstore::config::Config config;
    // The workers do not read this file: loftd hands them a resolved copy
    // (config_snapshot.hpp).
    std::optional<BuiltinSetup> builtin; // set for the built-in default
};

class ConfigSource {
public:
    // Decide from the command line and the environment.
    static ConfigSource resolve(const std::optional<std::string>& cli_path);

    bool is_builtin() const { return path_.empty(); }
    // The config file ("" for the built-in default).
    const std::string& path() const { return path_; }
    // "/etc/loft/loft.conf" or "the built-in default".
    std::string describe() const;

    // Load (for the built-in default: prepare ./var, write the text to
    // base_dir/loft-builtin.conf for the admin to read or copy, and load
    // that). Errors name file:line.
    mailstore::Result<LoadedConfig> load() const;

    // Where the pid file lives, without side effects (for `loftd stop`,
    // which must not create ./var or a certificate).
    mailstore::Result<std::string> base_dir() const;

private:
    explicit ConfigSource(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

} // namespace loftd
