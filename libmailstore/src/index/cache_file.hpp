// loft.index.cache: append-only field cache (docs/index-format.md, "Cache").
//
//   header  "LOFTCAC1" u32 version u32 0 u64 cache id         (24 bytes)
//   entry   u32 length u32 uid u64 field u64 prev u64 xxh64 value
//
// `field` is the offset of the entry defining the field's name (uid 0,
// field 0, value = the name), `prev` the previous entry of the same message
// (0 = none), xxh64 covers the whole entry with that field zeroed. A record's
// cache_offset points at its newest entry; following prev visits older ones.
//
// Reads go through a read-only mapping of the file (GuardedMapping, so a
// file truncated under us cannot kill the process): an entry is never
// rewritten once appended, so a mapping of the first N bytes stays valid
// while the file grows, and an entry past it maps the file again. A lookup
// costs no system call and no copy but the value returned; pread is the
// fallback when the mapping fails (the guard's table full).
#pragma once

#include "index/mail_index.hpp"
#include "index/mapping_guard.hpp"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mailstore::index::detail {

inline constexpr std::size_t cache_header_size = 24;
inline constexpr std::size_t cache_entry_header = 32;
inline constexpr std::size_t cache_value_max = 1 << 20;  // a bodystructure is a few hundred KB at most
inline constexpr std::size_t cache_field_name_max = 255;
inline constexpr std::size_t cache_chain_max = 256;      // entries followed per message

class CacheFile {
public:
    // A cache kept in memory (INDEX=MEMORY, read-only indexes).
    static std::shared_ptr<CacheFile> memory(std::uint64_t id);
    // The `problem` of open() for a cache written for another log (corrupt,
    // or a newer log's while that log is being renamed into place).
    static constexpr const char* id_mismatch = "cache id does not match the index";
    // Opens `path`; nullptr when missing or its header is not that of a cache
    // with id `expected_id` (`problem` then says why, "" when simply missing).
    static std::shared_ptr<CacheFile> open(const std::string& path, std::uint64_t expected_id, bool writable,
                                           std::string* problem);
    // Writes an empty cache with `id` as path.tmp and renames it over `path`.
    static Result<std::shared_ptr<CacheFile>> create(const std::string& path, std::uint64_t id, FsyncMode fsync,
                                                     const std::vector<std::pair<Uid, std::vector<std::pair<std::string, std::string>>>>* content,
                                                     std::vector<std::uint64_t>* offsets);
    ~CacheFile();
    CacheFile(const CacheFile&) = delete;
    CacheFile& operator=(const CacheFile&) = delete;

    std::uint64_t id() const { return id_; }
    const std::string& path() const { return path_; }
    std::uint64_t size() const;
    // Appends a value (the caller holds the index write lock); returns its offset.
    Result<std::uint64_t> append(Uid uid, std::string_view field, std::string_view value, std::uint64_t prev);
    // The newest value of `field` in the chain starting at `offset` for `uid`.
    std::optional<std::string> lookup(Uid uid, std::uint64_t offset, std::string_view field) const;
    // Every field's newest value in the chain (for compaction); false on a bad entry.
    bool collect(Uid uid, std::uint64_t offset, std::vector<std::pair<std::string, std::string>>& out) const;
    Status sync() const;

private:
    // One entry as read: `value` points into `buffer` (the entry copied
    // from the mapping `hold`, or read with pread).
    struct Entry {
        Uid uid = 0;
        std::uint64_t field = 0;
        std::uint64_t prev = 0;
        std::string_view value;
        std::shared_ptr<const GuardedMapping> hold;
        std::string buffer;
    };

    CacheFile() = default;
    bool read_at(std::uint64_t offset, std::size_t n, std::string& out) const;
    // A mapping of at least the first `end` bytes (mapping the file again
    // when it has grown past the current one); nullptr when the file is
    // shorter or cannot be mapped.
    std::shared_ptr<const GuardedMapping> mapping_to(std::uint64_t end) const;
    // Reads and checks one entry; false with `why` when it is not valid.
    bool read_entry(std::uint64_t offset, Entry& entry, std::string& why) const;
    std::optional<std::string> field_name(std::uint64_t def) const;
    // Whether the definition at `def` names `field` (without copying the
    // name); nullopt when `def` is not a valid definition.
    std::optional<bool> names_field(std::uint64_t def, std::string_view field) const;
    Result<std::uint64_t> write_entry(Uid uid, std::uint64_t field, std::uint64_t prev, std::string_view value);
    void report(const std::string& what) const;

    int fd_ = -1;
    std::string path_;
    std::uint64_t id_ = 0;
    mutable std::mutex mutex_;  // memory_ and the maps
    std::string memory_;        // the whole "file" when in memory
    bool in_memory_ = false;
    std::map<std::string, std::uint64_t, std::less<>> defs_;  // name -> definition offset (written by us)
    mutable std::map<std::uint64_t, std::string> names_;      // definition offset -> name (read)
    mutable bool reported_ = false;
    mutable std::shared_ptr<const GuardedMapping> mapping_; // the file's first mapping_->size() bytes
    mutable bool unmappable_ = false;                       // mmap failed once: pread from then on
};

} // namespace mailstore::index::detail
