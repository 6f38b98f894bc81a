#include "pidfile.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loft {

using mailstore::Result;
using mailstore::Status;

std::optional<pid_t> parse_pid(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos)
        return std::nullopt;
    size_t end = text.find_last_not_of(" \t\r\n") + 1;
    long value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + end, value);
    if (ec != std::errc() || ptr != text.data() + end || value <= 0 || value > 0x3fffffff)
        return std::nullopt;
    return static_cast<pid_t>(value);
}

namespace {

std::string read_all(int fd) {
    std::string text;
    char buf[64];
    off_t offset = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, offset);
        if (n <= 0)
            break;
        text.append(buf, static_cast<size_t>(n));
        offset += n;
        if (text.size() > 256)
            break;
    }
    return text;
}

} // namespace

std::optional<pid_t> running_pid(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::optional<pid_t> pid;
    // A shared lock succeeds only when nobody holds the exclusive one.
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        pid = parse_pid(read_all(fd));
    close(fd);
    return pid;
}

Result<PidFile> PidFile::acquire(const std::string& path, const std::string& program) {
    // O_CLOEXEC: the lock must not live on in workers exec'd by the owner.
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return Status::io("cannot open pid file " + path + ": " + std::strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        std::string text = read_all(fd);
        close(fd);
        if (err == EWOULDBLOCK) {
            auto pid = parse_pid(text);
            return Status::error(Status::Code::already_exists,
                program + " is already running" +
                (pid ? " (pid " + std::to_string(*pid) + ")" : std::string()) +
                "; its pid file is " + path);
        }
        return Status::io("cannot lock pid file " + path + ": " + std::strerror(err));
    }
    // Whatever was there is stale now: we hold the lock.
    std::string text = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        int err = errno;
        close(fd);
        return Status::io("cannot write pid file " + path + ": " + std::strerror(err));
    }
    fchmod(fd, 0644);
    return PidFile(path, fd);
}

PidFile::PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
    other.fd_ = -1;
}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::move(other.path_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

PidFile::~PidFile() { remove(); }

void PidFile::remove() {
    if (fd_ < 0)
        return;
    // Only unlink the file if it is still the one we locked (an admin may
    // have removed it and another instance created a new one since).
    struct stat by_fd {}, by_path {};
    if (fstat(fd_, &by_fd) == 0 && stat(path_.c_str(), &by_path) == 0 &&
        by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev)
        unlink(path_.c_str());
    close(fd_);
    fd_ = -1;
}

} // namespace loft
