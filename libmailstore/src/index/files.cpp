// Snapshot and log header encoding (see files.hpp).
#include "index/mapping_guard.hpp"
#include "index/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::index::detail {

namespace {
constexpr char log_magic[8] = {'L', 'O', 'F', 'T', 'L', 'O', 'G', '1'};
constexpr char snapshot_magic[8] = {'L', 'O', 'F', 'T', 'I', 'D', 'X', '1'};

} // namespace

bool pwrite_all(int fd, const std::string& data, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string encode_log_header(const LogHeader& h) {
    ByteWriter w;
    w.raw(log_magic, 8);
    w.u32(1);
    w.u32(h.flags);
    w.u64(h.seq);
    w.u64(h.cache_id);
    w.u64(h.base_modseq);
    return std::move(w.str());
}

bool decode_log_header(std::string_view bytes, LogHeader& out, std::string& why) {
    LogHeader h; // `out` is only changed when the header is valid
    if (bytes.size() < log_header_size) {
        why = "header cut short (" + std::to_string(bytes.size()) + " bytes)";
        return false;
    }
    if (std::memcmp(bytes.data(), log_magic, 8) != 0) {
        why = "bad magic";
        return false;
    }
    ByteReader r(bytes.substr(8));
    std::uint32_t version = r.u32();
    h.flags = r.u32();
    h.seq = r.u64();
    h.cache_id = r.u64();
    h.base_modseq = r.u64();
    if (version != 1) {
        why = "unknown version " + std::to_string(version);
        return false;
    }
    if (h.seq == 0 || h.seq > (1ull << 62) || (h.flags & ~log_flag_initial) != 0) {
        why = "impossible header values";
        return false;
    }
    out = h;
    return true;
}

std::string encode_log_record(ModSeq modseq, const std::vector<Op>& ops) {
    ByteWriter w;
    w.u32(0);
    w.u32(0);
    w.u64(0);
    w.u64(modseq);
    for (const auto& op : ops)
        encode_op(w, op);
    w.patch_u32(0, static_cast<std::uint32_t>(w.size()));
    w.patch_u64(8, xxh64(w.str().data(), w.size()));
    return std::move(w.str());
}

std::string encode_snapshot(const IndexState::Impl& st) {
    const auto& h = st.header;
    ByteWriter w;
    w.raw(snapshot_magic, 8);
    w.u32(1);
    w.u32(snapshot_record_size);
    w.u64(st.log_seq);
    w.u64(st.log_offset);
    w.u64(h.highest_modseq);
    w.u64(st.history_floor);
    w.u64(st.cache_id);
    w.u32(h.uidvalidity);
    w.u32(h.next_uid);
    w.u32(h.first_recent_uid);
    w.u32(st.total);
    w.raw(h.mailbox_guid.data(), 16);
    w.u32(static_cast<std::uint32_t>(h.keywords.size()));
    w.u32(static_cast<std::uint32_t>(h.driver_state.size()));
    w.u32(static_cast<std::uint32_t>(st.extra->size()));
    w.u32(static_cast<std::uint32_t>(st.expunged->size()));
    w.u64(0); // file size, patched below
    w.str().reserve(snapshot_header_size + std::size_t{st.total} * snapshot_record_size + 4096);
    for (const auto& chunk : st.chunks)
        for (const Record& r : chunk->records) {
            w.u32(r.uid);
            w.u8(r.flags);
            w.u8(0);
            w.u16(0);
            w.u64(r.keyword_bits);
            w.u64(r.modseq);
            w.u64(r.physical_size);
            w.u64(r.virtual_size);
            w.i64(r.received_date);
            w.i64(r.save_date);
            w.u64(r.cache_offset);
        }
    for (const auto& k : h.keywords) {
        w.u16(static_cast<std::uint16_t>(k.size()));
        w.bytes(k);
    }
    w.bytes(h.driver_state);
    for (const auto& [uid, ids] : *st.extra) {
        w.u32(uid);
        w.u16(static_cast<std::uint16_t>(ids.size()));
        for (auto id : ids)
            w.u32(id);
    }
    for (const auto& e : *st.expunged) {
        w.u32(e.first);
        w.u32(e.last);
        w.u64(e.modseq);
    }
    w.patch_u64(104, w.size() + 8);
    w.u64(xxh64(w.str().data(), w.size()));
    return std::move(w.str());
}

bool decode_snapshot(const void* data, std::size_t size, IndexState::Impl& st, std::string& why) {
    if (size < snapshot_header_size + 8) {
        why = "file cut short (" + std::to_string(size) + " bytes)";
        return false;
    }
    if (std::memcmp(data, snapshot_magic, 8) != 0) {
        why = "bad magic";
        return false;
    }
    std::uint64_t sum;
    std::memcpy(&sum, static_cast<const char*>(data) + size - 8, 8);
    if (xxh64(data, size - 8) != sum) {
        why = "bad checksum";
        return false;
    }
    ByteReader r(data, size - 8);
    r.bytes(8);
    std::uint32_t version = r.u32();
    std::uint32_t record_size = r.u32();
    if (version != 1 || record_size != snapshot_record_size) {
        why = "unknown version " + std::to_string(version) + " or record size " + std::to_string(record_size);
        return false;
    }
    auto& h = st.header;
    st.log_seq = r.u64();
    st.log_offset = r.u64();
    h.highest_modseq = r.u64();
    st.history_floor = r.u64();
    st.cache_id = r.u64();
    h.uidvalidity = r.u32();
    h.next_uid = r.u32();
    h.first_recent_uid = r.u32();
    std::uint32_t count = r.u32();
    auto guid = r.bytes(16);
    std::memcpy(h.mailbox_guid.data(), guid.data(), 16);
    std::uint32_t n_keywords = r.u32();
    std::uint32_t state_len = r.u32();
    std::uint32_t n_extra = r.u32();
    std::uint32_t n_expunge = r.u32();
    std::uint64_t file_size = r.u64();
    if (file_size != size) {
        why = "file size " + std::to_string(size) + " is not the recorded " + std::to_string(file_size);
        return false;
    }
    if (st.log_seq == 0 || st.log_seq > (1ull << 62) || st.log_offset < log_header_size || h.next_uid == 0 || n_keywords > max_keywords ||
        state_len > max_driver_state || n_expunge > expunge_history_max * 2 ||
        std::uint64_t{count} * snapshot_record_size > r.remaining() || n_extra > count) {
        why = "impossible header values";
        return false;
    }
    st.chunks.clear();
    std::shared_ptr<Chunk> chunk;
    Uid last = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        Record rec;
        rec.uid = r.u32();
        rec.flags = r.u8();
        r.u8();
        r.u16();
        rec.keyword_bits = r.u64();
        rec.modseq = r.u64();
        rec.physical_size = r.u64();
        rec.virtual_size = r.u64();
        rec.received_date = r.i64();
        rec.save_date = r.i64();
        rec.cache_offset = r.u64();
        if (rec.uid <= last || (rec.uid >= h.next_uid && h.next_uid != 0xffffffffu)) {
            why = "record " + std::to_string(i) + ": uid " + std::to_string(rec.uid) + " not above " +
                  std::to_string(last) + " or not below next uid " + std::to_string(h.next_uid);
            return false;
        }
        if ((rec.flags & ~storage::all_mail_flags) != 0 || rec.modseq > h.highest_modseq ||
            (n_keywords < 64 && (rec.keyword_bits >> n_keywords) != 0)) {
            why = "record " + std::to_string(i) + " (uid " + std::to_string(rec.uid) + "): impossible flags, keywords or modseq";
            return false;
        }
        last = rec.uid;
        if (!chunk || chunk->records.size() >= chunk_max) {
            if (chunk)
                st.chunks.push_back(std::move(chunk));
            chunk = std::make_shared<Chunk>();
            chunk->records.reserve(std::min<std::uint32_t>(chunk_max, count - i));
        }
        chunk->records.push_back(rec);
    }
    if (chunk)
        st.chunks.push_back(std::move(chunk));
    st.rebuild_starts();
    h.keywords.clear();
    for (std::uint32_t i = 0; i < n_keywords; ++i) {
        std::uint16_t n = r.u16();
        std::string k(r.bytes(n));
        if (!r.ok() || k.empty() || k.size() > max_keyword_length) {
            why = "keyword " + std::to_string(i) + " is malformed";
            return false;
        }
        h.keywords.push_back(std::move(k));
    }
    h.driver_state = std::string(r.bytes(state_len));
    auto extra = std::make_shared<ExtraKeywords>();
    Uid prev = 0;
    for (std::uint32_t i = 0; i < n_extra && r.ok(); ++i) {
        Uid uid = r.u32();
        std::uint16_t n = r.u16();
        std::vector<std::uint32_t> ids;
        for (std::uint16_t j = 0; j < n && r.ok(); ++j) {
            std::uint32_t id = r.u32();
            if (id < 64 || id >= n_keywords || (!ids.empty() && id <= ids.back())) {
                why = "extra keywords of uid " + std::to_string(uid) + " are malformed";
                return false;
            }
            ids.push_back(id);
        }
        if (uid <= prev || ids.empty() || n > max_keywords) {
            why = "extra keywords entry " + std::to_string(i) + " is malformed";
            return false;
        }
        prev = uid;
        (*extra)[uid] = std::move(ids);
    }
    st.extra = extra;
    auto expunged = std::make_shared<std::vector<ExpungeEntry>>();
    for (std::uint32_t i = 0; i < n_expunge && r.ok(); ++i) {
        ExpungeEntry e;
        e.first = r.u32();
        e.last = r.u32();
        e.modseq = r.u64();
        if (e.first == 0 || e.first > e.last || e.modseq > h.highest_modseq) {
            why = "expunge history entry " + std::to_string(i) + " is malformed";
            return false;
        }
        expunged->push_back(e);
    }
    st.expunged = expunged;
    if (!r.at_end()) {
        why = r.ok() ? "trailing bytes" : "file cut short";
        return false;
    }
    return true;
}

bool read_snapshot(const std::string& path, IndexState::Impl& out, std::string& why) {
    why.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            why = std::string("cannot open: ") + std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0 || static_cast<std::uint64_t>(st.st_size) > snapshot_max) {
        ::close(fd);
        why = "empty or oversized file";
        return false;
    }
    auto size = static_cast<std::size_t>(st.st_size);
    // Guarded: a snapshot truncated by someone while we decode it reads as
    // zeros (and fails its checksum) instead of killing the process.
    GuardedMapping map(fd, size);
    ::close(fd);
    if (map.address() == nullptr) {
        why = std::string("mmap: ") + std::strerror(map.error());
        return false;
    }
    return decode_snapshot(map.address(), size, out, why);
}

Status write_snapshot(const std::string& path, const IndexState::Impl& state, FsyncMode fsync) {
    std::string data = encode_snapshot(state);
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return Status::io("index: " + tmp + ": cannot create: " + std::strerror(errno));
    bool ok = pwrite_all(fd, data, 0) && (fsync == FsyncMode::never || ::fdatasync(fd) == 0);
    int err = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        if (ok)
            err = errno;
        ::unlink(tmp.c_str());
        return Status::io("index: " + tmp + ": cannot write: " + std::strerror(err));
    }
    return Status::ok();
}

} // namespace mailstore::index::detail
