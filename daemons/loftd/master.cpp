#include "master.hpp"

#include "banner.hpp"
#include "config_snapshot.hpp"
#include "pidfile.hpp"
#include "process.hpp"
#include "runtime_dir.hpp"
#include "service_plan.hpp"

#include <mailstore/log.hpp>

#include <loft_build_config.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;
namespace log = mailstore::log;
using Clock = std::chrono::steady_clock;

namespace {

// How long workers get to finish their connections after SIGTERM before
// SIGKILL. Dovecot has no such setting (shutdown_clients is a yes/no).
constexpr auto kShutdownTimeout = std::chrono::seconds(30);

const log::Logger& master_log() {
    static const log::Logger logger("master");
    return logger;
}

std::string seconds_text(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

// Sockets are shared between reloads by what they are bound to, so a
// listener that survives a reload keeps its socket (and its queue of
// not-yet-accepted connections).
std::string socket_key(const loft::ListenerSpec& spec, const std::string& address) {
    if (spec.kind == loft::ListenerSpec::Kind::unix_socket)
        return "unix " + spec.path;
    return "inet " + address + " " + std::to_string(spec.port);
}

// Each connection costs a socket, plus a few files while it is busy; the
// rest covers listeners, logs, index files and the admin socket.
unsigned long open_files_for(const ServicePlan& plan) {
    return static_cast<unsigned long>(plan.client_limit) * 2 + 128;
}

struct Slot {
    pid_t pid = 0;
    Clock::time_point started{};
    loft::RestartBackoff backoff;
    std::optional<Clock::time_point> restart_at;
};

struct RunningService {
    ServicePlan plan;
    std::vector<loft::BoundListener> sockets;
    std::vector<Slot> slots;
};

struct Retiring {
    std::string service;
    Clock::time_point deadline;
    bool killed = false;
};

class Master {
public:
    Master(const ConfigSource& source, const std::string& self_path)
        : source_(source), env_(default_environment(self_path)) {}

    int run();

private:
    using Pool = std::map<std::string, loft::BoundListener>;

    Status apply_log_settings(const mailstore::config::Config& config);
    Status write_worker_config(const mailstore::config::Config& config, Plan& plan);
    Result<std::map<std::string, std::vector<loft::BoundListener>>> bind_sockets(const Plan& plan, Pool& pool);
    void start_slot(RunningService& rs, size_t index);
    void start_all(RunningService& rs);
    void retire(pid_t pid, const std::string& service);
    void reap_children();
    void on_child_exit(pid_t pid, int status);
    void run_due_restarts();
    void kill_overdue();
    void forward(int sig);
    void reload();
    int shutdown();
    void close_pool(Pool& pool, const Pool* keep);
    timespec next_timeout() const;
    void log_protocol_notes(const Plan& plan);
    void log_plan_advice(const mailstore::config::Config& config, const Plan& plan);

    ConfigSource source_;
    PlanEnvironment env_;
    std::optional<LoadedConfig> loaded_;
    Plan plan_;
    std::optional<loft::PidFile> pidfile_;
    std::map<std::string, RunningService> services_;
    Pool pool_;
    std::map<pid_t, Retiring> retiring_;
    bool stopping_ = false;
    sigset_t signals_{};
};

Status Master::apply_log_settings(const mailstore::config::Config& config) {
    return log::configure(log::settings_from_config(config));
}

// The resolved configuration the workers read (config_snapshot.hpp); also
// decides which file each service's workers get.
Status Master::write_worker_config(const mailstore::config::Config& config, Plan& plan) {
    auto files = assign_snapshot_files(plan);
    auto text = snapshot_text(config, source_.describe());
    if (!text)
        return text.status();
    if (Status st = write_snapshots(files, *text); !st)
        return st;
    remove_stale_snapshots(plan.base_dir, files);
    for (const auto& file : files)
        master_log().debugf("wrote the workers' configuration to {}", file.path);
    return Status::ok();
}

Result<std::map<std::string, std::vector<loft::BoundListener>>> Master::bind_sockets(const Plan& plan, Pool& pool) {
    std::map<std::string, std::vector<loft::BoundListener>> per_service;
    Pool fresh; // bound by this call, closed again if a later bind fails
    std::map<std::string, std::string> claimed; // socket key -> listener id, within this plan
    for (const auto& sp : plan.services) {
        auto& out = per_service[sp.service];
        for (const auto& spec : sp.listeners) {
            // Bind address by address so each socket can be matched on reload.
            std::vector<loft::ListenerSpec> singles;
            if (spec.kind == loft::ListenerSpec::Kind::unix_socket) {
                singles.push_back(spec);
            } else {
                for (const auto& address : spec.addresses) {
                    loft::ListenerSpec one = spec;
                    one.addresses = {address};
                    singles.push_back(std::move(one));
                }
            }
            for (const auto& one : singles) {
                std::string key = socket_key(one, one.addresses.empty() ? "" : one.addresses.front());
                if (auto [pos, inserted] = claimed.emplace(key, spec.id()); !inserted) {
                    close_pool(fresh, nullptr);
                    return Status::invalid("listener " + spec.id() + ": " + key.substr(key.find(' ') + 1) +
                                           " is also used by listener " + pos->second);
                }
                if (auto it = pool.find(key); it != pool.end() || (it = fresh.find(key)) != fresh.end()) {
                    loft::BoundListener reused = it->second;
                    reused.spec = spec; // ssl/haproxy/name may have changed
                    out.push_back(reused);
                    continue;
                }
                auto bound = loft::bind_listener(one, plan.base_dir);
                if (!bound) {
                    close_pool(fresh, nullptr);
                    return bound.status();
                }
                for (auto& b : *bound) {
                    b.spec = spec;
                    fresh.emplace(key, b);
                    out.push_back(b);
                }
            }
        }
    }
    for (auto& [key, b] : fresh)
        pool.emplace(key, b);
    return per_service;
}

void Master::close_pool(Pool& pool, const Pool* keep) {
    for (auto it = pool.begin(); it != pool.end();) {
        if (keep && keep->count(it->first)) {
            ++it;
            continue;
        }
        ::close(it->second.fd);
        it = pool.erase(it);
    }
}

void Master::start_slot(RunningService& rs, size_t index) {
    Slot& slot = rs.slots[index];
    loft::WorkerLaunch launch;
    launch.binary = rs.plan.binary;
    launch.args = {"-c", rs.plan.config_path, "--service", rs.plan.service};
    launch.args.insert(launch.args.end(), rs.plan.args.begin(), rs.plan.args.end());
    launch.listeners = rs.sockets;
    launch.credentials = rs.plan.credentials;
    launch.open_files = open_files_for(rs.plan);
    if (!loft::kBuiltWithAddressSanitizer)
        launch.address_space_limit = rs.plan.vsz_limit;
    auto pid = loft::spawn_worker(launch);
    auto now = Clock::now();
    if (!pid) {
        auto delay = slot.backoff.on_exit(std::chrono::milliseconds(0));
        master_log().errorf("service {}: {}; trying again in {}", rs.plan.service, pid.status().message(),
                            seconds_text(delay));
        slot.pid = 0;
        slot.restart_at = now + delay;
        return;
    }
    slot.pid = *pid;
    slot.started = now;
    slot.restart_at.reset();
    master_log().debugf("service {}: started worker {} ({})", rs.plan.service, *pid, rs.plan.binary);
}

void Master::start_all(RunningService& rs) {
    if (loft::kBuiltWithAddressSanitizer && rs.plan.vsz_limit > 0)
        master_log().debugf("service {}: vsz_limit ({} bytes) not applied: this build uses AddressSanitizer, "
                            "which cannot run under an address-space limit",
                            rs.plan.service, rs.plan.vsz_limit);
    unsigned long wanted = open_files_for(rs.plan);
    if (loft::reachable_open_files(wanted) < wanted)
        master_log().warningf("service {}: the open files limit ({}) is lower than its client_limit needs ({}); "
                              "raise it (ulimit -n, LimitNOFILE=) or run loftd as root",
                              rs.plan.service, loft::reachable_open_files(wanted), wanted);
    rs.slots.resize(rs.plan.process_limit);
    for (size_t i = 0; i < rs.slots.size(); ++i)
        if (rs.slots[i].pid == 0)
            start_slot(rs, i);
}

// SIGTERM the worker's process group; it finishes its connections and
// exits. It is no longer restarted, and gets SIGKILL at the deadline.
void Master::retire(pid_t pid, const std::string& service) {
    if (pid <= 0)
        return;
    if (::kill(-pid, SIGTERM) != 0)
        ::kill(pid, SIGTERM);
    retiring_[pid] = Retiring{service, Clock::now() + kShutdownTimeout, false};
}

void Master::reap_children() {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        on_child_exit(pid, status);
    }
}

void Master::on_child_exit(pid_t pid, int status) {
    if (auto it = retiring_.find(pid); it != retiring_.end()) {
        remove_worker_admin_socket(plan_.base_dir, it->second.service, pid);
        master_log().debugf("service {}: worker {} {}", it->second.service, pid, loft::describe_wait_status(status));
        retiring_.erase(it);
        return;
    }
    for (auto& [name, rs] : services_) {
        for (auto& slot : rs.slots) {
            if (slot.pid != pid)
                continue;
            slot.pid = 0;
            remove_worker_admin_socket(plan_.base_dir, name, pid);
            if (stopping_) {
                master_log().debugf("service {}: worker {} {}", name, pid, loft::describe_wait_status(status));
                return;
            }
            auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - slot.started);
            auto delay = slot.backoff.on_exit(uptime);
            slot.restart_at = Clock::now() + delay;
            master_log().errorf("service {}: worker {} {} unexpectedly; restarting it in {}", name, pid,
                                loft::describe_wait_status(status), seconds_text(delay));
            return;
        }
    }
}

void Master::run_due_restarts() {
    auto now = Clock::now();
    for (auto& [name, rs] : services_)
        for (size_t i = 0; i < rs.slots.size(); ++i)
            if (rs.slots[i].pid == 0 && rs.slots[i].restart_at && *rs.slots[i].restart_at <= now)
                start_slot(rs, i);
}

void Master::kill_overdue() {
    auto now = Clock::now();
    for (auto& [pid, r] : retiring_) {
        if (!r.killed && r.deadline <= now) {
            master_log().warningf("service {}: worker {} did not stop within {}s; killing it", r.service, pid,
                                  kShutdownTimeout.count());
            if (::kill(-pid, SIGKILL) != 0)
                ::kill(pid, SIGKILL);
            r.killed = true;
        }
    }
}

void Master::forward(int sig) {
    for (auto& [name, rs] : services_)
        for (auto& slot : rs.slots)
            if (slot.pid > 0)
                ::kill(slot.pid, sig);
    for (auto& [pid, r] : retiring_)
        ::kill(pid, sig);
}

timespec Master::next_timeout() const {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (const auto& [name, rs] : services_)
        for (const auto& slot : rs.slots)
            if (slot.pid == 0 && slot.restart_at && *slot.restart_at < next)
                next = *slot.restart_at;
    for (const auto& [pid, r] : retiring_)
        if (!r.killed && r.deadline < next)
            next = r.deadline;
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - now);
    if (wait.count() < 1000000)
        wait = std::chrono::nanoseconds(1000000);
    return timespec{static_cast<time_t>(wait.count() / 1000000000), static_cast<long>(wait.count() % 1000000000)};
}

void Master::log_protocol_notes(const Plan& plan) {
    for (const auto& p : plan.protocols)
        if (!p.served)
            master_log().infof("{}: {}", p.protocol, p.note);
}

// Things that are allowed but probably not what the admin meant.
void Master::log_plan_advice(const mailstore::config::Config& config, const Plan& plan) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (const auto& sp : plan.services)
        if (sp.process_limit > 16 * cores)
            master_log().warningf("service {}: process_limit = {} starts that many workers on {} cores; a Loft "
                                  "worker serves up to client_limit connections, so a few per core suffice "
                                  "(in Dovecot process_limit was only a maximum)",
                                  sp.service, sp.process_limit, cores);
    if (!env_.running_as_root && global_is_set(config, "mail_uid")) {
        std::string wanted = config.get("mail_uid");
        auto account = loft::lookup_user(wanted);
        if (!account || account->uid != ::geteuid())
            master_log().infof("loftd is not running as root: workers run as uid {}, not mail_uid = {}",
                               ::geteuid(), wanted);
    }
}

void Master::reload() {
    master_log().infof("SIGHUP: reloading {}", source_.describe());
    auto loaded = source_.load();
    if (!loaded) {
        master_log().errorf("reload failed, keeping the running configuration: {}", loaded.status().message());
        return;
    }
    auto plan = make_plan(loaded->config, env_);
    if (!plan) {
        master_log().errorf("reload failed, keeping the running configuration: {}", plan.status().message());
        return;
    }
    if (plan->base_dir != plan_.base_dir) {
        master_log().warningf("base_dir changed to {}; loftd keeps {} (pid file, sockets) until it restarts",
                              plan->base_dir, plan_.base_dir);
    }
    if (plan->base_dir != plan_.base_dir)
        plan->base_dir = plan_.base_dir;
    if (Status st = prepare_runtime_dir(*plan, false); !st) {
        master_log().errorf("reload failed, keeping the running configuration: {}", st.message());
        return;
    }
    Pool pool = pool_;
    auto sockets = bind_sockets(*plan, pool);
    if (!sockets) {
        master_log().errorf("reload failed, keeping the running configuration: {}", sockets.status().message());
        return;
    }
    // The workers re-read their -c file on SIGHUP: it must hold the new
    // configuration before any of them is signalled or started.
    if (Status st = write_worker_config(loaded->config, *plan); !st) {
        close_pool(pool, &pool_);
        master_log().errorf("reload failed, keeping the running configuration: {}", st.message());
        return;
    }
    if (Status st = apply_log_settings(loaded->config); !st)
        master_log().errorf("log settings: {}", st.message());
    for (const auto& w : loaded->config.warnings())
        if (!source_.is_builtin())
            master_log().warningf("{}: {}", w.where.to_string(), w.message);

    loaded_ = std::move(*loaded);
    std::set<std::string> wanted;
    for (const auto& sp : plan->services)
        wanted.insert(sp.service);

    // Services that are gone: their workers finish and exit.
    for (auto it = services_.begin(); it != services_.end();) {
        if (wanted.count(it->first)) {
            ++it;
            continue;
        }
        master_log().infof("service {}: no longer configured; stopping its workers", it->first);
        for (auto& slot : it->second.slots)
            retire(slot.pid, it->first);
        it = services_.erase(it);
    }
    for (const auto& sp : plan->services) {
        auto& new_sockets = (*sockets)[sp.service];
        auto it = services_.find(sp.service);
        if (it != services_.end() && it->second.plan.same_workers_as(sp)) {
            // Same program and sockets: the workers reload in place and keep
            // their connections; only the number of workers may change.
            RunningService& rs = it->second;
            rs.plan = sp;
            rs.sockets = new_sockets;
            for (auto& slot : rs.slots)
                if (slot.pid > 0)
                    ::kill(slot.pid, SIGHUP);
            while (rs.slots.size() > sp.process_limit) {
                retire(rs.slots.back().pid, sp.service);
                rs.slots.pop_back();
            }
            start_all(rs);
            continue;
        }
        if (it != services_.end()) {
            // Something a running worker cannot pick up (program, user,
            // sockets): start a new generation, let the old one drain.
            master_log().infof("service {}: configuration changed; replacing its workers", sp.service);
            for (auto& slot : it->second.slots)
                retire(slot.pid, sp.service);
            services_.erase(it);
        } else {
            master_log().infof("service {}: starting {} worker{} of {}", sp.service, sp.process_limit,
                               sp.process_limit == 1 ? "" : "s", sp.binary);
        }
        RunningService rs{sp, new_sockets, {}};
        auto [pos, inserted] = services_.emplace(sp.service, std::move(rs));
        start_all(pos->second);
    }

    // Sockets nobody uses any more are closed here; draining workers keep
    // their own copies until they exit.
    for (auto it = pool.begin(); it != pool.end();) {
        bool in_use = false;
        for (auto& [name, rs] : services_)
            for (auto& s : rs.sockets)
                in_use = in_use || s.fd == it->second.fd;
        if (in_use) {
            ++it;
        } else {
            ::close(it->second.fd);
            it = pool.erase(it);
        }
    }
    pool_ = std::move(pool);
    plan_ = std::move(*plan);
    log_protocol_notes(plan_);
    log_plan_advice(loaded_->config, plan_);
    if (loaded_->builtin && loaded_->builtin->users_created)
        master_log().infof("created the demo user again; its password is in {}/demo-password",
                           loaded_->builtin->options.var_dir);
    master_log().info("configuration reloaded");
}

int Master::shutdown() {
    stopping_ = true;
    master_log().info("stopping: asking the workers to finish");
    for (auto& [name, rs] : services_)
        for (auto& slot : rs.slots)
            if (slot.pid > 0)
                retire(slot.pid, name);
    // Listeners are closed at once so no new connection waits in a queue
    // nobody will accept from.
    close_pool(pool_, nullptr);
    auto deadline = Clock::now() + kShutdownTimeout;
    bool killed = false;
    while (!retiring_.empty()) {
        auto now = Clock::now();
        if (now >= deadline + std::chrono::seconds(5))
            break; // something unkillable; do not hang forever
        if (now >= deadline && !killed) {
            kill_overdue();
            killed = true;
        }
        timespec ts{0, 200 * 1000 * 1000};
        siginfo_t info{};
        int sig = ::sigtimedwait(&signals_, &info, &ts);
        if ((sig == SIGTERM || sig == SIGINT) && !killed) {
            master_log().warning("second stop signal: killing the workers now");
            for (auto& [pid, r] : retiring_)
                r.deadline = Clock::now();
            kill_overdue();
            killed = true;
        }
        reap_children();
    }
    if (pidfile_)
        pidfile_->remove();
    master_log().info("stopped");
    log::flush();
    return 0;
}

int Master::run() {
    // Signals are taken synchronously with sigtimedwait(): no handler runs
    // in the middle of a fork or a map update. Workers get a clean mask.
    sigemptyset(&signals_);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGQUIT})
        sigaddset(&signals_, sig);
    sigprocmask(SIG_BLOCK, &signals_, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    auto loaded = source_.load();
    if (!loaded) {
        master_log().fatal(loaded.status().message());
        return 1;
    }
    auto plan = make_plan(loaded->config, env_);
    if (!plan) {
        master_log().fatal(plan.status().message());
        return 1;
    }
    {
        std::error_code ec;
        std::filesystem::create_directories(plan->base_dir, ec);
        if (ec) {
            master_log().fatal("cannot create base_dir " + plan->base_dir + ": " + ec.message());
            return 1;
        }
    }
    auto pidfile = loft::PidFile::acquire(plan->base_dir + "/master.pid", "loftd");
    if (!pidfile) {
        master_log().fatal(pidfile.status().message());
        return 1;
    }
    pidfile_.emplace(std::move(*pidfile));
    if (Status st = apply_log_settings(loaded->config); !st) {
        master_log().fatal(st.message());
        return 1;
    }
    if (!source_.is_builtin())
        for (const auto& w : loaded->config.warnings())
            master_log().warningf("{}: {}", w.where.to_string(), w.message);

    if (Status st = prepare_runtime_dir(*plan, true); !st) {
        master_log().fatal(st.message());
        return 1;
    }
    if (Status st = write_worker_config(loaded->config, *plan); !st) {
        master_log().fatal(st.message());
        return 1;
    }
    auto sockets = bind_sockets(*plan, pool_);
    if (!sockets) {
        master_log().fatal(sockets.status().message());
        return 1;
    }
    loaded_ = std::move(*loaded);
    plan_ = std::move(*plan);
    for (const auto& sp : plan_.services) {
        auto [pos, inserted] = services_.emplace(sp.service, RunningService{sp, (*sockets)[sp.service], {}});
        start_all(pos->second);
    }

    BannerInput banner;
    banner.config_description = source_.describe();
    banner.builtin = loaded_->builtin ? &*loaded_->builtin : nullptr;
    banner.protocols = plan_.protocols;
    for (const auto& [name, rs] : services_)
        banner.served.push_back({&rs.plan, rs.sockets});
    banner.pid_file = pidfile_->path();
    std::string text = banner_text(banner);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    if (!source_.is_builtin())
        log_protocol_notes(plan_);
    log_plan_advice(loaded_->config, plan_);
    master_log().infof("loftd {} started with {} (pid {})", LOFT_VERSION, source_.describe(), ::getpid());

    for (;;) {
        timespec timeout = next_timeout();
        siginfo_t info{};
        int sig = ::sigtimedwait(&signals_, &info, &timeout);
        switch (sig) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            master_log().infof("{} received", sigabbrev_np(sig) ? std::string("SIG") + sigabbrev_np(sig) : "signal");
            return shutdown();
        case SIGHUP:
            reload();
            break;
        case SIGUSR1:
            log::reopen();
            forward(SIGUSR1);
            break;
        default:
            break;
        }
        reap_children();
        kill_overdue();
        run_due_restarts();
    }
}

} // namespace

int run_master(const ConfigSource& source, const std::string& self_path) {
    Master master(source, self_path);
    return master.run();
}

} // namespace loftd
