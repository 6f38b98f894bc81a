// The resolved configuration loftd hands its workers.
//
// Workers give up root before they read their configuration, so they could
// not read what the admin's config reads as root: a private key of mode 0600,
// an included file under /etc/loft/private, ... (Dovecot solves this with its
// config process). loftd, still root, loads the config and serializes it as
// one self-contained text (mailstore::config::Config::serialize: includes
// read, `<file` values inlined, `$variables` expanded). The text never goes
// to disk: it lives in a memfd (an anonymous in-memory file), owned by root,
// readable by the workers' group (mode 0440; 0400 and loftd's own when it is
// not root). Each worker inherits the memfd as a descriptor right after its
// listeners and is started with `-c /proc/self/fd/N`; opening that path
// opens the memfd anew, so a worker's SIGHUP reload reads whatever the memfd
// holds then.
//
// A reload that keeps the workers rewrites their memfd in place before they
// get SIGHUP; a new generation of workers gets a new memfd.
#pragma once

#include "service_plan.hpp"

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace loftd {

// One in-memory copy of the resolved configuration for the workers of one
// group. Closes the descriptor when destroyed.
class ConfigMemfd {
public:
    // A memfd holding `text`, owned by root and readable by `group` (0440),
    // or loftd's own (0400) when `group` is nullopt. Close-on-exec in loftd.
    static mailstore::Result<std::shared_ptr<ConfigMemfd>> create(std::optional<gid_t> group,
                                                                  const std::string& text);
    ~ConfigMemfd();
    ConfigMemfd(const ConfigMemfd&) = delete;
    ConfigMemfd& operator=(const ConfigMemfd&) = delete;

    // Replace the content with `text` (ftruncate + pwrite) for workers
    // that re-read it on SIGHUP.
    mailstore::Status rewrite(const std::string& text);

    int fd() const { return fd_; }
    std::optional<gid_t> group() const { return group_; }

private:
    ConfigMemfd(int fd, std::optional<gid_t> group) : fd_(fd), group_(group) {}
    int fd_;
    std::optional<gid_t> group_;
};

// The group that reads the configuration of `sp`'s workers: their gid, or
// nullopt when they keep loftd's identity.
std::optional<gid_t> snapshot_group(const ServicePlan& sp);

// The text of a snapshot of `config`, loaded from `source` (a path or "the
// built-in default"): a header saying what it is, then the serialized config
// with a comment naming where each setting came from. Fails for a config that
// cannot be written as text (a NUL byte in a `<file` value) or whose text
// does not load back (a bug, or a bound of the parser: it must fail here,
// not in every worker).
mailstore::Result<std::string> snapshot_text(const mailstore::config::Config& config, const std::string& source);

// Remove the files earlier versions wrote to base_dir (loft-resolved*.conf
// and their .tmp files): they held private keys.
void remove_snapshot_files(const std::string& base_dir);

} // namespace loftd
