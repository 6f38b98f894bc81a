// On-disk formats of loft.index (snapshot) and the header of loft.index.log
// (docs/index-format.md). Everything read is checked against bounds and an
// XXH64 checksum before it is used.
#pragma once

#include "index/state_impl.hpp"

#include <string>

namespace mailstore::index::detail {

inline constexpr std::size_t log_header_size = 40;
inline constexpr std::size_t log_record_header = 24;          // u32 length u32 0 u64 xxh64 u64 modseq
inline constexpr std::size_t log_record_max = 256u << 20;     // one commit (a rebuild of a huge mailbox)
inline constexpr std::uint32_t log_flag_initial = 1;          // the log starts from an empty index
inline constexpr std::size_t snapshot_header_size = 112;
inline constexpr std::size_t snapshot_record_size = 64;
inline constexpr std::uint64_t snapshot_max = 1ull << 32;

struct LogHeader {
    std::uint64_t seq = 0;
    std::uint64_t cache_id = 0;
    std::uint64_t base_modseq = 0;
    std::uint32_t flags = 0;
};

std::string encode_log_header(const LogHeader& h);
bool decode_log_header(std::string_view bytes, LogHeader& h, std::string& why);
// One log record holding `ops` (changes made with `modseq`, 0 = none).
std::string encode_log_record(ModSeq modseq, const std::vector<Op>& ops);

std::string encode_snapshot(const IndexState::Impl& state);
// Decodes a whole snapshot file; false with `why` when it is not valid.
bool decode_snapshot(const void* data, std::size_t size, IndexState::Impl& out, std::string& why);
// Reads `path` through mmap. Returns false with why="" when it is missing.
bool read_snapshot(const std::string& path, IndexState::Impl& out, std::string& why);
// Writes path.tmp, fsyncs it (unless `never`) and renames it over `path`.
Status write_snapshot(const std::string& path, const IndexState::Impl& state, FsyncMode fsync);

// Writes all of `data` at `offset` (retrying short writes and EINTR); false
// with errno set on failure.
bool pwrite_all(int fd, const std::string& data, std::uint64_t offset);

} // namespace mailstore::index::detail
