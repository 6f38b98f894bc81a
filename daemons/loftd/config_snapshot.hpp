// The resolved configuration loftd hands its workers.
//
// Workers give up root before they read their configuration, so they could
// not read what the admin's config reads as root: a private key of mode 0600,
// an included file under /etc/loft/private, ... (Dovecot solves this with its
// config process). loftd, still root, loads the config and writes it as one
// self-contained text (mailstore::config::Config::serialize: includes read,
// `<file` values inlined, `$variables` expanded) to base_dir, readable by the
// workers' group only, and starts the workers with `-c` that file. A reload
// rewrites it before the workers get SIGHUP, so they re-read the new one.
//
//   base_dir/loft-resolved.conf        root:<workers' gid> 0640 (0600 and
//                                      loftd's own when it is not root)
//   base_dir/loft-resolved-<gid>.conf  the same for services whose workers
//                                      run with another group
#pragma once

#include "service_plan.hpp"

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace loftd {

// One snapshot file and who may read it.
struct SnapshotFile {
    std::string path;
    // The group that may read it (owner root, mode 0640). nullopt: only
    // loftd's own user may (mode 0600) — loftd is not root, or every worker
    // that reads it keeps root.
    std::optional<gid_t> group;
};

// Decide which snapshot file each service's workers read and set
// ServicePlan::config_path accordingly. The first group in plan order that
// workers run with reads base_dir/loft-resolved.conf, any other group its
// own base_dir/loft-resolved-<gid>.conf; workers that keep loftd's identity
// read loft-resolved.conf. Returns the files to write (at least one).
std::vector<SnapshotFile> assign_snapshot_files(Plan& plan);

// The text of a snapshot of `config`, loaded from `source` (a path or "the
// built-in default"): a header saying what it is, then the serialized config
// with a comment naming where each setting came from. Fails for a config that
// cannot be written as text (a NUL byte in a `<file` value).
mailstore::Result<std::string> snapshot_text(const mailstore::config::Config& config, const std::string& source);

// Write `text` to every file: each to a temporary file first (created with
// its final owner and mode, fsynced), checked to load as a configuration,
// and only when all are ready renamed into place, so a worker never sees a
// half-written or unloadable file and a failure leaves the old files alone.
mailstore::Status write_snapshots(const std::vector<SnapshotFile>& files, const std::string& text);

// Remove snapshot files in `base_dir` that are not in `keep` (a group no
// worker runs with any more).
void remove_stale_snapshots(const std::string& base_dir, const std::vector<SnapshotFile>& keep);

} // namespace loftd
