// The files workers keep under base_dir. base_dir belongs to root (loftd
// created it); workers run as the mail user and cannot create files there,
// so loftd prepares what they need with their ownership, the way Dovecot's
// master prepares its runtime directory:
//
//   base_dir/loft-<service>.ipconn   per-IP connection table shared by a
//                                    service's workers (0600, worker-owned)
//   base_dir/admin/                  one admin socket per worker
#pragma once

#include "service_plan.hpp"

#include <mailstore/status.hpp>

#include <string>
#include <sys/types.h>

namespace loftd {

// Prepare base_dir for `plan`'s services. `fresh` (at start, when no worker
// of ours runs): reset the connection tables and remove admin sockets left
// by a previous run.
mailstore::Status prepare_runtime_dir(const Plan& plan, bool fresh);

// Remove the admin socket of a worker that exited (it cannot do it after a
// crash).
void remove_worker_admin_socket(const std::string& base_dir, const std::string& service, pid_t pid);

} // namespace loftd
