#include "service_plan.hpp"

#include <loft_build_config.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;
namespace cfg = mailstore::config;

const std::vector<ProtocolInfo>& known_protocols() {
    static const std::vector<ProtocolInfo> protocols = {
        {"imap", "IMAP", {"imap-login", "imap"}, "loft-imapd"},
        {"pop3", "POP3", {"pop3-login", "pop3"}, "loft-pop3d"},
        {"lmtp", "LMTP", {"lmtp"}, "loft-lmtpd"},
        {"sieve", "ManageSieve", {"managesieve-login", "managesieve"}, "loft-managesieved"},
        {"auth", "the auth service", {"auth"}, "loft-authd"},
    };
    return protocols;
}

std::string global_setting(const cfg::Config& config, std::string_view name, std::string_view fallback) {
    if (!cfg::find_setting(name))
        return std::string(fallback);
    return config.get(name);
}

bool global_is_set(const cfg::Config& config, std::string_view name) {
    return cfg::find_setting(name) && config.is_set(name);
}

PlanEnvironment default_environment(const std::string& self_path) {
    PlanEnvironment env;
    if (!self_path.empty()) {
        std::filesystem::path self_dir = std::filesystem::path(self_path).parent_path();
        env.search_dirs.push_back(self_dir.string());
        // Installed, loftd sits in sbindir and its workers in libexecdir/loft:
        // look there relative to loftd first, so a tree staged with DESTDIR
        // or moved elsewhere runs its own workers, not those of another
        // installation at the configured prefix.
        auto libexec = std::filesystem::path(LOFT_LIBEXECDIR).lexically_relative(LOFT_SBINDIR);
        if (!libexec.empty())
            env.search_dirs.push_back((self_dir / libexec).lexically_normal().string());
    }
    env.search_dirs.push_back(LOFT_LIBEXECDIR);
    env.search_dirs.push_back(LOFT_BINDIR);
    env.running_as_root = geteuid() == 0;
    return env;
}

namespace {

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;)
        words.push_back(word);
    return words;
}

// The last `service NAME { }` block wins for each key, as in Dovecot where
// later blocks of the same name extend earlier ones.
std::optional<std::string> service_raw(const std::vector<cfg::Section>& blocks, std::string_view key) {
    std::optional<std::string> value;
    for (const auto& block : blocks)
        if (auto v = block.raw(key))
            value = v;
    return value;
}

bool is_unlimited(std::string_view value) {
    std::string lower;
    for (char c : value)
        if (c != ' ' && c != '\t')
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "unlimited";
}

// "file:line: " of the last block that sets `key`, or "".
std::string service_location(const std::vector<cfg::Section>& blocks, std::string_view key) {
    std::string where;
    for (const auto& block : blocks)
        if (block.raw(key))
            if (auto loc = block.location_of(key))
                where = loc->to_string() + ": ";
    return where;
}

bool same_specs(const std::vector<loft::ListenerSpec>& a, const std::vector<loft::ListenerSpec>& b) {
    auto key = [](const loft::ListenerSpec& s) {
        return std::tie(s.service, s.name, s.kind, s.addresses, s.port, s.ssl, s.haproxy, s.path, s.mode,
                        s.user, s.group);
    };
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (key(a[i]) != key(b[i]))
            return false;
    return true;
}

} // namespace

namespace {

// A user or group as a socket owner: listeners chown by name, so a number
// (uid=5000 in a static userdb) becomes its name; a number without an
// account, or an unknown name, gives "" (the socket stays root's).
std::string account_name(const std::string& id, bool group) {
    if (id.empty())
        return {};
    bool numeric = id.size() <= 9 && id.find_first_not_of("0123456789") == std::string::npos;
    if (group) {
        struct group* gr = numeric ? ::getgrgid(static_cast<gid_t>(std::strtoul(id.c_str(), nullptr, 10))) : ::getgrnam(id.c_str());
        return gr ? gr->gr_name : "";
    }
    struct passwd* pw = numeric ? ::getpwuid(static_cast<uid_t>(std::strtoul(id.c_str(), nullptr, 10))) : ::getpwnam(id.c_str());
    return pw ? pw->pw_name : "";
}

} // namespace

std::optional<StaticUserdbIds> static_userdb_ids(const cfg::Config& config) {
    for (const auto& userdb : config.sections("userdb")) {
        if (userdb.get("driver") != "static")
            continue;
        StaticUserdbIds ids;
        for (const auto& word : split_words(userdb.get("args"))) {
            if (word.rfind("uid=", 0) == 0)
                ids.uid = word.substr(4);
            else if (word.rfind("gid=", 0) == 0)
                ids.gid = word.substr(4);
        }
        if (ids.uid.empty())
            continue;
        if (auto loc = userdb.location_of("args"))
            ids.where = loc->to_string() + ": ";
        return ids;
    }
    return std::nullopt;
}

bool ServicePlan::same_workers_as(const ServicePlan& other) const {
    auto ids = [](const std::optional<loft::Credentials>& c) {
        return c ? std::tuple{true, c->uid, c->gid} : std::tuple{false, uid_t(0), gid_t(0)};
    };
    return service == other.service && binary == other.binary && args == other.args &&
           ids(credentials) == ids(other.credentials) && vsz_limit == other.vsz_limit &&
           same_specs(listeners, other.listeners);
}

std::string find_binary(std::string_view name, const PlanEnvironment& env) {
    std::string n(name);
    if (n.find('/') != std::string::npos)
        return is_executable_file(n) ? std::filesystem::absolute(n).lexically_normal().string() : "";
    // In the build tree a daemon lives in daemons/<name without "loft-">/
    // next to daemons/loftd/; installed, everything shares one directory.
    std::string subdir = n.rfind("loft-", 0) == 0 ? n.substr(5) : n;
    for (const auto& dir : env.search_dirs) {
        for (const auto& candidate : {dir + "/" + n, dir + "/../" + subdir + "/" + n}) {
            if (is_executable_file(candidate))
                return std::filesystem::path(candidate).lexically_normal().string();
        }
    }
    return {};
}

Result<Plan> make_plan(const cfg::Config& config, const PlanEnvironment& env) {
    Plan plan;
    plan.base_dir = global_setting(config, "base_dir", "/run/loft");
    if (plan.base_dir.empty())
        return Status::invalid("base_dir is empty; loftd needs it for its pid file");
    plan.base_dir = std::filesystem::absolute(plan.base_dir).lexically_normal().string();

    std::vector<std::string> enabled = cfg::find_setting("protocols") ? config.get_list("protocols")
                                                                      : std::vector<std::string>{};
    auto wanted = [&](std::string_view protocol) {
        if (protocol == "auth")
            return true;
        for (const auto& p : enabled)
            if (p == protocol)
                return true;
        return false;
    };
    // A Dovecot protocol Loft does not have (submission, ...) is reported,
    // not fatal, so an existing dovecot.conf still starts the rest.
    for (const auto& p : enabled) {
        bool known = p == "none" || p == "auth";
        for (const auto& info : known_protocols())
            known = known || info.protocol == p;
        if (!known)
            plan.protocols.push_back({p, p, "", false, "Loft has no " + p + " service; it is not served"});
    }

    // process_limit is Dovecot's maximum, not a count: loftd runs
    // process_min_avail workers when set, else one per core up to
    // process_limit (docs/loftd.md, "Process model").
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::uint64_t default_limit = 100;
    if (cfg::find_setting("default_process_limit"))
        default_limit = config.get_uint("default_process_limit");
    std::string default_limit_where = "default_process_limit";
    if (auto loc = cfg::find_setting("default_process_limit") ? config.location_of("default_process_limit")
                                                              : std::nullopt)
        default_limit_where = loc->to_string() + ": default_process_limit";

    unsigned default_client_limit = 1000;
    if (cfg::find_setting("default_client_limit"))
        default_client_limit = static_cast<unsigned>(std::max<std::uint64_t>(1, config.get_uint("default_client_limit")));

    std::uint64_t default_vsz_limit = 0;
    if (cfg::find_setting("default_vsz_limit") && !is_unlimited(config.get("default_vsz_limit")))
        default_vsz_limit = config.get_size("default_vsz_limit");

    unsigned long first_valid_uid = cfg::find_setting("first_valid_uid") ? config.get_uint("first_valid_uid") : 500;
    unsigned long last_valid_uid = cfg::find_setting("last_valid_uid") ? config.get_uint("last_valid_uid") : 0;
    std::string mail_uid = global_setting(config, "mail_uid");
    std::string mail_gid = global_setting(config, "mail_gid");
    // DESIGN.md: without mail_uid, a static userdb's uid (and gid) is the
    // mail user.
    std::string static_uid, static_gid, static_where;
    if (auto ids = static_userdb_ids(config)) {
        static_uid = ids->uid;
        static_gid = ids->gid;
        static_where = ids->where;
    }

    auto all_service_blocks = config.sections("service");
    // loft-authd runs whenever there is a passdb or userdb for it to serve,
    // with the default listeners (default_services.hpp) unless a
    // `service auth { }` block names others: Dovecot always runs its auth
    // service, and every protocol worker authenticates through it
    // (DESIGN.md, docs/authd.md).
    const bool have_auth_dbs = !config.sections("passdb").empty() || !config.sections("userdb").empty();
    for (const auto& info : known_protocols()) {
        if (!wanted(info.protocol))
            continue;
        if (info.protocol == "auth" && !have_auth_dbs)
            continue;
        ProtocolStatus status;
        status.protocol = info.protocol;
        status.display = info.display;
        status.binary_name = info.binary;

        std::vector<ServicePlan> services;
        std::string missing;
        for (auto service_name : info.services) {
            std::vector<cfg::Section> blocks;
            for (const auto& block : all_service_blocks)
                if (block.name() == service_name)
                    blocks.push_back(block);
            auto checked = loft::checked_listeners_for_service(config, service_name);
            if (!checked)
                return checked.status();
            auto listeners = std::move(*checked);
            // A service without sockets has nothing for a worker to serve
            // (Dovecot's post-login `imap` service runs inside loft-imapd).
            if (listeners.empty())
                continue;

            ServicePlan sp;
            sp.service = service_name;
            sp.protocol = info.protocol;
            sp.listeners = std::move(listeners);
            std::string program(info.binary);
            if (auto executable = service_raw(blocks, "executable"); executable && !executable->empty()) {
                auto words = split_words(*executable);
                if (!words.empty()) {
                    program = words[0];
                    sp.args.assign(words.begin() + 1, words.end());
                }
            }
            sp.binary = find_binary(program, env);
            if (sp.binary.empty()) {
                missing = program;
                continue;
            }
            std::uint64_t limit = default_limit;
            if (auto text = service_raw(blocks, "process_limit")) {
                if (auto n = cfg::parse_uint(*text); n && *n > 0) {
                    limit = *n;
                } else if (limit == 0) {
                    std::string where = service_location(blocks, "process_limit");
                    return Status::invalid(where + "service " + sp.service +
                                           ": process_limit = 0 means default_process_limit, which is 0 too; "
                                           "set process_limit (or default_process_limit) to at least 1");
                }
            }
            if (limit == 0)
                return Status::invalid(default_limit_where + " = 0 leaves service " + sp.service +
                                       " without workers; set it (or the service's process_limit) to at least 1");
            std::uint64_t min_avail = 0;
            if (auto text = service_raw(blocks, "process_min_avail"))
                min_avail = cfg::parse_uint(*text).value_or(0);
            if (min_avail > limit)
                return Status::invalid(service_location(blocks, "process_min_avail") + "service " + sp.service +
                                       ": process_min_avail = " + std::to_string(min_avail) +
                                       " is more than its process_limit (" + std::to_string(limit) + ")");
            sp.workers = static_cast<unsigned>(min_avail > 0 ? min_avail : std::min<std::uint64_t>(limit, cores));
            sp.workers = std::max(1u, sp.workers);
            if (info.protocol == "auth") {
                // One loft-authd, as Dovecot's auth has process_limit = 1:
                // the auth cache, the failure penalties and the per-user
                // counters live in it and must be shared by every client.
                sp.workers = 1;
                // auth-userdb (docs/authd.md "Sockets") belongs to the mail
                // workers' user and group unless the config names an owner:
                // LMTP runs as that user, loftadm as root. So does
                // auth-login, where loft-imapd (running as that user)
                // checks passwords.
                std::string owner = env.running_as_root ? account_name(!mail_uid.empty() ? mail_uid : static_uid, false) : "";
                std::string owner_group = env.running_as_root ? account_name(!mail_gid.empty() ? mail_gid : static_gid, true) : "";
                for (auto& l : sp.listeners) {
                    if (l.kind != loft::ListenerSpec::Kind::unix_socket ||
                        (l.name != "auth-userdb" && l.name != "auth-login"))
                        continue;
                    if (l.user.empty() && l.group.empty()) {
                        l.user = owner;
                        l.group = owner_group;
                    }
                }
            }

            // Dovecot: a service's vsz_limit of 0 (the default) means
            // default_vsz_limit; "unlimited", or a default_vsz_limit of 0,
            // means no limit.
            sp.vsz_limit = default_vsz_limit;
            if (auto limit = service_raw(blocks, "vsz_limit")) {
                if (is_unlimited(*limit))
                    sp.vsz_limit = 0;
                else if (auto n = cfg::parse_size(*limit); n && *n > 0)
                    sp.vsz_limit = *n;
            }

            sp.client_limit = default_client_limit;
            if (auto limit = service_raw(blocks, "client_limit")) {
                auto n = cfg::parse_uint(*limit);
                if (n && *n > 0)
                    sp.client_limit = static_cast<unsigned>(*n);
            }

            if (env.running_as_root) {
                auto user = service_raw(blocks, "user");
                auto group = service_raw(blocks, "group");
                std::string what;
                std::string user_name;
                std::string group_name;
                if (user && !user->empty()) {
                    what = "service " + sp.service + " { user = " + *user + " }";
                    user_name = *user;
                    group_name = group.value_or("");
                } else if (info.protocol == "auth") {
                    // loft-authd keeps the privileges shadow and PAM need
                    // unless a user is configured for it (mail_uid is the
                    // mail workers' user, not the auth service's).
                    services.push_back(std::move(sp));
                    continue;
                } else if (!mail_uid.empty()) {
                    what = "mail_uid = " + mail_uid;
                    user_name = mail_uid;
                    group_name = group && !group->empty() ? *group : mail_gid;
                    if (group_name.empty() && mail_gid.empty())
                        group_name = static_gid;
                } else if (!static_uid.empty()) {
                    what = static_where + "userdb static uid=" + static_uid;
                    user_name = static_uid;
                    group_name = group && !group->empty() ? *group : !mail_gid.empty() ? mail_gid : static_gid;
                } else {
                    return Status::invalid("service " + sp.service +
                                           ": no user to run its workers as; set mail_uid (and mail_gid) "
                                           "or service " + sp.service + " { user = ... } (or use a static userdb "
                                           "with uid=): loftd never runs "
                                           "workers as root");
                }
                auto creds = loft::resolve_credentials(user_name, group_name, what);
                if (!creds)
                    return creds.status();
                if (Status st = loft::check_worker_credentials(*creds, what, first_valid_uid, last_valid_uid); !st)
                    return st;
                sp.credentials = *creds;
            }
            services.push_back(std::move(sp));
        }
        if (!services.empty()) {
            status.served = true;
            for (auto& sp : services)
                plan.services.push_back(std::move(sp));
        } else if (!missing.empty()) {
            status.note = missing + " is not installed; " + std::string(info.display) + " is not served";
        } else if (info.protocol == "auth") {
            continue; // no auth listeners configured: nothing to say
        } else {
            status.note = "no listeners configured; " + std::string(info.display) + " is not served";
        }
        plan.protocols.push_back(std::move(status));
    }
    return plan;
}

} // namespace loftd
