// `loftd stop` and `loftd reload`: act on the running instance found
// through its pid file.
#pragma once

#include "config_source.hpp"

namespace loftd {

// Send SIGTERM and wait (bounded) until the instance is gone. Exit code.
int stop_running_instance(const ConfigSource& source);
// Send SIGHUP. Exit code.
int reload_running_instance(const ConfigSource& source);

} // namespace loftd
