// Small file-system helpers of the Maildir driver (maildir_backend.cpp).
#pragma once

#include <mailstore/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::storage::maildir {

// A Status for the failed system call `what` on `path` from errno
// (ENOENT -> not_found, EACCES/EPERM -> permission_denied, else io_error).
Status errno_status(const std::string& what, const std::string& path);
// mtime of `path` in nanoseconds since the epoch; -1 when it cannot be stat'ed.
std::int64_t mtime_ns(const std::string& path);
// Current wall-clock time in nanoseconds.
std::int64_t now_ns();
// Names in directory `dir` not starting with '.'; not_found when it is missing.
Result<std::vector<std::string>> list_dir(const std::string& dir);
// Like list_dir, for cur/ and new/: only names that are (or link to)
// regular files. A FIFO, socket, device or directory there is no message
// (opening a FIFO would block every sync behind the index lock); it is
// logged once per process and path.
Result<std::vector<std::string>> list_message_files(const std::string& dir);
// open(O_RDONLY) of a message file that never blocks: O_NONBLOCK, and
// anything but a regular file (symlinks are followed, as Dovecot does) is
// refused with errno EINVAL. -1 with errno set on failure.
int open_message_fd(const std::string& path);
// "PATH: not a regular file ..." for open_message_fd's EINVAL.
Status not_regular_status(const std::string& path);
// fsync of a directory (after renames into it).
Status fsync_dir(const std::string& dir);
// Sizes of a message file whose name carries no S=/W= (a Postfix-style
// delivery, a file dropped by hand), as Dovecot computes them: psize = the
// bytes of the (decompressed) message, vsize = psize plus one per LF without
// a CR before it. The file is read once (mapped; compressed files are
// decompressed within the limit of map_message_file).
struct FileSizes {
    std::uint64_t psize = 0;
    std::uint64_t vsize = 0;
};
Result<FileSizes> message_file_sizes(const std::string& path);
// The virtual size of message bytes (every line end counted as CRLF).
std::uint64_t virtual_size_of(std::string_view bytes);
// 16 random bytes as 32 lower-case hex digits (a new mailbox GUID).
std::string random_guid_hex();

} // namespace mailstore::storage::maildir
