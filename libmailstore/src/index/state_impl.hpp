// The in-memory index state (IndexState::Impl), the builder that makes the
// next state copy-on-write, and the change operations that both a live
// WriteContext and log replay apply through the same code.
#pragma once

#include "index/codec.hpp"
#include "index/mail_index.hpp"

#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

namespace mailstore::index::detail {

class CacheFile;

// Records per chunk: a commit copies at most this many records per chunk it
// touches; 100,000 messages make ~100 chunks, so diffing two states visits
// only the few chunks whose identity changed.
inline constexpr std::uint32_t chunk_max = 1024;
// Bounds on what an index may hold (also bounds on what is read from disk).
inline constexpr std::uint32_t max_keywords = 4096;
inline constexpr std::size_t max_keyword_length = 255;
inline constexpr std::size_t max_driver_state = 64 * 1024;
inline constexpr std::size_t expunge_history_max = 8192; // ranges kept

struct Chunk {
    std::vector<Record> records;
};

struct ExpungeEntry {
    Uid first = 0;
    Uid last = 0;
    ModSeq modseq = 0;
};

using ExtraKeywords = std::map<Uid, std::vector<std::uint32_t>>;

} // namespace mailstore::index::detail

namespace mailstore::index {

class IndexState::Impl {
public:
    IndexHeader header;
    std::vector<std::shared_ptr<const detail::Chunk>> chunks;
    std::vector<std::uint32_t> starts; // position of each chunk's first record
    std::uint32_t total = 0;
    std::shared_ptr<const detail::ExtraKeywords> extra = std::make_shared<detail::ExtraKeywords>();
    std::shared_ptr<const std::vector<detail::ExpungeEntry>> expunged =
        std::make_shared<std::vector<detail::ExpungeEntry>>();
    // expunged_since(m) is answerable only for m >= history_floor.
    ModSeq history_floor = 0;
    // The log position this state reflects.
    std::uint64_t log_seq = 0;
    std::uint64_t log_offset = 0;
    // The cache file cache_offset values point into (null: none/unusable).
    std::shared_ptr<detail::CacheFile> cache;
    std::uint64_t cache_id = 0;

    // Chunk index holding `uid` or the first chunk with larger uids.
    std::uint32_t chunk_for(Uid uid) const;
    void rebuild_starts(std::size_t from = 0);
};

} // namespace mailstore::index

namespace mailstore::index::detail {

enum class OpType : std::uint8_t {
    append = 1,
    set_flags = 2,
    expunge = 3,
    set_sizes = 4,
    keyword = 5,
    uidvalidity = 6,
    next_uid = 7,
    first_recent = 8,
    guid = 9,
    driver_state = 10,
    raise_modseq = 11,
    cache_offset = 12,
    reset = 13,
    rotated = 14, // last record of a rotated log: value = the next log's sequence
};

struct Op {
    OpType type = OpType::append;
    Record record;                    // append: everything but modseq; others: uid (+fields used)
    std::vector<std::uint32_t> extra; // keyword ids >= 64 (append, set_flags)
    std::uint64_t value = 0;          // uidvalidity, next uid, first recent, modseq, keyword id, offset
    std::string text;                 // keyword name, driver state
    std::array<std::uint8_t, 16> guid{};
};

void encode_op(ByteWriter& out, const Op& op);
// Decodes one op; false on bytes that do not form a valid op.
bool decode_op(ByteReader& in, Op& op);
// "append uid=5 flags=..." for dump().
std::string describe_op(const Op& op);

// Makes the next state from `base`: chunks are shared until first touched,
// then copied once (chunks this builder made are changed in place).
class StateBuilder {
public:
    explicit StateBuilder(const IndexState::Impl& base);
    // Applies `op` as part of a commit whose changes get `modseq` (0 for
    // replay of a record that changed no message). Fails, changing nothing,
    // on an op that does not fit the state (a corrupt log, a caller bug):
    // the message says what was wrong.
    Status apply(const Op& op, ModSeq modseq);
    IndexState::Impl& impl() { return *impl_; }
    const std::shared_ptr<IndexState::Impl>& shared() const { return impl_; }
    // Id of a keyword (case-insensitive), or nullopt.
    std::optional<std::uint32_t> find_keyword(std::string_view name) const;

private:
    Chunk& mutable_chunk(std::uint32_t i);
    Status set_keywords(Record& rec, Uid uid, const std::vector<std::uint32_t>& ids, bool* changed);
    std::vector<std::uint32_t> extra_of(Uid uid) const;
    void set_extra(Uid uid, std::vector<std::uint32_t> ids);
    void add_expunge(Uid uid, ModSeq modseq);
    std::shared_ptr<IndexState::Impl> impl_;
    std::unordered_set<const Chunk*> owned_;
    bool extra_owned_ = false;
    bool expunged_owned_ = false;
};

// Splits keyword ids into the bits of ids < 64 and the sorted, unique ids >= 64.
void split_keywords(const std::vector<std::uint32_t>& ids, std::uint64_t& bits, std::vector<std::uint32_t>& extra);

// Current time in microseconds since the epoch (a fresh index's first modseq).
MAILSTORE_INTERNAL_API ModSeq time_modseq();

} // namespace mailstore::index::detail
