// What loftd should run for a configuration: for each enabled protocol its
// Dovecot service names, the Loft binary that implements it, the listeners,
// the number of worker processes and the user they run as. Computing the
// plan has no side effects, so a reload can compare the new plan with the
// running one before touching anything.
#pragma once

#include "listeners.hpp"
#include "privileges.hpp"

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loftd {

// A protocol of `protocols = ...` (or the auth service), its Dovecot service
// names and the Loft program that serves them.
struct ProtocolInfo {
    std::string_view protocol;      // "imap"
    std::string_view display;       // "IMAP"
    std::vector<std::string_view> services; // {"imap-login", "imap"}
    std::string_view binary;        // "loft-imapd"
};

// imap, pop3, lmtp, sieve, and auth (started whenever loft-authd exists).
const std::vector<ProtocolInfo>& known_protocols();

// One service that gets worker processes.
struct ServicePlan {
    std::string service;  // "imap-login"
    std::string protocol; // "imap"
    std::string binary;   // absolute path
    std::vector<std::string> args; // extra words of `executable`
    std::vector<loft::ListenerSpec> listeners;
    // Worker processes loftd runs: process_min_avail when set, else one per
    // core up to process_limit (default_process_limit), at least 1.
    unsigned workers = 1;
    unsigned client_limit = 1000; // connections per worker: sizes RLIMIT_NOFILE
    std::optional<loft::Credentials> credentials; // nullopt: keep loftd's identity
    // Address-space limit (RLIMIT_AS) of each worker in bytes, 0 = none: the
    // service's vsz_limit, else default_vsz_limit.
    std::uint64_t vsz_limit = 0;

    // Same program, arguments, identity, limits, config file and sockets: a
    // reload can keep the running workers (and just send them SIGHUP).
    bool same_workers_as(const ServicePlan& other) const;
};

// How a protocol fared: served, or why not.
struct ProtocolStatus {
    std::string protocol;
    std::string display;
    std::string binary_name;
    bool served = false;
    std::string note; // "loft-imapd is not installed; IMAP is not served"
};

struct Plan {
    std::string base_dir;
    std::vector<ServicePlan> services;
    std::vector<ProtocolStatus> protocols;
};

// Where binaries are looked for, and whether privileges get dropped.
struct PlanEnvironment {
    std::vector<std::string> search_dirs; // in order; per binary also <dir>/../<name>/
    bool running_as_root = false;
};

// The search path for a loftd at `self_path`: its own directory, the build
// tree beside it (daemons/<name>/), libexecdir/loft relative to it (as
// installed: ../libexec/loft), LOFT_LIBEXECDIR, LOFT_BINDIR.
PlanEnvironment default_environment(const std::string& self_path);

// The absolute path of `name`: as given when it contains '/', else the first
// executable regular file in env's search dirs; "" when none.
std::string find_binary(std::string_view name, const PlanEnvironment& env);

// The plan for `config`. Fails when a service's user is not acceptable (uid
// 0, below first_valid_uid, unknown) or a setting is unusable; the message
// names the setting.
mailstore::Result<Plan> make_plan(const mailstore::config::Config& config, const PlanEnvironment& env);

// The uid= and gid= (names or numbers, as written; gid may be empty) of the
// first `userdb { driver = static }` whose args have a uid=, and "file:line: "
// of those args. DESIGN.md: the mail user when mail_uid is not set.
struct StaticUserdbIds {
    std::string uid;
    std::string gid;
    std::string where;
};
std::optional<StaticUserdbIds> static_userdb_ids(const mailstore::config::Config& config);

// A global setting's value, or `fallback` when the registry does not know it
// (so loftd keeps working while the registry grows).
std::string global_setting(const mailstore::config::Config& config, std::string_view name,
                           std::string_view fallback = {});
bool global_is_set(const mailstore::config::Config& config, std::string_view name);

} // namespace loftd
