// Settings that belong to a block type (scope), and the block types
// themselves. Keys with the same name in different scopes are different
// settings: the global `ssl` is an enum, an inet_listener's `ssl` a boolean.
#include "config/config_data.hpp"
#include "config/settings_tables.hpp"

#include <algorithm>

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr std::string_view kResults = "continue|return-ok|return|return-fail|continue-ok|continue-fail";

constexpr SettingInfo kSection[] = {
    // service NAME { }
    {"executable", T::string, "", "", "Program (and arguments) the service runs.", "service", true},
    {"process_limit", T::uint, "0", "",
     "Most worker processes of this service; 0 uses default_process_limit. loftd starts "
     "process_min_avail workers if > 0, else min(process_limit, CPU cores).",
     "service", true},
    {"client_limit", T::uint, "0", "",
     "Most connections one worker process serves; 0 uses default_client_limit.", "service", true},
    {"process_min_avail", T::uint, "0", "",
     "Worker processes loftd starts for this service if > 0; 0 starts "
     "min(process_limit, CPU cores).",
     "service", true},
    {"service_count", T::uint, "0", "",
     "Connections a worker serves before it exits; 0 = unlimited.", "service", false},
    {"vsz_limit", T::size, "0", "",
     "Address space limit of each worker; 0 uses default_vsz_limit.", "service", true},
    {"user", T::string, "", "", "System user the service's processes run as.", "service", true},
    {"group", T::string, "", "", "System group the service's processes run as.", "service", true},
    {"extra_groups", T::list, "", "", "Supplementary groups of the service's processes.",
     "service", false},
    {"privileged_group", T::string, "", "",
     "Group the process may switch to temporarily (Dovecot mail_privileged_group use).",
     "service", false},
    {"chroot", T::string, "", "", "Directory the service's processes chroot into.", "service",
     false},
    {"idle_kill", T::time, "0", "",
     "Stop a worker that has had no clients for this long; 0 uses default_idle_kill.", "service",
     false},
    {"protocol", T::string, "", "",
     "Protocol this service belongs to; it runs only when listed in protocols.", "service", false},
    {"type", T::string, "", "", "Kind of service: empty (normal), login, log, config, anvil, ...",
     "service", false},
    {"drop_priv_before_exec", T::boolean, "no", "",
     "Drop privileges before starting the program rather than after.", "service", false},

    // inet_listener NAME { }
    {"address", T::list, "", "", "Addresses to bind; empty uses the global listen.",
     "inet_listener", true},
    {"port", T::uint, "0", "0..65535", "TCP port; 0 disables the listener.", "inet_listener",
     true},
    {"ssl", T::boolean, "no", "", "Implicit TLS: start TLS as soon as the client connects.",
     "inet_listener", true},
    {"haproxy", T::boolean, "no", "",
     "Expect a PROXY protocol header (from haproxy_trusted_networks only).", "inet_listener",
     true},
    {"reuse_port", T::boolean, "no", "", "Set SO_REUSEPORT on the listening socket.",
     "inet_listener", false},

    // unix_listener / fifo_listener NAME { }
    {"path", T::string, "", "",
     "Loft: socket path; empty uses the block's name. Relative paths are under base_dir.",
     "unix_listener", true},
    {"mode", T::string, "0600", "", "Permissions of the socket, in octal.", "unix_listener", true},
    {"user", T::string, "", "", "Owner of the socket.", "unix_listener", true},
    {"group", T::string, "", "", "Group of the socket.", "unix_listener", true},
    {"path", T::string, "", "",
     "Loft: FIFO path; empty uses the block's name. Relative paths are under base_dir.",
     "fifo_listener", false},
    {"mode", T::string, "0600", "", "Permissions of the FIFO, in octal.", "fifo_listener", false},
    {"user", T::string, "", "", "Owner of the FIFO.", "fifo_listener", false},
    {"group", T::string, "", "", "Group of the FIFO.", "fifo_listener", false},

    // passdb [NAME] { }
    {"name", T::string, "", "", "Name of this passdb in log lines (default: the block name, else the driver).",
     "passdb", true},
    {"driver", T::string, "", "", "Password database type: passwd-file, static, passwd, shadow, pam, sql.",
     "passdb", true},
    {"args", T::string, "", "", "Driver arguments (file path, options); %variables allowed where the driver says.",
     "passdb", true},
    {"default_fields", T::string, "", "",
     "Extra fields (key=value, space-separated, %variables expanded) added unless the database returns them.",
     "passdb", true},
    {"override_fields", T::string, "", "",
     "Extra fields (key=value, %variables expanded) that replace what the database returns.", "passdb", true},
    {"mechanisms", T::list, "", "",
     "Use this passdb only for these SASL mechanisms (none: only for lookups without a mechanism).", "passdb",
     true},
    {"username_filter", T::string, "", "",
     "Use this passdb only for user names matching these wildcards; !pattern excludes.", "passdb", true},
    {"skip", T::enumeration, "never", "never|authenticated|unauthenticated",
     "Skip this passdb when an earlier one already succeeded (authenticated) or has not (unauthenticated).",
     "passdb", true},
    {"result_success", T::enumeration, "return-ok", kResults,
     "What to do when the user is found and the password matches.", "passdb", true},
    {"result_failure", T::enumeration, "continue", kResults,
     "What to do on an unknown user or a wrong password.", "passdb", true},
    {"result_internalfail", T::enumeration, "continue", kResults,
     "What to do when the database fails (the login ends as a temporary failure unless a later passdb "
     "succeeds).",
     "passdb", true},
    {"deny", T::boolean, "no", "", "Users found in this passdb are refused; nothing else is looked up here.",
     "passdb", true},
    {"pass", T::boolean, "no", "",
     "Master passdb: after the master user verified, the target user must also exist in the normal passdbs.",
     "passdb", true},
    {"master", T::boolean, "no", "", "This passdb holds master users (\"user*master\" or SASL authzid logins).",
     "passdb", true},
    {"auth_verbose", T::enumeration, "default", "default|yes|no",
     "Override auth_verbose for this passdb's log lines.", "passdb", true},

    // userdb [NAME] { }
    {"name", T::string, "", "", "Name of this userdb in log lines (default: the block name, else the driver).",
     "userdb", true},
    {"driver", T::string, "", "", "User database type: passwd-file, passwd, static, prefetch, sql.", "userdb",
     true},
    {"args", T::string, "", "", "Driver arguments (file path, options).", "userdb", true},
    {"default_fields", T::string, "", "",
     "Fields (uid=, home=, ...; %variables expanded) added unless the database returns them.", "userdb", true},
    {"override_fields", T::string, "", "",
     "Fields (%variables expanded) that replace what the database returns.", "userdb", true},
    {"skip", T::enumeration, "never", "never|found|notfound",
     "Skip this userdb when an earlier one found the user (found) or did not (notfound).", "userdb", true},
    {"result_success", T::enumeration, "return-ok", kResults, "What to do when the user is found.", "userdb",
     true},
    {"result_failure", T::enumeration, "continue", kResults, "What to do when the user is not found.", "userdb",
     true},
    {"result_internalfail", T::enumeration, "continue", kResults,
     "What to do when the database fails (a temporary failure unless a later userdb finds the user).",
     "userdb", true},
    {"auth_verbose", T::enumeration, "default", "default|yes|no",
     "Override auth_verbose for this userdb's log lines.", "userdb", true},

    // namespace [NAME] { }
    {"type", T::enumeration, "private", "private|shared|public",
     "private (the user's own mail) or public; shared loads but is not served yet.", "namespace", true},
    {"separator", T::string, "", "",
     "Hierarchy separator; empty uses the storage's (\".\" for Maildir++).", "namespace", true},
    {"prefix", T::string, "", "", "Prefix of the namespace's mailbox names; ends with separator.",
     "namespace", true},
    {"location", T::string, "", "", "Storage of this namespace; empty uses mail_location.",
     "namespace", true},
    {"inbox", T::boolean, "no", "", "This namespace holds INBOX.", "namespace", true},
    {"hidden", T::boolean, "no", "", "Leave the namespace out of the NAMESPACE response.",
     "namespace", true},
    {"list", T::enumeration, "yes", "yes|no|children",
     "Show the namespace's mailboxes in LIST: yes, no, or children (not the prefix).",
     "namespace", true},
    {"subscriptions", T::boolean, "yes", "",
     "Keep this namespace's subscriptions itself (no: the parent namespace does).", "namespace",
     true},
    {"ignore_on_failure", T::boolean, "no", "",
     "Log and skip the namespace when its storage cannot be opened.", "namespace", true},
    {"disabled", T::boolean, "no", "", "Ignore this namespace.", "namespace", true},
    {"alias_for", T::string, "", "", "Prefix of the namespace this one is an alias of.",
     "namespace", false},
    {"order", T::uint, "0", "", "Sort order among namespaces.", "namespace", false},

    // mailbox NAME { }
    {"auto", T::enumeration, "no", "no|create|subscribe",
     "Create (and subscribe) the mailbox automatically.", "mailbox", true},
    {"special_use", T::list, "", "", "RFC 6154 special-use flags: \\Sent \\Trash \\Drafts ...",
     "mailbox", true},
    {"driver", T::string, "", "", "Storage driver of this mailbox (virtual mailboxes).", "mailbox",
     false},
    {"comment", T::string, "", "", "METADATA /shared/comment of the mailbox.", "mailbox", false},
    {"autoexpunge", T::time, "0", "", "Expunge messages older than this; 0 = never.", "mailbox",
     false},
    {"autoexpunge_max_mails", T::uint, "0", "",
     "Expunge the oldest messages beyond this count; 0 = no limit.", "mailbox", false},
};

constexpr SectionTypeInfo kSectionTypes[] = {
    {"protocol", "@global", true, false, true,
     "Overrides for one protocol (imap, pop3, lmtp, sieve, lda, ...)."},
    {"local", "@global", true, false, true,
     "Overrides for connections to a local address or network (IP or CIDR)."},
    {"remote", "@global", true, false, true,
     "Overrides for connections from a client address or network (IP or CIDR)."},
    {"local_name", "@global", true, false, true,
     "Overrides for TLS connections that ask for this SNI name (or *.domain)."},
    {"service", "@global", true, false, true, "A service: its processes and listeners."},
    {"inet_listener", "service", false, false, true, "A TCP listener of a service."},
    {"unix_listener", "service", false, false, true, "A UNIX socket listener of a service."},
    {"fifo_listener", "service", false, false, false, "A FIFO listener of a service."},
    {"namespace", "@global", false, false, true, "A mail namespace of each user."},
    {"mailbox", "namespace", true, false, true, "Settings of one mailbox of a namespace."},
    {"passdb", "@global", false, false, true, "A password database."},
    {"userdb", "@global", false, false, true, "A user database."},
    {"plugin", "@global", false, true, true, "Free-form settings read by plugins."},
    {"dict", "@global", false, true, false, "Dictionary server definitions."},
    {"metric", "@global", true, true, false, "Statistics metric."},
    {"event_exporter", "@global", true, true, false, "Statistics event exporter."},
};

} // namespace

std::span<const SettingInfo> section_settings() { return kSection; }

std::span<const SectionTypeInfo> all_section_types() { return kSectionTypes; }

const SectionTypeInfo* find_section_type(std::string_view type) {
    for (const auto& info : kSectionTypes) {
        if (info.type == type) {
            return &info;
        }
    }
    return nullptr;
}

bool section_allowed_in(const SectionTypeInfo& info, std::string_view parent) {
    std::string_view parents = info.parents;
    while (!parents.empty()) {
        auto space = parents.find(' ');
        auto word = parents.substr(0, space);
        parents = space == std::string_view::npos ? std::string_view{} : parents.substr(space + 1);
        if (word == parent) {
            return true;
        }
        if (word == "@global" && (parent.empty() || is_filter_section(parent))) {
            return true;
        }
    }
    return false;
}

bool is_filter_section(std::string_view type) {
    return type == "protocol" || type == "local" || type == "remote" || type == "local_name";
}

} // namespace mailstore::config
