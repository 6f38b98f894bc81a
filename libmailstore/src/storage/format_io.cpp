#include "storage/format_io.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage {

Status errno_status(const std::string& path, std::string_view what, int err) {
    std::string msg = path + ": " + std::string(what) + ": " + std::strerror(err);
    if (err == ENOENT) return Status::not_found(std::move(msg));
    if (err == EACCES || err == EPERM || err == EROFS)
        return Status::error(Status::Code::permission_denied,
                             std::move(msg) + " (check the owner and mode of the mail directories)");
    return Status::io(std::move(msg));
}

Result<std::string> read_whole_file(const std::string& path, std::uint64_t max_size, std::uint64_t* inode,
                                    std::uint64_t* device) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status(path, "open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return errno_status(path, "fstat", err);
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_size) {
        ::close(fd);
        return Status::invalid(path + ": larger than " + std::to_string(max_size) +
                               " bytes; not a file this server wrote (remove or move it away)");
    }
    if (inode) *inode = st.st_ino;
    if (device) *device = st.st_dev;
    std::string data;
    try {
        data.resize(static_cast<std::size_t>(st.st_size));
    } catch (const std::bad_alloc&) {
        ::close(fd);
        return Status::io(path + ": out of memory reading " + std::to_string(st.st_size) + " bytes");
    }
    std::size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            return errno_status(path, "read", err);
        }
        if (n == 0) break; // shrank while reading: what we have is what there is
        got += static_cast<std::size_t>(n);
    }
    data.resize(got);
    ::close(fd);
    return data;
}

Status fsync_directory(const std::string& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status(dir, "open directory", errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    return rc == 0 ? Status::ok() : errno_status(dir, "fsync", err);
}

Status replace_file(const std::string& path, const std::string& tmp_path, std::string_view content,
                    index::FsyncMode fsync) {
    mode_t mode = 0600;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
    ::unlink(tmp_path.c_str()); // a leftover of a crashed writer (the caller holds the lock)
    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return errno_status(tmp_path, "create", errno);
    auto fail = [&](std::string_view what, int err) {
        ::close(fd);
        ::unlink(tmp_path.c_str());
        return errno_status(tmp_path, what, err);
    };
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("write", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    // The umask may have narrowed the mode given to open().
    if (::fchmod(fd, mode) != 0) return fail("fchmod", errno);
    if (fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) return fail("fdatasync", errno);
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp_path.c_str());
        return errno_status(tmp_path, "close", err);
    }
    if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp_path.c_str());
        return errno_status(path, "rename from " + tmp_path, err);
    }
    if (fsync == index::FsyncMode::always) {
        const auto slash = path.rfind('/');
        return fsync_directory(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)));
    }
    return Status::ok();
}

} // namespace mailstore::storage
