// loftd's main job: bind the listeners as root, start and supervise the
// worker processes, and react to signals (SIGHUP reload, SIGTERM/SIGINT
// stop, SIGUSR1 reopen logs, SIGCHLD restart with backoff).
#pragma once

#include "config_source.hpp"

#include <string>

namespace loftd {

// Run in the foreground until stopped; returns the process exit code.
int run_master(const ConfigSource& source, const std::string& self_path);

} // namespace loftd
