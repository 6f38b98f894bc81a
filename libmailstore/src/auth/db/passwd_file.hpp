// Dovecot's passwd-file format and an in-memory copy of one file that is
// re-read when the file changes.
//
//   user:password:uid:gid:gecos:home:shell:extra_fields
//
// Trailing fields may be left out. The extra fields are everything after
// the seventh ':' (so they may hold ':' themselves, as in
// userdb_mail=maildir:~/Maildir), split on spaces into key=value or bare
// keys. '#' starts a comment line; empty lines are skipped.
#pragma once

#include <mailstore/auth/fields.hpp>
#include <mailstore/export.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>
#include <vector>

namespace mailstore::auth::passwd_file {

// Bounds: a line longer than this is malformed (skipped); a file larger
// than max_file_size is not loaded (a lookup fails with internal_failure).
inline constexpr std::size_t max_line_length = 64 * 1024;
inline constexpr std::size_t max_file_size = 512u * 1024 * 1024;
// Warnings logged per load; the rest are counted in one summary line.
inline constexpr std::size_t max_logged_problems = 100;

struct Entry {
    std::string user;
    std::string password;
    std::string uid; // numeric (names are resolved while parsing); empty: not set
    std::string gid;
    std::string gecos;
    std::string home;
    std::string shell;
    FieldList extra;
};

struct Problem {
    std::size_t line = 0;
    std::string reason;
};

struct Parsed {
    std::vector<Entry> entries; // in file order
    std::unordered_map<std::string, std::uint32_t> index; // user -> position in entries
    std::vector<Problem> problems;

    const Entry* find(const std::string& user) const {
        auto it = index.find(user);
        return it == index.end() ? nullptr : &entries[it->second];
    }
};

// Parses a whole file. Malformed lines are skipped and listed in
// `problems` (1-based line numbers): an empty user name, a line over
// max_line_length, a NUL byte, a uid/gid that is neither a number nor a
// known user/group name, a user that appeared before (the first line wins,
// as in Dovecot).
MAILSTORE_INTERNAL_API Parsed parse(std::string_view content);

// A uid/gid field: digits (below 2^32-1), else a user/group name looked up
// with getpwnam/getgrnam. nullopt when neither.
MAILSTORE_INTERNAL_API std::optional<std::string> resolve_uid(std::string_view field);
MAILSTORE_INTERNAL_API std::optional<std::string> resolve_gid(std::string_view field);

// How often a file's stat() is checked for changes (default one second).
// Tests set zero so a rewrite is seen at once.
MAILSTORE_INTERNAL_API void set_check_interval(std::chrono::milliseconds interval);
MAILSTORE_INTERNAL_API std::chrono::milliseconds check_interval();

// One file, loaded on first use and re-read when its inode, size or mtime
// changes. Thread-safe.
class MAILSTORE_INTERNAL_API CachedFile {
public:
    explicit CachedFile(std::string path) : path_(std::move(path)) {}
    // The current contents. Code::not_found when the file does not exist,
    // io_error when it cannot be read or is too large. Each (re)load, and
    // losing a loaded file, bumps `generation`; each load logs every problem
    // as a warning "PATH:LINE: reason".
    Result<std::shared_ptr<const Parsed>> get(const log::Logger& log, std::atomic<std::uint64_t>& generation);
    const std::string& path() const { return path_; }

private:
    void forget(std::atomic<std::uint64_t>& generation);
    struct Identity {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        long long mtime_sec = 0;
        long mtime_nsec = 0;
        bool operator==(const Identity&) const = default;
    };
    std::mutex mutex_;
    std::string path_;
    std::shared_ptr<const Parsed> data_;
    Identity identity_;
    std::chrono::steady_clock::time_point last_check_{};
};

} // namespace mailstore::auth::passwd_file
