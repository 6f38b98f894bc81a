// zlib plugin compatibility: mail files may be gzip or bzip2 compressed
// (zlib_save = gz|bz2, zlib_save_level), detected by their magic bytes, so
// compressed and plain files coexist in one mailbox.
#pragma once

#include "storage/backend.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <string>
#include <string_view>

namespace mailstore::storage {

// The format of data starting with `head` (at least the first 4 bytes of a file).
MAILSTORE_INTERNAL_API CompressFormat detect_compression(std::string_view head);
// Compresses `data` (gz: a gzip member, as `gzip` writes; bz2: a bzip2 stream).
MAILSTORE_INTERNAL_API Result<std::string> compress(CompressFormat format, int level, std::string_view data);
// Decompresses a whole gzip or bzip2 file's bytes; `limit` bounds the output
// (io_error "decompressed size exceeds ..." beyond it).
MAILSTORE_INTERNAL_API Result<std::string> decompress(CompressFormat format, std::string_view data,
                                                      std::uint64_t limit = std::uint64_t(1) << 32);

} // namespace mailstore::storage
