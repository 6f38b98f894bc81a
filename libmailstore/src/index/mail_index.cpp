// MailIndex: opening, refreshing and committing to the snapshot + log +
// cache files of one index directory (docs/index-format.md).
#include "index/mail_index.hpp"

#include "index/cache_file.hpp"
#include "index/files.hpp"
#include "index/state_impl.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace mailstore::index {

using namespace detail;

namespace {

std::uint64_t random64() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid());
}

void log_error(const std::string& text) { log::write(log::Level::error, log::Category::mail, {}, text); }
void log_warning(const std::string& text) { log::write(log::Level::warning, log::Category::mail, {}, text); }

bool pread_all(int fd, std::string& out, std::uint64_t offset, std::size_t n) {
    out.resize(n);
    std::size_t done = 0;
    while (done < n) {
        ssize_t got = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += static_cast<std::size_t>(got);
    }
    out.resize(done);
    return done == n;
}

std::uint64_t file_size(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Whether `fd` is still the file named `path` (a rotation renames a new log
// over the path).
bool same_file(int fd, const std::string& path) {
    struct stat a {}, b {};
    if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0)
        return false;
    return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

void fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

std::shared_ptr<IndexState::Impl> empty_state(ModSeq highest) {
    auto st = std::make_shared<IndexState::Impl>();
    st->header.highest_modseq = highest;
    st->history_floor = highest;
    return st;
}

enum class ReadResult { ok, rotated, corrupt };

} // namespace

class WriteContext::Impl {
public:
    explicit Impl(const IndexState::Impl& base) : builder(base), current(builder.shared()) {}
    StateBuilder builder;
    IndexState current;
    std::vector<Op> ops;
    ModSeq modseq = 0;
    std::shared_ptr<CacheFile> cache;

    // A change to messages (callers have checked that it changes
    // something): it gets the commit's modseq, assigned at the first change.
    // Never below the clock in microseconds: with mail_fsync other than
    // `always` the log's last records may be lost in a power failure, and
    // modseqs clients already saw must not be handed out again for other
    // changes (HIGHESTMODSEQ never goes backwards, RFC 7162 3.1.2.1).
    Status change(Op op) {
        ModSeq m = modseq != 0 ? modseq : std::max(builder.impl().header.highest_modseq + 1, time_modseq());
        if (auto s = builder.apply(op, m); !s)
            return Status::error(s.code(), "index: " + s.message());
        modseq = m;
        ops.push_back(std::move(op));
        return Status::ok();
    }
    // Other ops: recorded when they apply (callers skip ones that change nothing).
    void other(Op op) {
        if (builder.apply(op, 0))
            ops.push_back(std::move(op));
    }
};

class MailIndex::Impl {
public:
    IndexOptions opt;
    bool memory = false;
    std::string log_path, snap_path, cache_path;

    mutable std::mutex state_mutex;
    std::shared_ptr<const IndexState> state;

    std::mutex io_mutex;
    int log_fd = -1;
    LogHeader log_header;
    std::uint64_t pos = 0;
    bool needs_reset = false;
    bool rotation_pending = false;
    bool holding_lock = false; // the write lock on log_fd (io_mutex held)
    bool diverged = false; // read-only index with in-memory commits
    ModSeq seen_modseq = 0;

    ~Impl() { close_log(); }

    void close_log() {
        if (log_fd >= 0)
            ::close(log_fd); // releases our lock on it too
        log_fd = -1;
        holding_lock = false;
    }

    void publish(std::shared_ptr<const IndexState::Impl> impl) {
        seen_modseq = std::max(seen_modseq, impl->header.highest_modseq);
        auto s = std::make_shared<const IndexState>(std::move(impl));
        std::lock_guard lock(state_mutex);
        state = std::move(s);
    }
    std::shared_ptr<const IndexState> current() const {
        std::lock_guard lock(state_mutex);
        return state;
    }

    void corrupt(const std::string& path, const std::string& why) {
        log_error("index: " + path + ": corrupt (" + why + "), rebuilding");
        auto st = empty_state(std::max(time_modseq(), seen_modseq + 1));
        publish(st);
        needs_reset = true;
    }

    // Creates a log at log_path unless one exists (link() is atomic: of two
    // processes creating it at once, one wins and the other uses its file).
    Status create_log(const LogHeader& h) {
        std::string tmp = log_path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random64() & 0xffffff);
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return Status::io("index: " + tmp + ": cannot create: " + std::strerror(errno));
        std::string head = encode_log_header(h);
        bool ok = pwrite_all(fd, head, 0) && (opt.fsync == FsyncMode::never || ::fdatasync(fd) == 0);
        int rc = ok ? ::link(tmp.c_str(), log_path.c_str()) : -1;
        int err = errno;
        ::unlink(tmp.c_str());
        if (!ok) {
            ::close(fd);
            return Status::io("index: " + tmp + ": cannot write: " + std::strerror(err));
        }
        if (rc != 0 && err != EEXIST) {
            ::close(fd);
            return Status::io("index: " + log_path + ": cannot create: " + std::strerror(err));
        }
        if (rc == 0) {
            if (opt.fsync == FsyncMode::always)
                fsync_dir(opt.dir);
            if (h.flags & log_flag_initial)
                create_initial_cache(fd, h.cache_id);
        }
        ::close(fd);
        return Status::ok();
    }

    // The empty cache of a log this process just created. Others may open the
    // log at once and, finding no cache, rotate it (a new log and a cache of
    // their own, under the write lock); so the cache is written under the
    // same lock, and only while our log is still the one at the path —
    // otherwise it would replace theirs with one whose id matches no log.
    void create_initial_cache(int fd, std::uint64_t cache_id) {
        auto deadline = std::chrono::steady_clock::now() + opt.lock_timeout;
        if (auto s = lock_fd(fd, deadline); !s) {
            log_warning(s.message() + " (the cache is created by the next writer)");
            return;
        }
        if (same_file(fd, log_path)) {
            auto c = CacheFile::create(cache_path, cache_id, opt.fsync, nullptr, nullptr);
            if (!c)
                log_warning(c.status().message());
        }
        struct flock fl {};
        fl.l_type = F_UNLCK;
        fl.l_whence = SEEK_SET;
        ::fcntl(fd, F_OFD_SETLK, &fl);
    }

    // Replays complete records of the log from `pos` onto the current state.
    ReadResult read_log() {
        std::uint64_t end = file_size(log_fd);
        if (end < pos)
            return ReadResult::rotated; // cut below what we read (by hand?): read everything again
        if (end == pos)
            return ReadResult::ok;
        if (end - pos > 2 * std::uint64_t{log_record_max}) {
            corrupt(log_path, "log of " + std::to_string(end) + " bytes");
            return ReadResult::corrupt;
        }
        std::string data;
        pread_all(log_fd, data, pos, static_cast<std::size_t>(end - pos));
        auto base = current();
        std::optional<StateBuilder> builder;
        std::size_t at = 0;
        std::uint64_t consumed = 0;
        bool rotated = false;
        std::size_t record_no = 0;
        while (data.size() - at >= log_record_header && !rotated) {
            ByteReader head(data.data() + at, log_record_header);
            std::uint32_t length = head.u32();
            head.u32();
            std::uint64_t sum = head.u64();
            ModSeq modseq = head.u64();
            std::uint64_t where = pos + at;
            if (length < log_record_header || length > log_record_max) {
                // A tail of zeros is a record whose data never reached the disk.
                if (data.find_first_not_of('\0', at) == std::string::npos)
                    break;
                corrupt(log_path, "record at offset " + std::to_string(where) + ": length " + std::to_string(length));
                return ReadResult::corrupt;
            }
            if (length > data.size() - at)
                break; // not yet complete
            std::string rec = data.substr(at, length);
            std::memset(rec.data() + 8, 0, 8);
            if (xxh64(rec.data(), rec.size()) != sum) {
                if (at + length == data.size())
                    break; // the last record, maybe still being written
                corrupt(log_path, "record at offset " + std::to_string(where) + ": bad checksum");
                return ReadResult::corrupt;
            }
            if (!builder)
                builder.emplace(base->impl());
            ByteReader ops(rec.data() + log_record_header, rec.size() - log_record_header);
            while (ops.remaining() > 0) {
                Op op;
                if (!decode_op(ops, op)) {
                    corrupt(log_path, "record at offset " + std::to_string(where) + ": malformed operation");
                    return ReadResult::corrupt;
                }
                if (op.type == OpType::rotated) {
                    rotated = true;
                    break;
                }
                if (auto s = builder->apply(op, modseq); !s) {
                    corrupt(log_path, "record at offset " + std::to_string(where) + ": " + s.message());
                    return ReadResult::corrupt;
                }
            }
            if (modseq != 0)
                builder->impl().header.highest_modseq = std::max(builder->impl().header.highest_modseq, modseq);
            at += length;
            consumed = at;
            ++record_no;
        }
        pos += consumed;
        if (builder) {
            builder->impl().log_offset = pos;
            publish(builder->shared());
        }
        return rotated ? ReadResult::rotated : ReadResult::ok;
    }

    // (Re)reads everything from the files: the snapshot, then the log.
    Status load() {
        needs_reset = false;
        rotation_pending = false;
        for (int attempt = 0; attempt < 8; ++attempt) {
            close_log();
            int fd = ::open(log_path.c_str(), (opt.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
            if (fd < 0 && errno != ENOENT)
                return Status::io("index: " + log_path + ": cannot open: " + std::strerror(errno));
            auto snap = std::make_shared<IndexState::Impl>();
            std::string why;
            bool have_snap = read_snapshot(snap_path, *snap, why);
            if (!have_snap && !why.empty()) {
                if (fd < 0 && !opt.read_only) {
                    // A log to take the write lock on, so the rebuild can
                    // replace the bad snapshot.
                    LogHeader h;
                    h.seq = 1;
                    h.cache_id = random64();
                    h.base_modseq = std::max(time_modseq(), seen_modseq + 1);
                    h.flags = log_flag_initial;
                    if (auto s = create_log(h); !s)
                        return s;
                    fd = ::open(log_path.c_str(), O_RDWR | O_CLOEXEC);
                }
                if (fd >= 0)
                    log_fd = fd;
                corrupt(snap_path, why);
                return Status::ok();
            }
            if (fd < 0) {
                if (have_snap) {
                    // The log was lost; the snapshot is a complete state.
                    load_cache(*snap);
                    publish(snap);
                    rotation_pending = true;
                    if (!opt.read_only) {
                        LogHeader h;
                        h.seq = snap->log_seq;
                        h.cache_id = snap->cache_id;
                        h.base_modseq = snap->header.highest_modseq;
                        if (auto s = create_log(h); !s)
                            return s;
                        continue;
                    }
                    return Status::ok();
                }
                if (opt.read_only) {
                    publish(empty_state(std::max(time_modseq(), seen_modseq)));
                    return Status::ok();
                }
                LogHeader h;
                h.seq = 1;
                h.cache_id = random64();
                h.base_modseq = std::max(time_modseq(), seen_modseq + 1);
                h.flags = log_flag_initial;
                if (auto s = create_log(h); !s)
                    return s;
                continue;
            }
            log_fd = fd;
            std::string head;
            pread_all(fd, head, 0, log_header_size);
            if (!decode_log_header(head, log_header, why)) {
                corrupt(log_path, why);
                return Status::ok();
            }
            std::shared_ptr<IndexState::Impl> base;
            if (have_snap && snap->log_seq == log_header.seq) {
                base = snap;
                pos = snap->log_offset;
                if (pos > file_size(fd)) {
                    corrupt(snap_path, "it reflects log offset " + std::to_string(pos) + " beyond the log's end");
                    return Status::ok();
                }
            } else if (have_snap && snap->log_seq > log_header.seq) {
                // A rotation renamed the snapshot but not yet the log (or a
                // writer died in between): the snapshot holds all of this log.
                base = snap;
                pos = file_size(fd);
                rotation_pending = true;
            } else if (!have_snap && (log_header.flags & log_flag_initial)) {
                base = empty_state(log_header.base_modseq);
                base->log_seq = log_header.seq;
                base->cache_id = log_header.cache_id;
                pos = log_header_size;
            } else {
                corrupt(have_snap ? snap_path : log_path,
                        have_snap ? "it reflects log " + std::to_string(snap->log_seq) + ", the log is " +
                                        std::to_string(log_header.seq)
                                  : "missing, and the log does not start from an empty index");
                return Status::ok();
            }
            base->log_offset = pos;
            base->log_seq = std::max(base->log_seq, log_header.seq);
            load_cache(*base);
            publish(base);
            ReadResult r = read_log();
            if (r == ReadResult::rotated)
                continue;
            return Status::ok();
        }
        // A rotation every time we looked: extremely busy or broken; use what we have.
        log_warning("index: " + log_path + ": rotated while reading it, again and again; using the state read");
        return Status::ok();
    }

    void load_cache(IndexState::Impl& st) {
        std::string problem;
        st.cache = CacheFile::open(cache_path, st.cache_id, !opt.read_only, &problem);
        if (problem.empty())
            return;
        if (problem == CacheFile::id_mismatch && rotated_meanwhile())
            return; // the cache of a newer log: the next read of ours finds its rotation marker
        log_error("index: " + cache_path + ": corrupt (" + problem + "), rebuilding");
    }

    // Whether the log we hold is no longer the one at the path. A rotating
    // writer renames its new cache into place before its new log, under the
    // write lock, so a reader between the two renames sees a cache that
    // matches no log it knows: wait for the writer (take the lock, unless we
    // hold it already, when no rotation can be under way) before deciding.
    bool rotated_meanwhile() {
        if (log_fd < 0)
            return false;
        if (holding_lock || opt.read_only)
            return !same_file(log_fd, log_path);
        auto deadline = std::chrono::steady_clock::now() + opt.lock_timeout;
        if (!lock(deadline))
            return !same_file(log_fd, log_path);
        bool moved = !same_file(log_fd, log_path);
        unlock();
        return moved;
    }

    Status refresh_locked() {
        if (memory || diverged)
            return Status::ok();
        if (log_fd < 0 || needs_reset) {
            if (log_fd >= 0 && same_file(log_fd, log_path))
                return Status::ok(); // nobody fixed it yet
            return load();
        }
        ReadResult r = read_log();
        if (r == ReadResult::corrupt)
            return Status::ok();
        if (r == ReadResult::rotated || !same_file(log_fd, log_path)) {
            // Finish the old file through its fd first (done above), then the new one.
            if (r != ReadResult::rotated && read_log() == ReadResult::corrupt)
                return Status::ok();
            return load();
        }
        return Status::ok();
    }

    Status lock(std::chrono::steady_clock::time_point deadline) {
        Status s = lock_fd(log_fd, deadline);
        holding_lock = s.is_ok();
        return s;
    }
    Status lock_fd(int fd, std::chrono::steady_clock::time_point deadline) {
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        auto sleep = std::chrono::milliseconds(1);
        for (;;) {
            if (::fcntl(fd, F_OFD_SETLK, &fl) == 0)
                return Status::ok();
            if (errno != EAGAIN && errno != EACCES && errno != EINTR)
                return Status::io("index: " + log_path + ": cannot lock: " + std::strerror(errno));
            if (std::chrono::steady_clock::now() >= deadline)
                return Status::error(Status::Code::temporary_failure,
                                     "index: " + log_path + ": still locked by another process after " +
                                         std::to_string(opt.lock_timeout.count()) + " ms; try again later");
            std::this_thread::sleep_for(sleep);
            sleep = std::min(sleep * 2, std::chrono::milliseconds(20));
        }
    }
    void unlock() {
        struct flock fl {};
        fl.l_type = F_UNLCK;
        fl.l_whence = SEEK_SET;
        if (log_fd >= 0)
            ::fcntl(log_fd, F_OFD_SETLK, &fl);
        holding_lock = false;
    }

    // Writes the current (or an empty) state as a new snapshot with a
    // compacted cache and a new log, under the write lock. The old log gets a
    // rotation marker so its readers know to move on.
    Status rotate_locked(bool drop_cache, bool reset) {
        auto base = current();
        std::shared_ptr<IndexState::Impl> next;
        if (reset) {
            next = empty_state(std::max({time_modseq(), seen_modseq + 1, base->header().highest_modseq + 1}));
        } else {
            next = std::make_shared<IndexState::Impl>(base->impl());
        }
        std::uint64_t new_seq = std::max(log_header.seq, next->log_seq) + 1;
        std::uint64_t cache_id = random64();
        std::vector<std::pair<Uid, std::vector<std::pair<std::string, std::string>>>> content;
        std::vector<std::size_t> positions;
        const auto& old_cache = base->impl().cache;
        if (!reset && !drop_cache && old_cache) {
            for (std::uint32_t i = 0; i < next->total; ++i) {
                const Record& r = IndexState(next).at(i);
                if (r.cache_offset == 0)
                    continue;
                std::vector<std::pair<std::string, std::string>> fields;
                if (old_cache->collect(r.uid, r.cache_offset, fields) && !fields.empty()) {
                    content.emplace_back(r.uid, std::move(fields));
                    positions.push_back(i);
                }
            }
        }
        std::vector<std::uint64_t> offsets;
        auto cache = CacheFile::create(cache_path, cache_id, opt.fsync, &content, &offsets);
        if (!cache)
            return cache.status();
        // New cache offsets: only chunks holding a record whose offset changes are copied.
        {
            StateBuilder b(*next);
            std::size_t k = 0;
            for (std::uint32_t i = 0; i < next->total; ++i) {
                const Record& r = IndexState(next).at(i);
                std::uint64_t off = (k < positions.size() && positions[k] == i) ? offsets[k++] : 0;
                if (r.cache_offset != off) {
                    Op op;
                    op.type = OpType::cache_offset;
                    op.record.uid = r.uid;
                    op.value = off;
                    (void)b.apply(op, 0);
                }
            }
            next = b.shared();
        }
        next->cache = *cache;
        next->cache_id = cache_id;
        next->log_seq = new_seq;
        next->log_offset = log_header_size;
        if (auto s = write_snapshot(snap_path, *next, opt.fsync); !s)
            return s;
        LogHeader h;
        h.seq = new_seq;
        h.cache_id = cache_id;
        h.base_modseq = next->header.highest_modseq;
        std::string tmp = log_path + ".tmp";
        int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return Status::io("index: " + tmp + ": cannot create: " + std::strerror(errno));
        bool ok = pwrite_all(fd, encode_log_header(h), 0) && (opt.fsync == FsyncMode::never || ::fdatasync(fd) == 0);
        if (!ok || ::rename(tmp.c_str(), log_path.c_str()) != 0) {
            Status s = Status::io("index: " + tmp + ": cannot write: " + std::strerror(errno));
            ::close(fd);
            ::unlink(tmp.c_str());
            return s;
        }
        if (opt.fsync != FsyncMode::never)
            fsync_dir(opt.dir);
        // Mark the old log (past any torn tail) so readers holding it move on.
        if (log_fd >= 0) {
            if (file_size(log_fd) > pos && ::ftruncate(log_fd, static_cast<off_t>(pos)) != 0)
                log_warning("index: " + log_path + ": cannot truncate a torn tail: " + std::strerror(errno));
            Op marker;
            marker.type = OpType::rotated;
            marker.value = new_seq;
            pwrite_all(log_fd, encode_log_record(0, {marker}), pos);
        }
        close_log(); // releases the old lock
        log_fd = fd;
        log_header = h;
        pos = log_header_size;
        needs_reset = false;
        rotation_pending = false;
        publish(next);
        return Status::ok();
    }
};

// ---------------------------------------------------------------- WriteContext

const IndexState& WriteContext::current() const { return impl_->current; }

Status WriteContext::append(const Record& record, const std::vector<std::uint32_t>& keyword_ids) {
    Op op;
    op.type = OpType::append;
    op.record = record;
    op.record.modseq = 0;
    op.record.cache_offset = 0;
    std::uint64_t bits;
    split_keywords(keyword_ids, bits, op.extra);
    op.record.keyword_bits = bits;
    return impl_->change(std::move(op));
}

Status WriteContext::set_flags(Uid uid, MailFlags flags, const std::vector<std::uint32_t>& keyword_ids) {
    auto& cur = impl_->current;
    auto pos = cur.find(uid);
    if (!pos)
        return Status::not_found("index: uid " + std::to_string(uid) + " is not in the index");
    std::uint64_t bits;
    std::vector<std::uint32_t> extra;
    split_keywords(keyword_ids, bits, extra);
    const Record& rec = cur.at(*pos);
    if (rec.flags == flags && rec.keyword_bits == bits && cur.extra_keywords(uid) == extra)
        return Status::ok(); // no change, no modseq
    Op op;
    op.type = OpType::set_flags;
    op.record.uid = uid;
    op.record.flags = flags;
    op.record.keyword_bits = bits;
    op.extra = std::move(extra);
    return impl_->change(std::move(op));
}

Status WriteContext::expunge(Uid uid) {
    Op op;
    op.type = OpType::expunge;
    op.record.uid = uid;
    return impl_->change(std::move(op));
}

Status WriteContext::set_sizes(Uid uid, std::uint64_t physical_size, std::uint64_t virtual_size) {
    auto pos = impl_->current.find(uid);
    if (!pos)
        return Status::not_found("index: uid " + std::to_string(uid) + " is not in the index");
    const Record& rec = impl_->current.at(*pos);
    if (rec.physical_size == physical_size && rec.virtual_size == virtual_size)
        return Status::ok();
    Op op;
    op.type = OpType::set_sizes;
    op.record.uid = uid;
    op.record.physical_size = physical_size;
    op.record.virtual_size = virtual_size;
    impl_->other(std::move(op));
    return Status::ok();
}

std::uint32_t WriteContext::keyword_id(std::string_view name) {
    if (auto id = impl_->builder.find_keyword(name))
        return *id;
    Op op;
    op.type = OpType::keyword;
    op.value = impl_->builder.impl().header.keywords.size();
    op.text = std::string(name);
    std::uint32_t id = static_cast<std::uint32_t>(op.value);
    if (!impl_->builder.apply(op, 0))
        return 0xffffffffu; // an invalid name or too many keywords: set_flags/append then fail
    impl_->ops.push_back(std::move(op));
    return id;
}

void WriteContext::set_uidvalidity(std::uint32_t uidvalidity) {
    if (impl_->builder.impl().header.uidvalidity == uidvalidity)
        return;
    Op op;
    op.type = OpType::uidvalidity;
    op.value = uidvalidity;
    impl_->other(std::move(op));
}

void WriteContext::set_next_uid(Uid next_uid) {
    if (next_uid <= impl_->builder.impl().header.next_uid)
        return;
    Op op;
    op.type = OpType::next_uid;
    op.value = next_uid;
    impl_->other(std::move(op));
}

void WriteContext::set_first_recent_uid(Uid uid) {
    if (uid <= impl_->builder.impl().header.first_recent_uid)
        return;
    Op op;
    op.type = OpType::first_recent;
    op.value = uid;
    impl_->other(std::move(op));
}

void WriteContext::set_mailbox_guid(const std::array<std::uint8_t, 16>& guid) {
    if (impl_->builder.impl().header.mailbox_guid == guid)
        return;
    Op op;
    op.type = OpType::guid;
    op.guid = guid;
    impl_->other(std::move(op));
}

void WriteContext::set_driver_state(std::string state) {
    if (impl_->builder.impl().header.driver_state == state || state.size() > max_driver_state)
        return;
    Op op;
    op.type = OpType::driver_state;
    op.text = std::move(state);
    impl_->other(std::move(op));
}

void WriteContext::raise_modseq(ModSeq modseq) {
    if (modseq <= impl_->builder.impl().header.highest_modseq)
        return;
    Op op;
    op.type = OpType::raise_modseq;
    op.value = modseq;
    impl_->other(std::move(op));
}

void WriteContext::reset() {
    Op op;
    op.type = OpType::reset;
    impl_->other(std::move(op));
}

Status WriteContext::cache_add(Uid uid, std::string_view field, std::string_view value) {
    auto pos = impl_->current.find(uid);
    if (!pos)
        return Status::not_found("index: uid " + std::to_string(uid) + " is not in the index");
    if (!impl_->cache)
        return Status::error(Status::Code::temporary_failure, "index: no cache file to write to");
    auto off = impl_->cache->append(uid, field, value, impl_->current.at(*pos).cache_offset);
    if (!off)
        return off.status();
    Op op;
    op.type = OpType::cache_offset;
    op.record.uid = uid;
    op.value = *off;
    impl_->other(std::move(op));
    return Status::ok();
}

// ---------------------------------------------------------------- MailIndex

MailIndex::MailIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MailIndex::~MailIndex() = default;

Result<std::shared_ptr<MailIndex>> MailIndex::open(const IndexOptions& options) {
    try {
        auto impl = std::make_unique<Impl>();
        impl->opt = options;
        impl->memory = options.dir == "MEMORY";
        if (impl->memory) {
            auto st = empty_state(time_modseq());
            st->cache = CacheFile::memory(random64());
            st->cache_id = st->cache->id();
            st->log_seq = 1;
            impl->publish(st);
            return std::make_shared<MailIndex>(std::move(impl));
        }
        if (options.dir.empty())
            return Status::invalid("index: no index directory given");
        impl->log_path = options.dir + "/loft.index.log";
        impl->snap_path = options.dir + "/loft.index";
        impl->cache_path = options.dir + "/loft.index.cache";
        if (!options.read_only) {
            std::error_code ec;
            std::filesystem::create_directories(options.dir, ec);
            if (ec)
                return Status::io("index: " + options.dir + ": cannot create the directory: " + ec.message());
        }
        std::lock_guard lock(impl->io_mutex);
        if (auto s = impl->load(); !s)
            return s;
        return std::make_shared<MailIndex>(std::move(impl));
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "index: " + options.dir + ": out of memory");
    }
}

std::shared_ptr<const IndexState> MailIndex::state() const { return impl_->current(); }

Result<std::shared_ptr<const IndexState>> MailIndex::refresh() {
    try {
        std::lock_guard lock(impl_->io_mutex);
        if (auto s = impl_->refresh_locked(); !s)
            return s;
        return impl_->current();
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "index: " + impl_->opt.dir + ": out of memory");
    }
}

Result<CommitInfo> MailIndex::commit(const std::function<Status(WriteContext&)>& apply) {
    auto& d = *impl_;
    std::lock_guard lock(d.io_mutex);
    auto run = [&](bool persist) -> Result<CommitInfo> {
        auto base = d.current();
        WriteContext::Impl wctx(base->impl());
        wctx.cache = base->impl().cache;
        WriteContext ctx(&wctx);
        if (auto s = apply(ctx); !s)
            return s;
        if (wctx.ops.empty())
            return CommitInfo{0, base};
        if (persist) {
            std::string rec = encode_log_record(wctx.modseq, wctx.ops);
            if (rec.size() > log_record_max)
                return Status::invalid("index: " + d.log_path + ": one commit of " + std::to_string(rec.size()) +
                                       " bytes is more than the log allows");
            if (d.opt.fsync == FsyncMode::always && wctx.cache)
                if (auto s = wctx.cache->sync(); !s)
                    return s;
            if (!pwrite_all(d.log_fd, rec, d.pos))
                return Status::io("index: " + d.log_path + ": cannot append: " + std::strerror(errno));
            if (d.opt.fsync == FsyncMode::always && ::fdatasync(d.log_fd) != 0)
                return Status::io("index: " + d.log_path + ": fdatasync: " + std::strerror(errno));
            d.pos += rec.size();
        }
        auto& next = wctx.builder.impl();
        next.log_offset = d.pos;
        d.publish(wctx.builder.shared());
        return CommitInfo{wctx.modseq, d.current()};
    };
    try {
        if (d.memory || d.opt.read_only) {
            d.diverged = !d.memory;
            return run(false);
        }
        auto deadline = std::chrono::steady_clock::now() + d.opt.lock_timeout;
        bool locked = false;
        for (int attempt = 0; attempt < 32 && !locked; ++attempt) {
            if (d.log_fd < 0) {
                if (auto s = d.load(); !s)
                    return s;
                if (d.log_fd < 0)
                    return Status::io("index: " + d.log_path + ": cannot create the log");
            }
            if (auto s = d.lock(deadline); !s)
                return s;
            if (!same_file(d.log_fd, d.log_path)) {
                d.unlock();
                if (auto s = d.refresh_locked(); !s)
                    return s;
                if (d.log_fd >= 0 && !same_file(d.log_fd, d.log_path) && ::access(d.log_path.c_str(), F_OK) != 0) {
                    // The log was deleted: start a new one from what we have.
                    d.close_log();
                }
                continue;
            }
            if (!d.needs_reset) {
                ReadResult r = d.read_log();
                if (r == ReadResult::rotated) {
                    d.unlock();
                    if (auto s = d.load(); !s)
                        return s;
                    continue;
                }
            }
            if (d.needs_reset || d.rotation_pending || !d.current()->impl().cache) {
                if (!d.needs_reset && !d.rotation_pending) {
                    // The cache may have been created since we looked.
                    auto st = std::make_shared<IndexState::Impl>(d.current()->impl());
                    d.load_cache(*st);
                    if (st->cache) {
                        d.publish(st);
                        locked = true;
                        break;
                    }
                }
                Status s = d.rotate_locked(!d.current()->impl().cache, d.needs_reset);
                d.unlock();
                if (!s)
                    return s;
                continue;
            }
            locked = true;
        }
        if (!locked)
            return Status::error(Status::Code::temporary_failure, "index: " + d.log_path + ": could not get a stable log to lock");
        // A crashed writer may have left part of a record: cut it off.
        std::uint64_t size = file_size(d.log_fd);
        if (size > d.pos) {
            log_warning("index: " + d.log_path + ": removing " + std::to_string(size - d.pos) +
                        " bytes of an incomplete record (a writer was interrupted)");
            if (::ftruncate(d.log_fd, static_cast<off_t>(d.pos)) != 0) {
                d.unlock();
                return Status::io("index: " + d.log_path + ": ftruncate: " + std::strerror(errno));
            }
        }
        auto result = run(true);
        if (result && d.pos > d.opt.log_rotate_size) {
            if (auto s = d.rotate_locked(false, false); !s)
                log_warning(s.message() + " (the log keeps growing until a rotation succeeds)");
            else
                result->state = d.current();
        }
        d.unlock();
        return result;
    } catch (const std::bad_alloc&) {
        d.unlock();
        return Status::error(Status::Code::internal, "index: " + d.opt.dir + ": out of memory");
    }
}

std::optional<std::string> MailIndex::cache_lookup(const IndexState& state, const Record& record,
                                                   std::string_view field) const {
    const auto& cache = state.impl().cache;
    if (!cache || record.cache_offset == 0)
        return std::nullopt;
    try {
        return cache->lookup(record.uid, record.cache_offset, field);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

Status MailIndex::reset_files() {
    auto& d = *impl_;
    std::lock_guard lock(d.io_mutex);
    try {
        if (d.memory || d.opt.read_only) {
            auto st = empty_state(std::max(time_modseq(), d.seen_modseq + 1));
            st->cache = d.current()->impl().cache;
            st->cache_id = d.current()->impl().cache_id;
            d.publish(st);
            return Status::ok();
        }
        if (d.log_fd < 0)
            if (auto s = d.load(); !s)
                return s;
        if (d.log_fd < 0)
            return Status::io("index: " + d.log_path + ": cannot create the log");
        auto deadline = std::chrono::steady_clock::now() + d.opt.lock_timeout;
        if (auto s = d.lock(deadline); !s)
            return s;
        Status s = d.rotate_locked(true, true);
        d.unlock();
        return s;
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "index: " + d.opt.dir + ": out of memory");
    }
}

std::vector<std::string> MailIndex::watch_paths() const {
    if (impl_->memory)
        return {};
    return {impl_->log_path};
}

const IndexOptions& MailIndex::options() const { return impl_->opt; }

std::string MailIndex::dump() const {
    auto st = impl_->current();
    const auto& h = st->header();
    std::string out;
    auto line = [&](const std::string& s) { out += s + "\n"; };
    line("index: " + impl_->opt.dir);
    line("uidvalidity: " + std::to_string(h.uidvalidity));
    line("next_uid: " + std::to_string(h.next_uid));
    line("first_recent_uid: " + std::to_string(h.first_recent_uid));
    line("highest_modseq: " + std::to_string(h.highest_modseq));
    static const char* hex = "0123456789abcdef";
    std::string guid;
    for (auto b : h.mailbox_guid) {
        guid += hex[b >> 4];
        guid += hex[b & 15];
    }
    line("mailbox_guid: " + guid);
    line("driver_state: " + log::escape_control(h.driver_state));
    line("log: sequence " + std::to_string(st->impl().log_seq) + " offset " + std::to_string(st->impl().log_offset));
    line("keywords: " + std::to_string(h.keywords.size()));
    for (std::size_t i = 0; i < h.keywords.size(); ++i)
        line("  " + std::to_string(i) + " " + log::escape_control(h.keywords[i]));
    line("records: " + std::to_string(st->count()) + " in " + std::to_string(st->chunk_count()) + " chunks");
    for (std::uint32_t i = 0; i < st->count(); ++i) {
        const Record& r = st->at(i);
        std::string kws;
        for (auto id : st->keyword_ids(r))
            kws += (kws.empty() ? "" : ",") + std::to_string(id);
        line("  uid=" + std::to_string(r.uid) + " flags=" + storage::format_flags(r.flags) + " keywords=" + kws +
             " modseq=" + std::to_string(r.modseq) + " size=" + std::to_string(r.physical_size) + "/" +
             std::to_string(r.virtual_size) + " received=" + std::to_string(r.received_date) +
             " saved=" + std::to_string(r.save_date) + " cache=" + std::to_string(r.cache_offset));
    }
    line("expunge history: " + std::to_string(st->impl().expunged->size()) + " ranges, answerable since modseq " +
         std::to_string(st->impl().history_floor));
    if (!impl_->memory) {
        int fd = ::open(impl_->log_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            std::string data;
            std::uint64_t size = std::min<std::uint64_t>(file_size(fd), 64u << 20);
            pread_all(fd, data, 0, static_cast<std::size_t>(size));
            ::close(fd);
            LogHeader lh;
            std::string why;
            if (!decode_log_header(data, lh, why)) {
                line("log file: " + why);
            } else {
                line("log file: sequence " + std::to_string(lh.seq) + ", " + std::to_string(data.size()) + " bytes" +
                     ((lh.flags & log_flag_initial) ? ", from an empty index" : ""));
                std::size_t at = log_header_size;
                while (data.size() - at >= log_record_header) {
                    ByteReader head(data.data() + at, log_record_header);
                    std::uint32_t length = head.u32();
                    head.u32();
                    head.u64();
                    ModSeq modseq = head.u64();
                    if (length < log_record_header || length > data.size() - at) {
                        line("  offset " + std::to_string(at) + ": incomplete or bad record");
                        break;
                    }
                    line("  offset " + std::to_string(at) + " modseq " + std::to_string(modseq) + ":");
                    ByteReader ops(data.data() + at + log_record_header, length - log_record_header);
                    while (ops.remaining() > 0) {
                        Op op;
                        if (!decode_op(ops, op)) {
                            line("    (malformed)");
                            break;
                        }
                        line("    " + log::escape_control(describe_op(op)));
                    }
                    at += length;
                }
            }
        }
    }
    const auto& cache = st->impl().cache;
    line(cache ? "cache: " + cache->path() + ", " + std::to_string(cache->size()) + " bytes" : std::string("cache: none"));
    return out;
}

std::string change_stamp(const std::string& dir) {
    if (dir == "MEMORY")
        return {};
    struct stat st {};
    if (::stat((dir + "/loft.index.log").c_str(), &st) != 0)
        return {};
    return std::to_string(st.st_ino) + "-" + std::to_string(st.st_size) + "-" +
           std::to_string(static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec);
}

} // namespace mailstore::index
