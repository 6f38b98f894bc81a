// The field cache file (see cache_file.hpp for the layout).
#include "index/cache_file.hpp"

#include "index/codec.hpp"
#include "index/files.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::index::detail {

namespace {
constexpr char cache_magic[8] = {'L', 'O', 'F', 'T', 'C', 'A', 'C', '1'};

std::string header_bytes(std::uint64_t id) {
    ByteWriter w;
    w.raw(cache_magic, 8);
    w.u32(1);
    w.u32(0);
    w.u64(id);
    return std::move(w.str());
}

std::string entry_bytes(Uid uid, std::uint64_t field, std::uint64_t prev, std::string_view value) {
    ByteWriter w;
    w.u32(static_cast<std::uint32_t>(cache_entry_header + value.size()));
    w.u32(uid);
    w.u64(field);
    w.u64(prev);
    w.u64(0);
    w.bytes(value);
    w.patch_u64(24, xxh64(w.str().data(), w.size()));
    return std::move(w.str());
}

} // namespace

std::shared_ptr<CacheFile> CacheFile::memory(std::uint64_t id) {
    std::shared_ptr<CacheFile> c(new CacheFile());
    c->in_memory_ = true;
    c->id_ = id;
    c->path_ = "MEMORY";
    c->memory_ = header_bytes(id);
    return c;
}

std::shared_ptr<CacheFile> CacheFile::open(const std::string& path, std::uint64_t expected_id, bool writable,
                                           std::string* problem) {
    problem->clear();
    int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0 && writable && errno == EACCES)
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            *problem = std::string("cannot open: ") + std::strerror(errno);
        return nullptr;
    }
    std::shared_ptr<CacheFile> c(new CacheFile());
    c->fd_ = fd;
    c->path_ = path;
    std::string head;
    if (!c->read_at(0, cache_header_size, head) || std::memcmp(head.data(), cache_magic, 8) != 0) {
        *problem = "bad magic";
        return nullptr;
    }
    ByteReader r(head);
    r.bytes(8);
    std::uint32_t version = r.u32();
    r.u32();
    c->id_ = r.u64();
    if (version != 1) {
        *problem = "unknown version " + std::to_string(version);
        return nullptr;
    }
    if (c->id_ != expected_id) {
        *problem = id_mismatch;
        return nullptr;
    }
    return c;
}

Result<std::shared_ptr<CacheFile>> CacheFile::create(
    const std::string& path, std::uint64_t id, FsyncMode fsync,
    const std::vector<std::pair<Uid, std::vector<std::pair<std::string, std::string>>>>* content,
    std::vector<std::uint64_t>* offsets) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return Status::io("index: " + tmp + ": cannot create: " + std::strerror(errno));
    std::shared_ptr<CacheFile> c(new CacheFile());
    c->fd_ = fd;
    c->path_ = path;
    c->id_ = id;
    // Compaction: live entries only, field definitions first.
    std::string data = header_bytes(id);
    if (content) {
        std::map<std::string, std::uint64_t> defs;
        for (const auto& [uid, fields] : *content)
            for (const auto& f : fields)
                if (!defs.count(f.first)) {
                    defs[f.first] = data.size();
                    data += entry_bytes(0, 0, 0, f.first);
                }
        for (const auto& [uid, fields] : *content) {
            std::uint64_t prev = 0;
            for (const auto& f : fields) {
                std::uint64_t at = data.size();
                data += entry_bytes(uid, defs[f.first], prev, f.second);
                prev = at;
            }
            if (offsets)
                offsets->push_back(prev);
        }
        c->defs_.insert(defs.begin(), defs.end());
    }
    bool ok = pwrite_all(fd, data, 0) && (fsync == FsyncMode::never || ::fdatasync(fd) == 0);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        Status s = Status::io("index: " + tmp + ": cannot write: " + std::strerror(errno));
        ::unlink(tmp.c_str());
        return s;
    }
    return c;
}

CacheFile::~CacheFile() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::uint64_t CacheFile::size() const {
    if (in_memory_) {
        std::lock_guard lock(mutex_);
        return memory_.size();
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
        return 0;
    return static_cast<std::uint64_t>(st.st_size);
}

bool CacheFile::read_at(std::uint64_t offset, std::size_t n, std::string& out) const {
    out.resize(n);
    if (in_memory_) {
        std::lock_guard lock(mutex_);
        if (offset > memory_.size() || n > memory_.size() - offset)
            return false;
        std::memcpy(out.data(), memory_.data() + offset, n);
        return true;
    }
    std::size_t done = 0;
    while (done < n) {
        ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += static_cast<std::size_t>(got);
    }
    return true;
}

std::shared_ptr<const GuardedMapping> CacheFile::mapping_to(std::uint64_t end) const {
    std::lock_guard lock(mutex_);
    if (mapping_ && mapping_->size() >= end)
        return mapping_;
    if (unmappable_)
        return nullptr;
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < end)
        return nullptr; // beyond the end: the caller reports it
    auto mapping = std::make_shared<GuardedMapping>(fd_, static_cast<std::size_t>(st.st_size));
    if (mapping->address() == nullptr) {
        unmappable_ = true;
        return nullptr;
    }
    // Readers holding the old mapping keep it until their entry is read.
    mapping_ = std::move(mapping);
    return mapping_;
}

bool CacheFile::read_entry(std::uint64_t offset, Entry& entry, std::string& why) const {
    if (offset < cache_header_size || offset > (std::uint64_t{1} << 62)) {
        why = "entry at " + std::to_string(offset) + " is beyond the end of the file";
        return false;
    }
    // The header, then the whole entry: copied from the mapping when it
    // holds them, else read with pread, into `buffer`.
    // A mapping held from the previous entry of the chain serves when it
    // reaches far enough (one lock per lookup, not per entry).
    const char* head = nullptr;
    if (!in_memory_ && !(entry.hold && entry.hold->size() >= offset + cache_entry_header))
        entry.hold = mapping_to(offset + cache_entry_header);
    if (entry.hold) {
        head = entry.hold->address() + offset;
    } else {
        if (!read_at(offset, cache_entry_header, entry.buffer)) {
            why = "entry at " + std::to_string(offset) + " is beyond the end of the file";
            return false;
        }
        head = entry.buffer.data();
    }
    ByteReader r(head, cache_entry_header);
    std::uint32_t length = r.u32();
    entry.uid = r.u32();
    entry.field = r.u64();
    entry.prev = r.u64();
    std::uint64_t sum = r.u64();
    if (length < cache_entry_header || length - cache_entry_header > cache_value_max) {
        why = "entry at " + std::to_string(offset) + " has length " + std::to_string(length);
        return false;
    }
    const std::size_t n = length - cache_entry_header;
    std::string& whole = entry.buffer;
    if (entry.hold && entry.hold->size() < offset + length) {
        // The value lies past the mapping: map the file again, or read it.
        auto longer = mapping_to(offset + length);
        if (!longer)
            whole.assign(head, cache_entry_header);
        entry.hold = std::move(longer);
    }
    if (entry.hold) {
        // The checksum covers the entry with its own field zeroed, so it is
        // computed over a copy (a few hundred bytes), and the value handed
        // out is the copy that was checked.
        whole.assign(entry.hold->address() + offset, length);
        entry.value = std::string_view(whole).substr(cache_entry_header, n);
    } else {
        std::string value;
        if (!read_at(offset + cache_entry_header, n, value)) {
            why = "entry at " + std::to_string(offset) + " is cut short";
            return false;
        }
        whole.resize(cache_entry_header);
        whole += value;
        entry.value = std::string_view(whole).substr(cache_entry_header);
    }
    std::memset(whole.data() + 24, 0, 8);
    if (xxh64(whole.data(), whole.size()) != sum) {
        why = "entry at " + std::to_string(offset) + " has a bad checksum";
        return false;
    }
    if (entry.prev >= offset || (entry.field != 0 && entry.field >= offset)) {
        why = "entry at " + std::to_string(offset) + " points forward";
        return false;
    }
    return true;
}

void CacheFile::report(const std::string& what) const {
    // One line per cache file and process: a damaged cache only costs
    // re-reading the mail files, it must not flood the log.
    {
        std::lock_guard lock(mutex_);
        if (reported_)
            return;
        reported_ = true;
    }
    log::write(log::Level::error, log::Category::mail, {},
               "index: " + path_ + ": corrupt (" + what + "), ignoring the damaged entries");
}

std::optional<std::string> CacheFile::field_name(std::uint64_t def) const {
    {
        std::lock_guard lock(mutex_);
        auto it = names_.find(def);
        if (it != names_.end())
            return it->second;
    }
    Entry entry;
    std::string why;
    if (!read_entry(def, entry, why)) {
        report(why);
        return std::nullopt;
    }
    if (entry.uid != 0 || entry.field != 0 || entry.value.empty() || entry.value.size() > cache_field_name_max) {
        report("entry at " + std::to_string(def) + " is not a field definition");
        return std::nullopt;
    }
    std::string value(entry.value);
    std::lock_guard lock(mutex_);
    names_[def] = value;
    return value;
}

std::optional<bool> CacheFile::names_field(std::uint64_t def, std::string_view field) const {
    {
        std::lock_guard lock(mutex_);
        auto it = names_.find(def);
        if (it != names_.end())
            return it->second == field;
    }
    auto name = field_name(def);
    if (!name)
        return std::nullopt;
    return *name == field;
}

bool CacheFile::collect(Uid uid, std::uint64_t offset, std::vector<std::pair<std::string, std::string>>& out) const {
    out.clear();
    Entry entry;
    std::string why;
    for (std::size_t steps = 0; offset != 0 && steps < cache_chain_max; ++steps) {
        if (!read_entry(offset, entry, why)) {
            report(why);
            return false;
        }
        if (entry.uid != uid || entry.field == 0) {
            report("entry at " + std::to_string(offset) + " belongs to uid " + std::to_string(entry.uid) + ", not " +
                   std::to_string(uid));
            return false;
        }
        auto name = field_name(entry.field);
        if (!name)
            return false;
        bool seen = false;
        for (const auto& f : out)
            seen = seen || f.first == *name;
        if (!seen)
            out.emplace_back(*name, std::string(entry.value));
        offset = entry.prev;
    }
    // Oldest first, so that rewriting the chain keeps the newest value last.
    std::reverse(out.begin(), out.end());
    return true;
}

std::optional<std::string> CacheFile::lookup(Uid uid, std::uint64_t offset, std::string_view field) const {
    Entry entry;
    std::string why;
    for (std::size_t steps = 0; offset != 0 && steps < cache_chain_max; ++steps) {
        if (!read_entry(offset, entry, why)) {
            report(why);
            return std::nullopt;
        }
        if (entry.uid != uid || entry.field == 0) {
            report("entry at " + std::to_string(offset) + " belongs to uid " + std::to_string(entry.uid) + ", not " +
                   std::to_string(uid));
            return std::nullopt;
        }
        auto match = names_field(entry.field, field);
        if (!match)
            return std::nullopt;
        if (*match)
            return std::string(entry.value);
        offset = entry.prev;
    }
    return std::nullopt;
}

Result<std::uint64_t> CacheFile::write_entry(Uid uid, std::uint64_t field, std::uint64_t prev, std::string_view value) {
    std::string data = entry_bytes(uid, field, prev, value);
    if (in_memory_) {
        std::lock_guard lock(mutex_);
        std::uint64_t at = memory_.size();
        memory_ += data;
        return at;
    }
    // Appended after whatever is there (entries of a commit that failed are
    // simply unreferenced).
    std::uint64_t at = size();
    if (at < cache_header_size || !pwrite_all(fd_, data, at))
        return Status::io("index: " + path_ + ": cannot append: " + std::strerror(errno));
    return at;
}

Result<std::uint64_t> CacheFile::append(Uid uid, std::string_view field, std::string_view value, std::uint64_t prev) {
    if (value.size() > cache_value_max)
        return Status::invalid("index: cache value of " + std::string(field) + " is larger than 1 MB");
    if (field.empty() || field.size() > cache_field_name_max)
        return Status::invalid("index: bad cache field name");
    std::uint64_t def = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = defs_.find(field);
        if (it != defs_.end())
            def = it->second;
    }
    if (def == 0) {
        auto d = write_entry(0, 0, 0, field);
        if (!d)
            return d.status();
        def = *d;
        std::lock_guard lock(mutex_);
        defs_.emplace(std::string(field), def);
        names_[def] = std::string(field);
    }
    return write_entry(uid, def, prev, value);
}

Status CacheFile::sync() const {
    if (in_memory_ || ::fdatasync(fd_) == 0)
        return Status::ok();
    return Status::io("index: " + path_ + ": fdatasync: " + std::strerror(errno));
}

} // namespace mailstore::index::detail
