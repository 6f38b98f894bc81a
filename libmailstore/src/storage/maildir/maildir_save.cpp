// MaildirBackend saves and copies (docs/maildir.md, "Sync and delivery"):
// prepare_save() writes tmp/<base> durably with no lock held; commit_saves()
// renames into new/ or cur/, fsyncs the directories, then under
// dovecot-uidlist.lock gives the files the next UIDs and appends their
// uidlist lines. Delivery never reads cur/: its cost does not grow with the
// mailbox.
#include "storage/maildir/maildir_backend.hpp"

#include "storage/compress.hpp"
#include "storage/maildir/maildir_io.hpp"
#include "storage/maildir/save_stream.hpp"

#include <mailstore/log.hpp>
#include <mailstore/storage/limits.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage::maildir {

namespace {

// Without mail_max_message_size, a message read from a file descriptor is
// still bounded (the index stores sizes in 64 bits, but memory is finite).
constexpr std::uint64_t default_read_limit = max_saved_message_size;

struct MaildirPendingSave final : PendingSave {
    std::string base;     // the file's base name, tmp/<base> until committed
    std::string rel;      // where commit put it ("new/..." or "cur/...")
    std::string mail_dir; // the folder (for stored_path)
    bool committed = false;
    // false: only its writeback was started; commit makes it durable
    // before the rename (a batch, see batch_sync_after).
    bool data_synced = true;
    // The backend's count of open saves, this one included until release().
    std::shared_ptr<std::atomic<std::uint32_t>> open_count;

    void release() {
        if (open_count)
            open_count->fetch_sub(1, std::memory_order_relaxed);
        open_count.reset();
    }
    ~MaildirPendingSave() override { release(); }
    std::string stored_path() const override { return committed ? mail_dir + "/" + rel : std::string(); }
};

Status write_all(int fd, std::string_view data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno_status("write", path);
        done += std::size_t(n);
    }
    return Status::ok();
}

Result<std::string> read_fd(int fd, std::uint64_t limit) {
    std::string out;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::io(std::string("reading the message to save: ") + std::strerror(errno));
        if (n == 0)
            break;
        out.append(buf, std::size_t(n));
        off += n;
        if (out.size() > limit)
            return Status::invalid("message larger than " + std::to_string(limit) + " bytes");
    }
    return out;
}

// The bytes as stored: LF-only unless mail_save_crlf = yes (Dovecot's
// default), and the virtual size (every line end counted as CRLF).
std::string normalize_line_ends(std::string_view in, bool crlf, std::uint64_t& vsize) {
    std::string out;
    out.reserve(in.size() + (crlf ? in.size() / 32 : 0));
    vsize = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
            if (crlf)
                out.push_back('\r');
            out.push_back('\n');
            vsize += 2;
            ++i;
        } else if (c == '\n') {
            if (crlf)
                out.push_back('\r');
            out.push_back('\n');
            vsize += 2;
        } else {
            out.push_back(c);
            ++vsize;
        }
    }
    return out;
}

std::int64_t base_time(std::string_view base) {
    std::int64_t t = 0;
    auto [p, ec] = std::from_chars(base.data(), base.data() + base.size(), t);
    return ec == std::errc() && p != base.data() ? t : 0;
}

} // namespace

// tmp/<base> made with O_EXCL under a fresh unique name.
Result<int> MaildirBackend::create_tmp_file(std::string& base, std::string& path, std::uint64_t psize,
                                            std::uint64_t vsize) {
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        base = new_base_name(settings_.hostname, psize, vsize);
        path = tmp_dir() + "/" + base;
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return errno_status("open", path);
        if (fd < 0)
            ::usleep(1); // same microsecond as another save of this process: next name
    }
    if (fd < 0)
        return Status::io("maildir: " + tmp_dir() + ": no unique file name found");
    return fd;
}

// The file's data durable per mail_fsync, its times set, closed; on failure
// the file is removed. Shared by the in-memory and the streamed save.
Status MaildirBackend::finish_tmp_file(int fd, const std::string& path, std::int64_t date, bool& data_synced) {
    auto fail = [&](Status s) {
        ::close(fd);
        ::unlink(path.c_str());
        return s;
    };
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = time_t(date);
    times[0].tv_nsec = times[1].tv_nsec = 0;
    if (::futimens(fd, times) != 0)
        return fail(errno_status("futimens", path));
    // Durable before commit: the data now, the rename and the directory
    // at commit (mail_fsync = optimized and always; never skips both).
    // In a batch (optimized only) the data sync waits for commit, which
    // makes all the batch's files durable at once before any rename;
    // writeback starts now so that the wait is short.
    const bool batched = settings_.fsync == index::FsyncMode::optimized &&
                         open_saves_->load(std::memory_order_relaxed) >= batch_sync_after;
    data_synced = true;
    if (batched) {
        data_synced = false;
        (void)::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); // a hint: commit syncs
    } else if (settings_.fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) {
        return fail(errno_status("fdatasync", path));
    }
    if (::close(fd) != 0) {
        Status s = errno_status("close", path);
        ::unlink(path.c_str());
        return s;
    }
    return Status::ok();
}

namespace {

// Whether `source` holds exactly the bytes a save would write: a regular
// file of `psize` bytes whose first bytes equal `head` (the first bytes of
// the normalized message). A compressed file or one stored with the other
// line ends differs in size or in its first bytes.
bool same_stored_bytes(const std::string& source, std::uint64_t psize, std::string_view head) {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct stat st {};
    bool same = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && std::uint64_t(st.st_size) == psize;
    if (same) {
        std::string buf(head.size(), '\0');
        std::size_t done = 0;
        while (done < buf.size()) {
            ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, off_t(done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += std::size_t(n);
        }
        same = done == buf.size() && buf == head;
    }
    ::close(fd);
    return same;
}

} // namespace

// A save read from a file descriptor: two passes over the descriptor, the
// first counting the sizes the file name carries (S=, W=), the second
// writing; at most a few chunks are in memory at once, whatever the size.
// With link_from (delivery's copies for several recipients) the second pass
// becomes a hard link when the file there holds the same bytes.
Result<std::unique_ptr<PendingSave>> MaildirBackend::prepare_streamed_save(const SaveRequest& request,
                                                                           std::uint64_t limit) {
    constexpr std::size_t head_bytes = 4096;
    LineEndNormalizer counter(settings_.save_crlf);
    std::string head;
    if (auto s = stream_normalized(request.header_prefix, request.fd, counter, limit,
                                   [&](std::string_view chunk) {
                                       if (head.size() < head_bytes)
                                           head.append(chunk.substr(0, head_bytes - head.size()));
                                       return Status::ok();
                                   });
        !s)
        return s;
    const std::uint64_t psize = counter.physical_size(), vsize = counter.virtual_size();
    if (psize == 0)
        return Status::invalid("cannot save an empty message");
    const std::int64_t date = request.internal_date ? *request.internal_date : std::int64_t(std::time(nullptr));

    auto pending = std::make_unique<MaildirPendingSave>();
    pending->mail_dir = paths().mail_dir;
    bool linked = false;
    if (!request.link_from.empty() && settings_.compress == CompressFormat::none &&
        same_stored_bytes(request.link_from, psize, head)) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            pending->base = new_base_name(settings_.hostname, psize, vsize);
            const std::string dst = tmp_dir() + "/" + pending->base;
            if (::link(request.link_from.c_str(), dst.c_str()) == 0) {
                linked = true;
                break;
            }
            if (errno != EEXIST)
                break; // EXDEV, EMLINK, gone meanwhile: write the bytes instead
            ::usleep(1);
        }
    }
    std::int64_t received = date;
    if (linked) {
        // The linked file's data is durable already (its save was
        // committed); its mtime is that save's date, shared by the links.
        struct stat st {};
        if (::stat((tmp_dir() + "/" + pending->base).c_str(), &st) == 0)
            received = st.st_mtime;
    } else {
        std::string path;
        auto made = create_tmp_file(pending->base, path, psize, vsize);
        if (!made)
            return made.status();
        const int fd = made.value();
        LineEndNormalizer writer(settings_.save_crlf);
        // S= and W= stay the uncompressed sizes, as Dovecot's zlib plugin
        // writes them.
        StreamCompressor compressor(settings_.compress, settings_.compress_level,
                                    [&](std::string_view chunk) { return write_all(fd, chunk, path); });
        Status written = stream_normalized(request.header_prefix, request.fd, writer, limit,
                                           [&](std::string_view chunk) { return compressor.write(chunk); });
        if (written)
            written = compressor.finish();
        if (written && (writer.physical_size() != psize || writer.virtual_size() != vsize))
            written = Status::io("maildir: the message changed while it was saved");
        if (!written) {
            ::close(fd);
            ::unlink(path.c_str());
            return written;
        }
        bool synced = true;
        if (auto s = finish_tmp_file(fd, path, date, synced); !s)
            return s;
        pending->data_synced = synced;
    }
    pending->open_count = open_saves_;
    open_saves_->fetch_add(1, std::memory_order_relaxed);
    pending->physical_size = psize;
    pending->virtual_size = vsize;
    pending->received_date = received;
    pending->flags = request.flags & all_mail_flags;
    pending->keywords = request.keywords;
    pending->guid = request.guid;
    pending->pop3_uidl = request.pop3_uidl;
    return std::unique_ptr<PendingSave>(std::move(pending));
}

Result<std::unique_ptr<PendingSave>> MaildirBackend::prepare_save(const SaveRequest& request) {
    try {
        std::string owned;
        std::string_view input = request.data;
        const std::uint64_t limit = settings_.max_message_size ? settings_.max_message_size : default_read_limit;
        // Streamed also when compressed (mail_compress / zlib_save): the
        // spool goes through the compressor a chunk at a time.
        if (request.fd >= 0)
            return prepare_streamed_save(request, limit);
        if (request.fd >= 0) {
            auto read = read_fd(request.fd, limit);
            if (!read)
                return read.status();
            owned = std::move(read.value());
            input = owned;
        }
        if (!request.header_prefix.empty()) {
            owned = std::string(request.header_prefix) + std::string(input);
            input = owned;
        }
        if (input.empty())
            return Status::invalid("cannot save an empty message");
        if (input.size() > limit)
            return Status::invalid("message of " + std::to_string(input.size()) +
                                   " bytes exceeds mail_max_message_size (" + std::to_string(limit) + ")");
        std::uint64_t vsize = 0;
        std::string stored = normalize_line_ends(input, settings_.save_crlf, vsize);
        owned.clear();
        owned.shrink_to_fit();
        const std::uint64_t psize = stored.size();
        std::string compressed;
        std::string_view file_bytes = stored;
        if (settings_.compress != CompressFormat::none) {
            // S= stays the uncompressed size, as Dovecot's zlib plugin writes it.
            auto c = compress(settings_.compress, settings_.compress_level, stored);
            if (!c)
                return c.status();
            compressed = std::move(c.value());
            file_bytes = compressed;
        }

        auto pending = std::make_unique<MaildirPendingSave>();
        pending->mail_dir = paths().mail_dir;
        std::string path;
        auto made = create_tmp_file(pending->base, path, psize, vsize);
        if (!made)
            return made.status();
        const int fd = made.value();
        if (auto s = write_all(fd, file_bytes, path); !s) {
            ::close(fd);
            ::unlink(path.c_str());
            return s;
        }
        const std::int64_t date = request.internal_date ? *request.internal_date : std::int64_t(std::time(nullptr));
        bool synced = true;
        if (auto s = finish_tmp_file(fd, path, date, synced); !s)
            return s;
        pending->data_synced = synced;
        pending->open_count = open_saves_;
        open_saves_->fetch_add(1, std::memory_order_relaxed);
        pending->physical_size = psize;
        pending->virtual_size = vsize;
        pending->received_date = date;
        pending->flags = request.flags & all_mail_flags;
        pending->keywords = request.keywords;
        pending->guid = request.guid;
        pending->pop3_uidl = request.pop3_uidl;
        return std::unique_ptr<PendingSave>(std::move(pending));
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory saving a message");
    }
}

Result<std::unique_ptr<PendingSave>> MaildirBackend::prepare_copy(MailboxBackend& source, Uid uid,
                                                                  const index::Record& record) {
    try {
        auto* src = dynamic_cast<MaildirBackend*>(&source);
        // A hard link shares the bytes: only when this folder stores them the
        // same way (maildir_copy_with_hardlinks; zlib_save of both sides).
        if (!settings_.copy_with_hardlinks || !src || src->settings_.compress != settings_.compress ||
            src->settings_.save_crlf != settings_.save_crlf)
            return std::unique_ptr<PendingSave>();
        std::string src_path;
        {
            std::lock_guard lock(src->shared_->mutex);
            auto found = src->locate_locked(uid, "");
            if (!found)
                return found.status();
            src_path = found.value();
        }
        auto slash = src_path.rfind('/');
        MaildirFilename parsed = parse_filename(src_path.substr(slash + 1));
        std::uint64_t psize = parsed.psize.value_or(record.physical_size);
        std::uint64_t vsize = parsed.vsize.value_or(record.virtual_size);
        if (psize == 0 || vsize == 0)
            return std::unique_ptr<PendingSave>(); // sizes unknown: read and save instead
        auto pending = std::make_unique<MaildirPendingSave>();
        pending->mail_dir = paths().mail_dir;
        for (int attempt = 0; attempt < 100; ++attempt) {
            pending->base = new_base_name(settings_.hostname, psize, vsize);
            const std::string dst = tmp_dir() + "/" + pending->base;
            if (::link(src_path.c_str(), dst.c_str()) == 0) {
                pending->physical_size = psize;
                pending->virtual_size = vsize;
                pending->received_date = record.received_date;
                pending->flags = record.flags;
                return std::unique_ptr<PendingSave>(std::move(pending));
            }
            if (errno == EEXIST) {
                ::usleep(1);
                continue;
            }
            if (errno == ENOENT && ::access(src_path.c_str(), F_OK) != 0)
                return Status::not_found("maildir: " + src_path + ": expunged while copying");
            // EXDEV (another file system), EPERM/EMLINK (no hard links here):
            // the generic layer reads and saves the message instead.
            return std::unique_ptr<PendingSave>();
        }
        return std::unique_ptr<PendingSave>();
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory copying a message");
    }
}

struct MaildirSaveRun {
    MaildirBackend& b;
    index::WriteContext& ctx;
    MaildirShared& sh;

    Status make_batch_durable(const std::vector<MaildirPendingSave*>& ps);

    Result<std::vector<Uid>> run(std::vector<std::unique_ptr<PendingSave>>& saves);
};

// One syncfs() of the mail file system makes every file of the batch
// durable: one journal commit instead of one per file. When syncfs fails
// (it reports writeback errors since Linux 5.8), each file is
// fdatasync'ed so that the error names the file.
Status MaildirSaveRun::make_batch_durable(const std::vector<MaildirPendingSave*>& ps) {
    if (std::all_of(ps.begin(), ps.end(), [](const MaildirPendingSave* p) { return p->data_synced; }))
        return Status::ok();
    const std::string tmp = b.tmp_dir();
    int dfd = ::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno_status("open", tmp);
    const bool all = ::syncfs(dfd) == 0;
    ::close(dfd);
    for (auto* p : ps) {
        if (p->data_synced)
            continue;
        if (!all) {
            const std::string path = tmp + "/" + p->base;
            int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return errno_status("open", path);
            const bool ok = ::fdatasync(fd) == 0;
            Status s = ok ? Status::ok() : errno_status("fdatasync", path);
            ::close(fd);
            if (!ok)
                return s;
        }
        p->data_synced = true;
    }
    return Status::ok();
}

Result<std::vector<Uid>> MaildirSaveRun::run(std::vector<std::unique_ptr<PendingSave>>& saves) {
    std::vector<MaildirPendingSave*> ps;
    for (auto& s : saves) {
        auto* p = dynamic_cast<MaildirPendingSave*>(s.get());
        if (!p)
            return Status::error(Status::Code::internal, "maildir: commit of a save made by another driver");
        ps.push_back(p);
    }
    if (ps.empty())
        return std::vector<Uid>();

    Dotlock dotlock;
    auto take_dotlock = [&]() -> Status {
        if (dotlock.held())
            return Status::ok();
        auto got = Dotlock::acquire(b.lock_target(), b.settings().lock_timeout);
        if (!got)
            return got.status();
        dotlock = std::move(got.value());
        return Status::ok();
    };

    // Keyword letters. A keyword without one gets a free letter under the
    // dotlock (then held to the end); the rest go to loft-keywords.
    auto kwread = read_keywords_file(b.keywords_path());
    if (!kwread)
        return kwread.status();
    KeywordsFile kw = std::move(kwread.value());
    bool need_letters = false;
    for (auto* p : ps)
        for (auto& k : p->keywords)
            if (!kw.letter_of(k))
                need_letters = true;
    if (need_letters) {
        if (auto s = take_dotlock(); !s)
            return s;
        auto again = read_keywords_file(b.keywords_path());
        if (!again)
            return again.status();
        kw = std::move(again.value());
        bool changed = false;
        for (auto* p : ps)
            for (auto& k : p->keywords)
                if (!kw.letter_of(k) && kw.assign(k))
                    changed = true;
        if (changed)
            if (auto s = write_keywords_file(b.keywords_path(), kw, b.settings().fsync); !s)
                return s;
    }
    LetterlessKeywords letterless; // by save position for now (uids later)
    std::vector<std::vector<std::string>> letterless_of(ps.size());

    // The data of a batch's later files, durable before the first rename.
    if (auto s = make_batch_durable(ps); !s)
        return s;

    // Rename into new/ (no flags: the message is new, \Recent) or cur/.
    // The directories' mtimes around the renames: when nobody else changed
    // them since the last sync, the index records the new mtimes, so the
    // next commit does not sync (delivery never reads cur/).
    const MaildirDriverState ds_old = parse_driver_state(ctx.current().header().driver_state);
    const std::int64_t pre_new = mtime_ns(b.new_dir()), pre_cur = mtime_ns(b.cur_dir());
    bool used_new = false, used_cur = false;
    std::size_t done = 0;
    Status rename_error;
    for (; done < ps.size(); ++done) {
        auto* p = ps[done];
        MaildirFilename f;
        f.base = p->base;
        f.flags = p->flags & all_mail_flags;
        for (auto& k : p->keywords) {
            if (auto l = kw.letter_of(k))
                f.keyword_letters.push_back(*l);
            else
                letterless_of[done].push_back(k);
        }
        std::sort(f.keyword_letters.begin(), f.keyword_letters.end());
        f.keyword_letters.erase(std::unique(f.keyword_letters.begin(), f.keyword_letters.end()),
                                f.keyword_letters.end());
        const bool to_cur = f.flags != 0 || !f.keyword_letters.empty();
        f.has_info = to_cur;
        p->rel = to_cur ? "cur/" + make_filename(f, false) : "new/" + make_filename(f, true);
        const std::string from = b.tmp_dir() + "/" + p->base, to = b.paths().mail_dir + "/" + p->rel;
        if (::rename(from.c_str(), to.c_str()) != 0) {
            rename_error = errno_status("rename", from);
            break;
        }
        (to_cur ? used_cur : used_new) = true;
    }
    auto undo_renames = [&]() {
        for (std::size_t i = 0; i < done; ++i) {
            const std::string from = b.paths().mail_dir + "/" + ps[i]->rel, to = b.tmp_dir() + "/" + ps[i]->base;
            if (::rename(from.c_str(), to.c_str()) != 0)
                ::unlink(from.c_str());
        }
    };
    if (!rename_error.is_ok()) {
        undo_renames();
        return rename_error;
    }
    const std::int64_t post_new = mtime_ns(b.new_dir()), post_cur = mtime_ns(b.cur_dir());
    if (b.settings().fsync != index::FsyncMode::never) {
        for (auto [used, dir] : {std::pair{used_new, b.new_dir()}, std::pair{used_cur, b.cur_dir()}}) {
            if (!used)
                continue;
            if (auto s = fsync_dir(dir); !s) {
                undo_renames();
                return s;
            }
        }
    }

    // UIDs, under the dotlock.
    if (auto s = take_dotlock(); !s) {
        undo_renames();
        return s;
    }
    struct stat ul_pre {};
    const bool ul_clean = ::stat(b.uidlist_path().c_str(), &ul_pre) == 0 &&
                          std::uint64_t(ul_pre.st_ino) == ds_old.uidlist_inode &&
                          std::int64_t(ul_pre.st_size) == ds_old.uidlist_size;
    Uidlist& ul = sh.uidlist;
    // Whether the kept uidlist was only appended to since (not read whole
    // again) or read now: only then may ul_clean vouch for the recorded
    // inode and size (the kept inode number may have been reused).
    const void* held_before = nullptr;
    if (!sh.uidlist_loaded) {
        auto read = read_uidlist(b.uidlist_path());
        if (!read) {
            undo_renames();
            return Status::error(Status::Code::temporary_failure,
                                 "maildir: " + b.uidlist_path() + ": " + read.status().message() +
                                     " (it is rebuilt at the next sync; try again)");
        }
        ul = std::move(read.value());
        sh.uidlist_loaded = true;
    } else {
        held_before = ul.held.get();
        auto r = refresh_uidlist(b.uidlist_path(), ul);
        if (!r) {
            sh.uidlist_loaded = false;
            undo_renames();
            return Status::error(Status::Code::temporary_failure,
                                 "maildir: " + b.uidlist_path() + ": " + r.status().message() +
                                     " (it is rebuilt at the next sync; try again)");
        }
    }
    const auto& hdr = ctx.current().header();
    if (hdr.uidvalidity != 0 && ul.header.uidvalidity != hdr.uidvalidity) {
        undo_renames();
        return Status::error(Status::Code::temporary_failure,
                             "maildir: " + b.uidlist_path() + ": UIDVALIDITY changed; resync and try again");
    }
    const Uid index_next = hdr.next_uid;

    // Entries the index lacks (delivered by others, e.g. dovecot-lda), and
    // our own files if another process already numbered them.
    std::map<std::string_view, std::size_t> ours;
    for (std::size_t i = 0; i < ps.size(); ++i)
        ours.emplace(ps[i]->base, i);
    std::vector<Uid> uids(ps.size(), 0);
    struct Append {
        Uid uid;
        std::size_t save; // SIZE_MAX: someone else's
        UidlistEntry entry; // a copy: appending may move ul.entries
    };
    std::vector<Append> appends;
    auto first = std::lower_bound(ul.entries.begin(), ul.entries.end(), index_next,
                                  [](const UidlistEntry& e, Uid u) { return e.uid < u; });
    for (auto it = first; it != ul.entries.end(); ++it) {
        if (auto o = ours.find(it->base); o != ours.end()) {
            uids[o->second] = it->uid;
            appends.push_back({it->uid, o->second, {}});
        } else {
            appends.push_back({it->uid, SIZE_MAX, *it});
        }
    }
    Uid next = std::max(ul.header.next_uid, index_next);
    if (!ul.entries.empty())
        next = std::max<Uid>(next, ul.entries.back().uid + 1);
    std::vector<UidlistEntry> added;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (uids[i] != 0)
            continue;
        UidlistEntry e;
        e.uid = uids[i] = next++;
        e.base = ps[i]->base;
        if (!ps[i]->guid.empty() && ps[i]->guid != ps[i]->base)
            e.ext.emplace_back('G', ps[i]->guid);
        if (!ps[i]->pop3_uidl.empty() && ps[i]->pop3_uidl != ps[i]->base)
            e.ext.emplace_back('P', ps[i]->pop3_uidl);
        added.push_back(std::move(e));
    }
    if (!added.empty()) {
        if (auto s = append_uidlist(b.uidlist_path(), ul, added, b.settings().fsync); !s) {
            undo_renames();
            return s;
        }
        if (ul.entries.empty() || ul.entries.back().uid < added.back().uid)
            for (auto& e : added)
                ul.entries.push_back(e);
        ul.header.next_uid = std::max(ul.header.next_uid, next);
    }
    struct stat ul_post {};
    const bool ul_after = ::stat(b.uidlist_path().c_str(), &ul_post) == 0;
    for (std::size_t i = 0; i < ps.size(); ++i)
        if (!letterless_of[i].empty())
            letterless[uids[i]] = letterless_of[i];
    if (!letterless.empty())
        if (auto s = b.append_loft_keywords_locked(letterless); !s)
            // The files are in the mailbox and numbered durably: the
            // delivery is done (failing it would make the sender deliver
            // it again); only the keywords without a letter are lost.
            log::Logger("maildir").errorf("{}: keywords of new messages not recorded: {}", b.keywords_path(),
                                          s.message());
    dotlock.release();

    // Index records, ascending: others' first where their UIDs are lower.
    for (std::size_t i = 0; i < ps.size(); ++i)
        if (std::none_of(appends.begin(), appends.end(), [&](const Append& a) { return a.save == i; }))
            appends.push_back({uids[i], i, {}});
    std::sort(appends.begin(), appends.end(), [](const Append& x, const Append& y) { return x.uid < y.uid; });
    const std::int64_t now = std::time(nullptr);
    bool unknown_files = false;
    for (const auto& a : appends) {
        index::Record rec;
        rec.uid = a.uid;
        std::vector<std::uint32_t> ids;
        if (a.save != SIZE_MAX) {
            auto* p = ps[a.save];
            rec.flags = p->flags & all_mail_flags;
            rec.physical_size = p->physical_size;
            rec.virtual_size = p->virtual_size;
            rec.received_date = p->received_date;
            rec.save_date = now;
            for (auto& k : p->keywords)
                ids.push_back(ctx.keyword_id(k));
            sh.names[a.uid] = p->rel;
            p->committed = true;
            p->release();
        } else {
            // Someone else's message: found without reading cur/ (new/BASE
            // or cur/BASE:2,); otherwise the next sync scans for it.
            const std::string base = a.entry.base;
            MaildirFilename parsed = parse_filename(base);
            struct stat st {};
            std::string rel;
            for (const std::string& cand : {"new/" + base, "cur/" + base + ":2,"})
                if (::stat((b.paths().mail_dir + "/" + cand).c_str(), &st) == 0) {
                    rel = cand;
                    break;
                }
            if (rel.empty()) {
                unknown_files = true;
                rec.received_date = base_time(base);
            } else {
                sh.names[a.uid] = rel;
                rec.received_date = st.st_mtime;
            }
            rec.physical_size = parsed.psize.value_or(0);
            rec.virtual_size = parsed.vsize.value_or(0);
            if (auto s = a.entry.field('S'); s && rec.physical_size == 0)
                rec.physical_size = std::strtoull(s->c_str(), nullptr, 10);
            if (auto w = a.entry.field('W'); w && rec.virtual_size == 0)
                rec.virtual_size = std::strtoull(w->c_str(), nullptr, 10);
            if (!rel.empty() && (rec.physical_size == 0 || rec.virtual_size == 0)) {
                // A file named without S=/W= whose line has no sizes either.
                if (auto sizes = message_file_sizes(b.paths().mail_dir + "/" + rel)) {
                    if (rec.physical_size == 0)
                        rec.physical_size = sizes.value().psize;
                    if (rec.virtual_size == 0)
                        rec.virtual_size = sizes.value().vsize;
                }
            }
            rec.save_date = now;
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        if (auto s = ctx.append(rec, ids); !s)
            return s;
    }
    ctx.set_next_uid(std::max(next, ul.header.next_uid));
    MaildirDriverState ds = ds_old;
    if (ds_old.new_mtime_ns >= 0 && used_new && pre_new == ds_old.new_mtime_ns) {
        ds.new_mtime_ns = post_new;
        ds.new_dirty = true;
    }
    if (ds_old.cur_mtime_ns >= 0 && used_cur && pre_cur == ds_old.cur_mtime_ns) {
        ds.cur_mtime_ns = post_cur;
        ds.cur_dirty = true;
    }
    if (ul_clean && ul_after && (held_before == nullptr || held_before == ul.held.get())) {
        ds.uidlist_inode = ul_post.st_ino;
        ds.uidlist_size = ul_post.st_size;
    }
    // Messages of others whose file was not found: the next sync reads
    // cur/ for their flags (or their expunge).
    if (unknown_files)
        ds.cur_mtime_ns = -1;
    if (!(ds == ds_old))
        ctx.set_driver_state(format_driver_state(ds));
    return uids;
}

Result<std::vector<Uid>> MaildirBackend::commit_saves(std::vector<std::unique_ptr<PendingSave>>& saves,
                                                      index::WriteContext& ctx) {
    try {
        std::lock_guard lock(shared_->mutex);
        MaildirSaveRun run{*this, ctx, *shared_};
        return run.run(saves);
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory committing saves");
    }
}

void MaildirBackend::abort_saves(std::vector<std::unique_ptr<PendingSave>>& saves) {
    for (auto& s : saves) {
        auto* p = dynamic_cast<MaildirPendingSave*>(s.get());
        if (p && !p->committed && !p->base.empty())
            ::unlink((tmp_dir() + "/" + p->base).c_str());
        if (p)
            p->release();
    }
}

} // namespace mailstore::storage::maildir
