// The pid file of a long-running process (loftd's base_dir/master.pid).
//
// The file is both a record and a lock: the running instance holds an
// exclusive flock() on it for its whole life, so "is it running?" is answered
// by the lock, not by guessing whether a recorded pid still belongs to us (a
// stale pid may have been reused by an unrelated process after a crash).
#pragma once

#include <mailstore/status.hpp>

#include <optional>
#include <string>
#include <sys/types.h>

namespace loft {

class PidFile {
public:
    // Create or take over `path` for the calling process: lock it, write
    // getpid(). Fails with already_exists ("already running (pid N)") when
    // another live process holds it; a stale file is replaced. The directory
    // must exist. `program` names the process in the message ("loftd").
    static mailstore::Result<PidFile> acquire(const std::string& path, const std::string& program);

    PidFile(PidFile&& other) noexcept;
    PidFile& operator=(PidFile&& other) noexcept;
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;
    // Removes the file (if still ours) and releases the lock.
    ~PidFile();

    const std::string& path() const { return path_; }
    // Remove the file now (idempotent).
    void remove();

private:
    PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

// The pid of the live process that holds the pid file at `path`, or nullopt
// when the file is missing, unlocked (stale) or unreadable.
std::optional<pid_t> running_pid(const std::string& path);

// The number written in a pid file's text, or nullopt if it is not one.
std::optional<pid_t> parse_pid(const std::string& text);

} // namespace loft
