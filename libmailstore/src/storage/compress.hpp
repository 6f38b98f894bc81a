// zlib plugin compatibility: mail files may be gzip or bzip2 compressed
// (zlib_save = gz|bz2, zlib_save_level), detected by their magic bytes, so
// compressed and plain files coexist in one mailbox.
#pragma once

#include "storage/backend.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::storage {

// The format of data starting with `head` (at least the first 4 bytes of a file).
MAILSTORE_INTERNAL_API CompressFormat detect_compression(std::string_view head);
// Compresses `data` (gz: a gzip member, as `gzip` writes; bz2: a bzip2 stream).
MAILSTORE_INTERNAL_API Result<std::string> compress(CompressFormat format, int level, std::string_view data);
// Compresses a stream a piece at a time, the same bytes compress() makes:
// write() and finish() hand compressed output to `sink` as it comes, so a
// message of any size needs only the codec's state and one 64 KiB chunk.
// format none passes the bytes through.
class MAILSTORE_INTERNAL_API StreamCompressor {
public:
    using Sink = std::function<Status(std::string_view)>;
    StreamCompressor(CompressFormat format, int level, Sink sink);
    ~StreamCompressor();
    StreamCompressor(const StreamCompressor&) = delete;
    StreamCompressor& operator=(const StreamCompressor&) = delete;
    Status write(std::string_view data);
    // Ends the stream (gzip trailer, bzip2 end of stream).
    Status finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Decompresses a whole gzip or bzip2 file's bytes; `limit` bounds the output
// (io_error "decompressed size exceeds ..." beyond it).
MAILSTORE_INTERNAL_API Result<std::string> decompress(CompressFormat format, std::string_view data,
                                                      std::uint64_t limit = std::uint64_t(1) << 32);

} // namespace mailstore::storage
