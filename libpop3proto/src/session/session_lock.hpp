// pop3_lock_session: one POP3 session per mailbox at a time. The lock is an
// OFD lock (F_OFD_SETLK) on a file in the mailbox's index directory, held
// for the session's life: the kernel drops it when the descriptor closes,
// also when the process is killed, so a stale file never blocks anyone.
#pragma once

#include <mailstore/status.hpp>

#include <string>

namespace pop3proto::detail {

class SessionLock {
public:
    SessionLock() = default;
    SessionLock(const SessionLock&) = delete;
    SessionLock& operator=(const SessionLock&) = delete;
    ~SessionLock();

    // Tries once, without waiting. temporary_failure when another session
    // holds it, io_error when the file cannot be opened.
    mailstore::Status try_lock(const std::string& path);
    bool held() const { return fd_ >= 0; }
    void release();

private:
    int fd_ = -1;
};

// The lock file's name in the mailbox's index directory.
inline constexpr const char* kSessionLockName = "loft-pop3-session.lock";

} // namespace pop3proto::detail
