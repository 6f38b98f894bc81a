// ChangeWatcher: one inotify instance per process (the kernel allows only a
// few per user), with a polling thread as the fallback when inotify cannot
// be had or runs out of watches. fd() is an epoll descriptor over the
// inotify fd and an eventfd the polling thread signals, so an event loop
// needs just one fd.
//
// watch() and a Handle's release touch the filesystem (stat,
// inotify_add_watch, inotify_rm_watch): daemons call them on their blocking
// pool. dispatch() only reads the ready fds and is safe on an event loop.
//
// LOFT_STORAGE_FORCE_POLL=1 in the environment (read once, at first use)
// forces the polling fallback; the tests use it.
#include <mailstore/log.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace mailstore::storage {

namespace {

constexpr std::uint32_t watch_mask =
    IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE;

// A regular file (the index log) is watched through its directory: the
// file may be replaced by rename, and a directory watch also reports writes
// to the files in it.
std::string watched_path(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return path;
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string poll_stamp(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return "-";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
           std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

} // namespace

class ChangeWatcher::Impl {
public:
    Impl();
    ~Impl();
    std::uint64_t watch(const std::vector<std::string>& paths, std::function<void()> callback);
    void unwatch(std::uint64_t id);
    void dispatch();
    int fd() const { return epoll_fd_; }

private:
    struct Entry {
        std::vector<std::string> paths; // as watched (directories)
        std::function<void()> callback;
        bool due = false;
    };
    struct PathWatch {
        int wd = -1;                  // inotify watch, -1 when polled
        std::set<std::uint64_t> ids;  // who watches it
        std::string stamp;            // polling: the last stat seen
    };

    void add_path(std::uint64_t id, const std::string& path);
    void start_polling();
    void poll_loop();
    void mark_due(const PathWatch& watch);

    std::mutex mutex_;
    std::map<std::uint64_t, Entry> entries_;
    std::map<std::string, PathWatch> paths_;
    std::map<int, std::string> wd_paths_;
    std::uint64_t next_id_ = 1;
    int epoll_fd_ = -1;
    int inotify_fd_ = -1;
    int event_fd_ = -1;
    bool force_poll_ = false;
    bool polling_ = false;
    bool stop_ = false;
    std::condition_variable stop_cv_;
    std::thread poller_;
};

ChangeWatcher::Impl::Impl() {
    const char* force = std::getenv("LOFT_STORAGE_FORCE_POLL");
    force_poll_ = force && std::strcmp(force, "1") == 0;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ >= 0 && event_fd_ >= 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = event_fd_;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
    }
    if (!force_poll_) {
        inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (inotify_fd_ < 0) {
            log::write(log::Level::warning, log::Category::mail, "",
                       std::string("inotify_init1 failed (") + std::strerror(errno) +
                           "): mailbox changes are noticed by polling every second; raise "
                           "fs.inotify.max_user_instances");
        } else if (epoll_fd_ >= 0) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = inotify_fd_;
            epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, inotify_fd_, &ev);
        }
    }
}

ChangeWatcher::Impl::~Impl() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (poller_.joinable())
        poller_.join();
    for (int fd : {inotify_fd_, event_fd_, epoll_fd_})
        if (fd >= 0)
            close(fd);
}

void ChangeWatcher::Impl::start_polling() {
    if (polling_)
        return;
    polling_ = true;
    poller_ = std::thread([this] { poll_loop(); });
}

void ChangeWatcher::Impl::mark_due(const PathWatch& watch) {
    for (auto id : watch.ids) {
        auto it = entries_.find(id);
        if (it != entries_.end())
            it->second.due = true;
    }
}

void ChangeWatcher::Impl::poll_loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
        if (stop_)
            break;
        bool signal = false;
        for (auto& [path, watch] : paths_) {
            if (watch.wd >= 0)
                continue;
            std::string stamp = poll_stamp(path);
            if (stamp != watch.stamp) {
                watch.stamp = std::move(stamp);
                mark_due(watch);
                signal = true;
            }
        }
        if (signal && event_fd_ >= 0) {
            std::uint64_t one = 1;
            ssize_t n = write(event_fd_, &one, sizeof one);
            (void)n;
        }
    }
}

void ChangeWatcher::Impl::add_path(std::uint64_t id, const std::string& path) {
    auto [it, inserted] = paths_.try_emplace(path);
    PathWatch& watch = it->second;
    watch.ids.insert(id);
    if (!inserted)
        return; // a path shared by several mailboxes is watched once
    if (inotify_fd_ >= 0) {
        int wd = inotify_add_watch(inotify_fd_, path.c_str(), watch_mask);
        if (wd >= 0) {
            watch.wd = wd;
            wd_paths_[wd] = path;
            return;
        }
        if (errno == ENOSPC)
            log::write(log::Level::warning, log::Category::mail, "",
                       "inotify watches exhausted: polling " + path +
                           " every second; raise fs.inotify.max_user_watches");
    }
    watch.stamp = poll_stamp(path);
    start_polling();
}

std::uint64_t ChangeWatcher::Impl::watch(const std::vector<std::string>& paths, std::function<void()> callback) {
    // The stat()s that resolve the paths need no lock: every other session
    // of the process would wait for them behind the mutex.
    std::vector<std::string> resolved;
    resolved.reserve(paths.size());
    for (const auto& p : paths) {
        std::string w = watched_path(p);
        if (std::find(resolved.begin(), resolved.end(), w) == resolved.end())
            resolved.push_back(std::move(w));
    }
    std::lock_guard lock(mutex_);
    std::uint64_t id = next_id_++;
    Entry& entry = entries_[id];
    entry.callback = std::move(callback);
    for (const auto& w : resolved) {
        entry.paths.push_back(w);
        add_path(id, w);
    }
    return id;
}

void ChangeWatcher::Impl::unwatch(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end())
        return;
    for (const auto& p : it->second.paths) {
        auto pw = paths_.find(p);
        if (pw == paths_.end())
            continue;
        pw->second.ids.erase(id);
        if (!pw->second.ids.empty())
            continue;
        if (pw->second.wd >= 0) {
            inotify_rm_watch(inotify_fd_, pw->second.wd);
            wd_paths_.erase(pw->second.wd);
        }
        paths_.erase(pw);
    }
    entries_.erase(it);
}

void ChangeWatcher::Impl::dispatch() {
    std::vector<std::function<void()>> due;
    {
        std::lock_guard lock(mutex_);
        if (event_fd_ >= 0) {
            std::uint64_t count = 0;
            ssize_t n = read(event_fd_, &count, sizeof count);
            (void)n;
        }
        if (inotify_fd_ >= 0) {
            alignas(inotify_event) char buffer[8192];
            for (;;) {
                ssize_t n = read(inotify_fd_, buffer, sizeof buffer);
                if (n <= 0)
                    break;
                for (ssize_t off = 0; off + ssize_t(sizeof(inotify_event)) <= n;) {
                    auto* ev = reinterpret_cast<const inotify_event*>(buffer + off);
                    if (ev->mask & IN_Q_OVERFLOW) {
                        for (auto& [id, e] : entries_)
                            e.due = true;
                    } else if (auto w = wd_paths_.find(ev->wd); w != wd_paths_.end()) {
                        auto pw = paths_.find(w->second);
                        if (pw != paths_.end())
                            mark_due(pw->second);
                    }
                    off += ssize_t(sizeof(inotify_event)) + ssize_t(ev->len);
                }
            }
        }
        for (auto& [id, e] : entries_) {
            if (e.due) {
                e.due = false;
                due.push_back(e.callback);
            }
        }
    }
    // Outside the lock: a callback may watch or unwatch.
    for (auto& cb : due)
        if (cb)
            cb();
}

ChangeWatcher& ChangeWatcher::instance() {
    static ChangeWatcher watcher;
    return watcher;
}

ChangeWatcher::ChangeWatcher() : impl_(std::make_unique<Impl>()) {}
ChangeWatcher::~ChangeWatcher() = default;
int ChangeWatcher::fd() const { return impl_->fd(); }
void ChangeWatcher::dispatch() { impl_->dispatch(); }

ChangeWatcher::Handle::Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = 0; }

ChangeWatcher::Handle& ChangeWatcher::Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        if (id_)
            ChangeWatcher::instance().impl_->unwatch(id_);
        id_ = other.id_;
        other.id_ = 0;
    }
    return *this;
}

ChangeWatcher::Handle::~Handle() {
    if (id_)
        ChangeWatcher::instance().impl_->unwatch(id_);
}

ChangeWatcher::Handle ChangeWatcher::watch(const Mailbox& mailbox, std::function<void()> callback) {
    try {
        return Handle(impl_->watch(mailbox.watch_paths(), std::move(callback)));
    } catch (const std::exception&) {
        return Handle();
    }
}

ChangeWatcher::Handle ChangeWatcher::watch_paths(const std::vector<std::string>& paths,
                                                 std::function<void()> callback) {
    try {
        return Handle(impl_->watch(paths, std::move(callback)));
    } catch (const std::exception&) {
        return Handle();
    }
}

} // namespace mailstore::storage
