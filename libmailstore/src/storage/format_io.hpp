// File helpers shared by the small on-disk formats (uidlist, keywords,
// subscriptions): a bounded whole-file read and an atomic replace.
#pragma once

#include "index/mail_index.hpp"

#include <mailstore/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mailstore::storage {

// The whole file; not_found when missing, invalid_argument "PATH: larger
// than N bytes" beyond `max_size`. `inode`/`device` receive its identity.
Result<std::string> read_whole_file(const std::string& path, std::uint64_t max_size,
                                    std::uint64_t* inode = nullptr, std::uint64_t* device = nullptr);

// Replaces `path` with `content`: writes `tmp_path` (created O_EXCL after
// removing a leftover), fdatasyncs it unless `fsync` is never, renames it
// over `path`, and with `always` fsyncs the directory too. The new file
// keeps the old one's mode, else 0600. The temporary file is removed on
// every error path.
Status replace_file(const std::string& path, const std::string& tmp_path, std::string_view content,
                    index::FsyncMode fsync);

// fsync of the directory `dir` (after a rename into it).
Status fsync_directory(const std::string& dir);

// "PATH: what: strerror" for an errno failure.
Status errno_status(const std::string& path, std::string_view what, int err);

} // namespace mailstore::storage
