// loft-lda's configuration: the file (-c, else $LOFT_CONFIG, else the
// installed loft.conf, else the built-in defaults) with the -o key=value
// overrides applied after it, as dovecot-lda's -o overrides dovecot.conf.
#pragma once

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <string>
#include <vector>

namespace lda {

// The path loft-lda reads ("" for the built-in defaults).
std::string config_path(const std::string& cli);

// Loads `path` ("" = defaults) and applies `overrides` ("key=value"; a key
// "section/key" sets `key` inside `section { }`, e.g. plugin/quota=...).
// invalid_argument for a malformed override (exit 64), the loader's error
// otherwise.
mailstore::Result<mailstore::config::Config> load_config(const std::string& path,
                                                         const std::vector<std::string>& overrides);

} // namespace lda
