// The in-memory copy of a passwd-file, re-read when it changes.
#include "auth/db/passwd_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::auth::passwd_file {
namespace {
std::atomic<long long> check_interval_ms{1000};
} // namespace

void set_check_interval(std::chrono::milliseconds interval) { check_interval_ms = interval.count(); }
std::chrono::milliseconds check_interval() { return std::chrono::milliseconds(check_interval_ms.load()); }

void CachedFile::forget(std::atomic<std::uint64_t>& generation) {
    // Users that were in the old contents are gone: results cached from
    // them must go too.
    if (data_) {
        data_.reset();
        generation.fetch_add(1);
    }
}

Result<std::shared_ptr<const Parsed>> CachedFile::get(const log::Logger& log, std::atomic<std::uint64_t>& generation) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (data_ && now - last_check_ < std::chrono::milliseconds(check_interval_ms.load()))
        return data_;
    struct stat st {};
    if (stat(path_.c_str(), &st) != 0) {
        int err = errno;
        forget(generation); // a file that comes back is loaded afresh
        if (err == ENOENT || err == ENOTDIR)
            return Status::not_found(path_ + ": " + std::strerror(err));
        return Status::io("stat(" + path_ + ") failed: " + std::strerror(err));
    }
    last_check_ = now;
    auto same = [](const Identity& id, const struct stat& s) {
        return id == Identity{s.st_dev, s.st_ino, s.st_size, static_cast<long long>(s.st_mtim.tv_sec),
                              s.st_mtim.tv_nsec};
    };
    if (data_ && same(identity_, st))
        return data_;

    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        forget(generation);
        if (err == ENOENT)
            return Status::not_found(path_ + ": " + std::strerror(err));
        return Status::io("open(" + path_ + ") failed: " + std::strerror(err));
    }
    std::string content;
    Status status;
    if (fstat(fd, &st) != 0) {
        status = Status::io("fstat(" + path_ + ") failed: " + std::strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        status = Status::io(path_ + ": not a regular file");
    } else if (static_cast<unsigned long long>(st.st_size) > max_file_size) {
        status = Status::io(path_ + ": larger than " + std::to_string(max_file_size) + " bytes");
    } else {
        content.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < content.size()) {
            ssize_t n = read(fd, content.data() + got, content.size() - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                status = Status::io("read(" + path_ + ") failed: " + std::strerror(errno));
                break;
            }
            if (n == 0)
                break; // shrank while reading: use what is there
            got += static_cast<std::size_t>(n);
        }
        content.resize(got);
    }
    close(fd);
    if (!status.is_ok()) {
        forget(generation);
        return status;
    }
    auto parsed = std::make_shared<Parsed>(parse(content));
    std::size_t logged = 0;
    for (const auto& p : parsed->problems) {
        if (logged++ == max_logged_problems) {
            log.warning(path_ + ": " + std::to_string(parsed->problems.size() - max_logged_problems) +
                        " more malformed lines skipped");
            break;
        }
        log.warning(path_ + ":" + std::to_string(p.line) + ": " + p.reason);
    }
    identity_ = Identity{st.st_dev, st.st_ino, st.st_size, static_cast<long long>(st.st_mtim.tv_sec),
                         st.st_mtim.tv_nsec};
    data_ = std::move(parsed);
    generation.fetch_add(1);
    return data_;
}

} // namespace mailstore::auth::passwd_file
