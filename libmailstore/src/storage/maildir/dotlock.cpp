// Dovecot-compatible dotlocks. Dovecot 2.3.19 (strace of doveadm save):
//   openat("…/dovecot-uidlist.lock", O_RDWR|O_CREAT|O_EXCL, 0666)
//   write(fd, "20175:vm", 8)        pid ':' hostname, no newline
//   … unlink("…/dovecot-uidlist.lock")
// A lock is stale when its mtime is older than stale_after, when it names a
// pid of this host that no longer exists, or when it is empty and a few
// seconds old. Ours is created by link() from a temporary file that already
// holds "pid:host", so it is never seen empty.
#include "storage/maildir/uidlist.hpp"

#include "storage/format_io.hpp"

#include <mailstore/log.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage::maildir {
namespace {

// Seconds after which an empty lock file is taken as abandoned.
constexpr std::time_t kEmptyLockGrace = 5;

std::string this_hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

// The lock's content, at most 256 bytes ("" when unreadable).
std::string read_lock(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// True when `content` is "<pid>:<host>" of this host and the pid is gone.
bool owner_is_dead(const std::string& content, const std::string& host) {
    const auto colon = content.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 10) return false;
    std::string owner_host = content.substr(colon + 1);
    while (!owner_host.empty() && (owner_host.back() == '\n' || owner_host.back() == '\r')) owner_host.pop_back();
    if (owner_host != host) return false;
    long pid = 0;
    for (std::size_t i = 0; i < colon; ++i) {
        if (content[i] < '0' || content[i] > '9') return false;
        pid = pid * 10 + (content[i] - '0');
    }
    if (pid <= 0 || pid > 0x3fffffff) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

} // namespace

Dotlock::Dotlock(Dotlock&& other) noexcept
    : lock_path_(std::move(other.lock_path_)), inode_(other.inode_), device_(other.device_) {
    other.lock_path_.clear();
}

Dotlock& Dotlock::operator=(Dotlock&& other) noexcept {
    if (this != &other) {
        release();
        lock_path_ = std::move(other.lock_path_);
        inode_ = other.inode_;
        device_ = other.device_;
        other.lock_path_.clear();
    }
    return *this;
}

Dotlock::~Dotlock() { release(); }

void Dotlock::release() {
    if (lock_path_.empty()) return;
    // Ours when it is the same inode and still holds our "pid:host" (a
    // file system may give a replacement the freed inode number).
    struct stat st {};
    if (::stat(lock_path_.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_ &&
        read_lock(lock_path_) == std::to_string(::getpid()) + ":" + this_hostname()) {
        ::unlink(lock_path_.c_str());
    } else {
        log::write(log::Level::warning, log::Category::mail, "",
                   lock_path_ + ": our lock was removed or replaced by another process while we held it "
                                "(it was considered stale); not removing it");
    }
    lock_path_.clear();
}

Result<Dotlock> Dotlock::acquire(const std::string& path, std::chrono::milliseconds timeout,
                                 std::chrono::seconds stale_after) {
    const std::string lock_path = path + ".lock";
    const std::string host = this_hostname();
    const std::string content = std::to_string(::getpid()) + ":" + host;
    // Unique per process and per call: threads of one process may race for
    // the same lock.
    static std::atomic<unsigned> serial{0};
    const std::string temp_path =
        lock_path + "." + std::to_string(::getpid()) + "." + std::to_string(serial.fetch_add(1)) + ".tmp";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto wait = std::chrono::milliseconds(5);
    std::string holder;
    while (true) {
        // The lock appears with its content already in it: written to a
        // private temporary file, then link()ed to the lock name (which
        // fails with EEXIST atomically). A process killed half-way leaves at
        // most its temporary file, never an empty lock nobody can judge.
        const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) return errno_status(temp_path, "create", errno);
        struct stat mine {};
        const bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                             ::fstat(fd, &mine) == 0;
        int err = errno;
        ::close(fd);
        if (!written) {
            ::unlink(temp_path.c_str());
            return errno_status(temp_path, "write", err);
        }
        const bool linked = ::link(temp_path.c_str(), lock_path.c_str()) == 0;
        err = errno;
        ::unlink(temp_path.c_str());
        if (linked) {
            Dotlock lock;
            lock.lock_path_ = lock_path;
            lock.inode_ = mine.st_ino;
            lock.device_ = mine.st_dev;
            return lock;
        }
        if (err != EEXIST) return errno_status(lock_path, "create", err);
        struct stat st {};
        if (::stat(lock_path.c_str(), &st) != 0) continue; // just released: try again at once
        holder = read_lock(lock_path);
        const std::time_t age = std::time(nullptr) - st.st_mtime;
        const bool too_old = age > static_cast<std::time_t>(stale_after.count());
        // Dovecot creates its lock empty and writes "pid:host" right after:
        // an empty lock a few seconds old was left by a writer killed in
        // between.
        const bool empty_and_old = holder.empty() && st.st_size == 0 && age > kEmptyLockGrace;
        if (too_old || empty_and_old || owner_is_dead(holder, host)) {
            // Remove it only if it is still the file we looked at.
            struct stat again {};
            if (::stat(lock_path.c_str(), &again) == 0 && again.st_ino == st.st_ino && again.st_dev == st.st_dev) {
                log::write(log::Level::warning, log::Category::mail, "",
                           lock_path + ": breaking a stale lock (" +
                               (too_old         ? "older than " + std::to_string(stale_after.count()) + " s"
                                : empty_and_old ? std::string("empty and older than ") +
                                                      std::to_string(kEmptyLockGrace) + " s"
                                                : std::string("its process is gone")) +
                               ", held by '" + log::escape_control(holder) + "')");
                ::unlink(lock_path.c_str());
            }
            continue;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            const auto colon = holder.find(':');
            return Status::error(Status::Code::temporary_failure,
                                 lock_path + ": locked by pid " + (holder.empty() ? "?" : holder.substr(0, colon)) +
                                     (colon == std::string::npos ? "" : " on " + holder.substr(colon + 1)) +
                                     " (remove the file if that process no longer runs)");
        }
        std::this_thread::sleep_for(wait);
        if (wait < std::chrono::milliseconds(100)) wait *= 2;
    }
}

} // namespace mailstore::storage::maildir
