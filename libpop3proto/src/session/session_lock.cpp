// pop3_lock_session's OFD lock (session_lock.hpp).
#include "session/session_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pop3proto::detail {

SessionLock::~SessionLock() { release(); }

void SessionLock::release() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

mailstore::Status SessionLock::try_lock(const std::string& path) {
    release();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return mailstore::Status::io("open(" + path + ") failed: " + std::strerror(errno));
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        const int err = errno;
        ::close(fd);
        if (err == EAGAIN || err == EACCES)
            return mailstore::Status::error(mailstore::Status::Code::temporary_failure,
                                            "Mailbox is locked by another POP3 session.");
        return mailstore::Status::io("fcntl(" + path + ", F_OFD_SETLK) failed: " + std::strerror(err));
    }
    fd_ = fd;
    return mailstore::Status::ok();
}

} // namespace pop3proto::detail
