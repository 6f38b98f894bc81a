#include "master.hpp"

#include "banner.hpp"
#include "config_snapshot.hpp"
#include "pidfile.hpp"
#include "process.hpp"
#include "runtime_dir.hpp"
#include "service_plan.hpp"
#include "worker_log.hpp"

#include <mailstore/log.hpp>

#include <loft_build_config.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <map>
#include <memory>
#include <poll.h>
#include <set>
#include <sys/signalfd.h>
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
    // The resolved configuration its workers read (config_snapshot.hpp).
    std::shared_ptr<ConfigMemfd> config;
};

// A worker that is no longer restarted. A retired one (SIGUSR2: it closed
// its listeners and serves its connections to their end) has no deadline
// until loftd stops; a stopping one (SIGTERM) gets SIGKILL at its deadline.
struct Retiring {
    std::string service;
    std::optional<Clock::time_point> deadline;
    bool killed = false;
};

// The read end of a worker's stderr pipe: framed log lines
// (mailstore::log::write_forwarded), or whatever a crashing program prints.
struct LogPipe {
    std::string prefix; // for unframed lines: "imap-login<4711>"
    WorkerLogBuffer lines;
};

using MemfdsByGroup = std::map<std::optional<gid_t>, std::shared_ptr<ConfigMemfd>>;

class Master {
public:
    Master(const ConfigSource& source, const std::string& self_path)
        : source_(source), env_(default_environment(self_path)) {}

    int run();

private:
    using Pool = std::map<std::string, loft::BoundListener>;

    Status apply_log_settings(const mailstore::config::Config& config);
    Result<std::string> worker_config_text(const mailstore::config::Config& config);
    Result<std::shared_ptr<ConfigMemfd>> memfd_for(MemfdsByGroup& fresh, const ServicePlan& sp,
                                                   const std::string& text);
    Result<std::map<std::string, std::vector<loft::BoundListener>>> bind_sockets(const Plan& plan, Pool& pool);
    void start_slot(RunningService& rs, size_t index);
    void start_all(RunningService& rs);
    void retire(pid_t pid, const std::string& service);
    void terminate(pid_t pid, const std::string& service);
    std::vector<int> wait_events(timespec timeout);
    void read_log_pipe(int fd);
    void close_log_pipes();
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
    std::map<int, LogPipe> log_pipes_;
    bool stopping_ = false;
    sigset_t signals_{};
    int signal_fd_ = -1;
};

Status Master::apply_log_settings(const mailstore::config::Config& config) {
    return log::configure(log::settings_from_config(config));
}

// The resolved configuration the workers read (config_snapshot.hpp).
Result<std::string> Master::worker_config_text(const mailstore::config::Config& config) {
    return snapshot_text(config, source_.describe());
}

// The memfd for `sp`'s group among those made in this start or reload.
Result<std::shared_ptr<ConfigMemfd>> Master::memfd_for(MemfdsByGroup& fresh, const ServicePlan& sp,
                                                       const std::string& text) {
    auto group = snapshot_group(sp);
    if (auto it = fresh.find(group); it != fresh.end())
        return it->second;
    auto memfd = ConfigMemfd::create(group, text);
    if (!memfd)
        return memfd.status();
    fresh.emplace(group, *memfd);
    return *memfd;
}

Result<std::map<std::string, std::vector<loft::BoundListener>>> Master::bind_sockets(const Plan& plan, Pool& pool) {
    std::map<std::string, std::vector<loft::BoundListener>> per_service;
    Pool fresh; // bound by this call, closed again if a later bind fails
    std::map<std::string, std::string> claimed; // socket key -> listener id, within this plan
    for (const auto& sp : plan.services) {
        auto& out = per_service[sp.service];
        for (const auto& spec : sp.listeners) {
            // Bind address by address so each socket can be matched on reload.
            // A hostname becomes each of its addresses.
            std::vector<loft::ListenerSpec> singles;
            if (spec.kind == loft::ListenerSpec::Kind::unix_socket) {
                singles.push_back(spec);
            } else {
                std::set<std::string> seen; // "localhost, 127.0.0.1" binds 127.0.0.1 once
                for (const auto& configured : spec.addresses) {
                    loft::ListenerSpec written = spec;
                    written.addresses = {configured};
                    auto addresses = loft::resolve_listener_addresses(written);
                    if (!addresses) {
                        close_pool(fresh, nullptr);
                        return addresses.status();
                    }
                    for (const auto& address : *addresses) {
                        if (!seen.insert(address).second)
                            continue;
                        loft::ListenerSpec one = spec;
                        one.addresses = {address};
                        one.ipv6_optional = loft::ipv6_is_optional_for(configured);
                        singles.push_back(std::move(one));
                    }
                }
            }
            const std::size_t before = out.size();
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
            if (out.size() == before) {
                // Every address was skipped (IPv6 on a host without it).
                close_pool(fresh, nullptr);
                return Status::invalid("listener " + spec.id() + ": no address to listen on");
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
    // The config memfd follows the listeners (process.hpp).
    const int config_fd = 3 + static_cast<int>(rs.sockets.size());
    launch.args = {"-c", "/proc/self/fd/" + std::to_string(config_fd), "--service", rs.plan.service};
    launch.inherited_fds = {rs.config->fd()};
    launch.args.insert(launch.args.end(), rs.plan.args.begin(), rs.plan.args.end());
    launch.listeners = rs.sockets;
    launch.credentials = rs.plan.credentials;
    launch.open_files = open_files_for(rs.plan);
    if (!loft::kBuiltWithAddressSanitizer)
        launch.address_space_limit = rs.plan.vsz_limit;
    // The worker's stderr is a pipe to loftd, which writes its lines to
    // loftd's own logs: a worker that dropped root needs no log file.
    int log_pipe[2] = {-1, -1};
    if (::pipe2(log_pipe, O_CLOEXEC) == 0) {
        ::fcntl(log_pipe[0], F_SETFL, ::fcntl(log_pipe[0], F_GETFL) | O_NONBLOCK);
        launch.stderr_fd = log_pipe[1];
        launch.environment.push_back("LOFT_LOG_PIPE=1");
    } else {
        master_log().errorf("service {}: cannot make a log pipe ({}); the worker logs on its own",
                            rs.plan.service, std::strerror(errno));
    }
    auto pid = loft::spawn_worker(launch);
    if (log_pipe[1] >= 0)
        ::close(log_pipe[1]);
    if (log_pipe[0] >= 0) {
        if (pid)
            log_pipes_[log_pipe[0]] = LogPipe{rs.plan.service + "<" + std::to_string(*pid) + ">", WorkerLogBuffer()};
        else
            ::close(log_pipe[0]);
    }
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
    rs.slots.resize(rs.plan.workers);
    for (size_t i = 0; i < rs.slots.size(); ++i)
        if (rs.slots[i].pid == 0)
            start_slot(rs, i);
}

// SIGUSR2 the worker: it closes its listeners, serves its open connections
// to their end and exits. It is no longer restarted; when loftd stops, it
// gets SIGTERM like the rest.
void Master::retire(pid_t pid, const std::string& service) {
    if (pid <= 0)
        return;
    ::kill(pid, SIGUSR2);
    retiring_[pid] = Retiring{service, std::nullopt, false};
}

// SIGTERM the worker's process group; it finishes its connections and
// exits, and gets SIGKILL at the deadline.
void Master::terminate(pid_t pid, const std::string& service) {
    if (pid <= 0)
        return;
    if (::kill(-pid, SIGTERM) != 0)
        ::kill(pid, SIGTERM);
    auto& r = retiring_[pid];
    r.service = service;
    r.deadline = Clock::now() + kShutdownTimeout;
}

// Wait for a signal or a worker's log line until `timeout`; log lines are
// handled here, the signals returned.
std::vector<int> Master::wait_events(timespec timeout) {
    std::vector<pollfd> fds;
    fds.push_back({signal_fd_, POLLIN, 0});
    for (const auto& [fd, pipe] : log_pipes_)
        fds.push_back({fd, POLLIN, 0});
    int ms = static_cast<int>(timeout.tv_sec * 1000 + timeout.tv_nsec / 1000000);
    int n = ::poll(fds.data(), fds.size(), std::max(ms, 1));
    std::vector<int> signals;
    if (n <= 0)
        return signals;
    for (size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            read_log_pipe(fds[i].fd);
    if (fds[0].revents & POLLIN) {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            signals.push_back(static_cast<int>(info.ssi_signo));
    }
    return signals;
}

void Master::read_log_pipe(int fd) {
    auto it = log_pipes_.find(fd);
    if (it == log_pipes_.end())
        return;
    LogPipe& pipe = it->second;
    auto sink = [&pipe](std::string_view line) { log::write_forwarded(line, pipe.prefix); };
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            // The worker (and whatever it started) is gone.
            pipe.lines.finish(sink);
            ::close(fd);
            log_pipes_.erase(it);
            return;
        }
        pipe.lines.feed(std::string_view(buf, static_cast<size_t>(n)), sink);
    }
}

void Master::close_log_pipes() {
    while (!log_pipes_.empty()) {
        int fd = log_pipes_.begin()->first;
        read_log_pipe(fd);
        if (auto it = log_pipes_.find(fd); it != log_pipes_.end()) {
            // Still open: something the worker started holds it. Keep what
            // was read and stop listening.
            LogPipe& pipe = it->second;
            pipe.lines.finish([&pipe](std::string_view line) { log::write_forwarded(line, pipe.prefix); });
            ::close(fd);
            log_pipes_.erase(it);
        }
    }
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
        if (!r.killed && r.deadline && *r.deadline <= now) {
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
        if (!r.killed && r.deadline && *r.deadline < next)
            next = *r.deadline;
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
        if (sp.workers > 16 * cores)
            master_log().warningf("service {}: process_min_avail = {} starts that many workers on {} cores; a "
                                  "Loft worker serves up to client_limit connections, so a few per core suffice",
                                  sp.service, sp.workers, cores);
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
    auto text = worker_config_text(loaded->config);
    if (!text) {
        close_pool(pool, &pool_);
        master_log().errorf("reload failed, keeping the running configuration: {}", text.status().message());
        return;
    }
    // New generations get new memfds, made before anything is changed so a
    // failure keeps everything as it is.
    MemfdsByGroup fresh_memfds;
    std::map<std::string, std::shared_ptr<ConfigMemfd>> new_generation;
    for (const auto& sp : plan->services) {
        auto it = services_.find(sp.service);
        if (it != services_.end() && it->second.plan.same_workers_as(sp))
            continue;
        auto memfd = memfd_for(fresh_memfds, sp, *text);
        if (!memfd) {
            close_pool(pool, &pool_);
            master_log().errorf("reload failed, keeping the running configuration: {}", memfd.status().message());
            return;
        }
        new_generation[sp.service] = *memfd;
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
        master_log().infof("service {}: no longer configured; its workers finish their connections and exit",
                           it->first);
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
            // Their -c memfd gets the new text before they are signalled.
            RunningService& rs = it->second;
            rs.plan = sp;
            rs.sockets = new_sockets;
            if (Status st = rs.config->rewrite(*text); !st)
                master_log().errorf("service {}: {}", sp.service, st.message());
            for (auto& slot : rs.slots)
                if (slot.pid > 0)
                    ::kill(slot.pid, SIGHUP);
            while (rs.slots.size() > sp.workers) {
                retire(rs.slots.back().pid, sp.service);
                rs.slots.pop_back();
            }
            start_all(rs);
            continue;
        }
        if (it != services_.end()) {
            // Something a running worker cannot pick up (program, user,
            // sockets): start a new generation; the old one closes its
            // listeners and serves its connections to their end.
            master_log().infof("service {}: configuration changed; replacing its workers", sp.service);
            for (auto& slot : it->second.slots)
                retire(slot.pid, sp.service);
            services_.erase(it);
        } else {
            master_log().infof("service {}: starting {} worker{} of {}", sp.service, sp.workers,
                               sp.workers == 1 ? "" : "s", sp.binary);
        }
        RunningService rs{sp, new_sockets, {}, new_generation[sp.service]};
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
                terminate(slot.pid, name);
    // Earlier generations still serving their connections stop too.
    std::vector<std::pair<pid_t, std::string>> retired;
    for (const auto& [pid, r] : retiring_)
        if (!r.deadline)
            retired.emplace_back(pid, r.service);
    for (const auto& [pid, service] : retired)
        terminate(pid, service);
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
        for (int sig : wait_events(ts)) {
            if ((sig == SIGTERM || sig == SIGINT) && !killed) {
                master_log().warning("second stop signal: killing the workers now");
                for (auto& [pid, r] : retiring_)
                    r.deadline = Clock::now();
                kill_overdue();
                killed = true;
            }
            if (sig == SIGUSR1)
                log::reopen();
        }
        reap_children();
    }
    close_log_pipes();
    services_.clear();
    remove_snapshot_files(plan_.base_dir);
    if (pidfile_)
        pidfile_->remove();
    master_log().info("stopped");
    log::flush();
    return 0;
}

int Master::run() {
    // Signals are taken synchronously through a signalfd: no handler runs
    // in the middle of a fork or a map update. Workers get a clean mask.
    sigemptyset(&signals_);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGQUIT})
        sigaddset(&signals_, sig);
    sigprocmask(SIG_BLOCK, &signals_, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // Signals and the workers' log pipes are waited for together.
    signal_fd_ = ::signalfd(-1, &signals_, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd_ < 0) {
        master_log().fatal(std::string("signalfd: ") + std::strerror(errno));
        return 1;
    }

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
    // Earlier versions kept the resolved config (keys included) in a file.
    remove_snapshot_files(plan->base_dir);
    auto text = worker_config_text(loaded->config);
    if (!text) {
        master_log().fatal(text.status().message());
        return 1;
    }
    MemfdsByGroup memfds;
    std::map<std::string, std::shared_ptr<ConfigMemfd>> configs;
    for (const auto& sp : plan->services) {
        auto memfd = memfd_for(memfds, sp, *text);
        if (!memfd) {
            master_log().fatal(memfd.status().message());
            return 1;
        }
        configs[sp.service] = *memfd;
    }
    auto sockets = bind_sockets(*plan, pool_);
    if (!sockets) {
        master_log().fatal(sockets.status().message());
        return 1;
    }
    loaded_ = std::move(*loaded);
    plan_ = std::move(*plan);
    for (const auto& sp : plan_.services) {
        auto [pos, inserted] =
            services_.emplace(sp.service, RunningService{sp, (*sockets)[sp.service], {}, configs[sp.service]});
        start_all(pos->second);
    }

    BannerInput banner;
    banner.config_description = source_.describe();
    banner.builtin = loaded_->builtin ? &*loaded_->builtin : nullptr;
    banner.protocols = plan_.protocols;
    for (const auto& [name, rs] : services_)
        banner.served.push_back({&rs.plan, rs.sockets});
    banner.pid_file = pidfile_->path();
    std::string banner_out = banner_text(banner);
    std::fwrite(banner_out.data(), 1, banner_out.size(), stdout);
    std::fflush(stdout);
    if (!source_.is_builtin())
        log_protocol_notes(plan_);
    log_plan_advice(loaded_->config, plan_);
    master_log().infof("loftd {} started with {} (pid {})", LOFT_VERSION, source_.describe(), ::getpid());

    for (;;) {
        for (int sig : wait_events(next_timeout())) {
            switch (sig) {
            case SIGTERM:
            case SIGINT:
            case SIGQUIT:
                master_log().infof("{} received",
                                   sigabbrev_np(sig) ? std::string("SIG") + sigabbrev_np(sig) : "signal");
                return shutdown();
            case SIGHUP:
                reload();
                break;
            case SIGUSR1:
                // Workers log through loftd; reopening loftd's files is all
                // logrotate needs. They get the signal for anything else
                // they keep open.
                log::reopen();
                forward(SIGUSR1);
                break;
            default:
                break;
            }
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
