// MaildirBackend::sync and needs_sync: the index made to agree with the
// Maildir (docs/maildir.md, "Sync and delivery").
//
// The files are the authority for messages and flags, dovecot-uidlist for
// UIDs, UIDVALIDITY and the mailbox GUID. sync() runs inside the index write
// lock and takes dovecot-uidlist.lock for the uidlist work, as Dovecot does.
#include "storage/maildir/maildir_backend.hpp"

#include "storage/maildir/maildir_io.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage::maildir {

namespace {

// tmp/ files whose ctime is older than this are left-overs of crashed saves
// (Dovecot deletes them after 36 hours too), checked at most once an hour.
constexpr std::time_t tmp_max_age = 36 * 3600;
constexpr std::time_t tmp_cleanup_interval = 3600;

bool parse_i64(std::string_view s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::array<std::uint8_t, 16> guid_bytes(const std::string& hex) {
    std::array<std::uint8_t, 16> out{};
    if (hex.size() != 32)
        return out;
    auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < 16; ++i) {
        int hi = val(hex[2 * i]), lo = val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return {};
        out[i] = std::uint8_t(hi * 16 + lo);
    }
    return out;
}

// Unix seconds at the start of a Maildir base name ("1764...M...."), or 0.
std::int64_t base_time(std::string_view base) {
    std::int64_t t = 0;
    auto [p, ec] = std::from_chars(base.data(), base.data() + base.size(), t);
    return ec == std::errc() && p != base.data() ? t : 0;
}

void uidlist_stat(const std::string& path, MaildirDriverState& ds) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        ds.uidlist_inode = st.st_ino;
        ds.uidlist_size = st.st_size;
    } else {
        ds.uidlist_inode = 0;
        ds.uidlist_size = -1;
    }
}

// Replaces loft-keywords with `keep` (tmp file + rename); removes it when empty.
Status write_loft_keywords(const std::string& path, const LetterlessKeywords& keep, index::FsyncMode fsync) {
    if (keep.empty()) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return errno_status("unlink", path);
        return Status::ok();
    }
    std::string text;
    for (const auto& [uid, names] : keep) {
        text += std::to_string(uid);
        for (const auto& n : names)
            text += " " + n;
        text += "\n";
    }
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno_status("open", tmp);
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            Status s = errno_status("write", tmp);
            ::close(fd);
            return s;
        }
        done += std::size_t(n);
    }
    if (fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) {
        Status s = errno_status("fdatasync", tmp);
        ::close(fd);
        return s;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return errno_status("rename", tmp);
    return Status::ok();
}

// Parses Dovecot's dovecot-uidvalidity contents: 8 lower-case hex digits
// without a newline ("6b0b6894"); 0 when malformed.
std::uint32_t parse_uidvalidity_hex(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.remove_suffix(1);
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    return ec == std::errc() && p == text.data() + text.size() && !text.empty() ? v : 0;
}

std::string uidvalidity_hex(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

// A new UIDVALIDITY for a mailbox under the mail root `dir`, as Dovecot 2.3
// gives them out (observed: after `doveadm mailbox create` the root holds
// dovecot-uidvalidity = the last value as 8 hex digits, and an empty, 0444
// marker dovecot-uidvalidity.<that hex>; a deleted and re-created folder
// gets last + 1 within the same second): max(now, last + 1), written back.
// RFC 3501 2.3.1.1: a re-created mailbox must not reuse the UIDVALIDITY.
// With the file missing or unreadable the markers are consulted; failing
// to write is logged and the value still used.
std::uint32_t next_uidvalidity(const std::string& dir, std::uint32_t at_least, log::Logger& logger) {
    static std::mutex mutex; // folders of one root sync on different threads
    std::lock_guard lock(mutex);
    std::uint32_t now = std::uint32_t(std::time(nullptr));
    std::uint32_t v = std::max(now, at_least);
    if (dir.empty())
        return v;
    const std::string path = dir + "/dovecot-uidvalidity";
    std::uint32_t last = 0;
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        char buf[64];
        ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        if (n > 0)
            last = parse_uidvalidity_hex(std::string_view(buf, std::size_t(n)));
    }
    std::string old_marker;
    if (auto listed = list_dir(dir)) {
        for (const auto& n : listed.value()) {
            if (n.rfind("dovecot-uidvalidity.", 0) != 0)
                continue;
            std::uint32_t m = parse_uidvalidity_hex(std::string_view(n).substr(20));
            if (m == 0)
                continue;
            if (m >= last) {
                last = m;
                old_marker = n;
            }
        }
    } else {
        return v; // no root (yet): nothing to keep the value in
    }
    if (last != 0 && last != 0xffffffffu)
        v = std::max(v, last + 1);
    const std::string hex = uidvalidity_hex(v);
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && ::write(fd, hex.data(), hex.size()) == ssize_t(hex.size());
    if (fd >= 0)
        ::close(fd);
    ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        logger.warningf("{}: cannot write ({}); UIDVALIDITY {} is not remembered for re-created mailboxes",
                        path, std::strerror(errno), v);
        ::unlink(tmp.c_str());
        return v;
    }
    const std::string marker = path + "." + hex;
    fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd >= 0)
        ::close(fd);
    if (!old_marker.empty() && dir + "/" + old_marker != marker)
        ::unlink((dir + "/" + old_marker).c_str());
    return v;
}

} // namespace

LetterlessKeywords parse_loft_keywords(std::string_view text) {
    LetterlessKeywords out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos)
            break; // a line being appended (or cut by a crash): ignored
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        std::vector<std::string> words;
        while (!line.empty()) {
            auto sp = line.find(' ');
            std::string_view w = line.substr(0, sp);
            if (!w.empty())
                words.emplace_back(w);
            if (sp == std::string_view::npos)
                break;
            line.remove_prefix(sp + 1);
        }
        if (words.empty())
            continue;
        std::int64_t uid = 0;
        if (!parse_i64(words[0], uid) || uid <= 0 || uid > 0xffffffffLL)
            continue;
        words.erase(words.begin());
        out[Uid(uid)] = std::move(words);
    }
    for (auto it = out.begin(); it != out.end();)
        it = it->second.empty() ? out.erase(it) : std::next(it);
    return out;
}

std::string format_driver_state(const MaildirDriverState& s) {
    return "maildir1 new=" + std::to_string(s.new_mtime_ns) + " cur=" + std::to_string(s.cur_mtime_ns) +
           " ul=" + std::to_string(s.uidlist_inode) + ":" + std::to_string(s.uidlist_size) +
           (s.new_dirty || s.cur_dirty ? std::string(" dirty=") + (s.new_dirty ? "n" : "") + (s.cur_dirty ? "c" : "")
                                       : std::string());
}

MaildirDriverState parse_driver_state(std::string_view text) {
    MaildirDriverState s;
    if (text.rfind("maildir1 ", 0) != 0)
        return s;
    text.remove_prefix(9);
    MaildirDriverState out;
    while (!text.empty()) {
        auto sp = text.find(' ');
        std::string_view w = text.substr(0, sp);
        text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
        auto eq = w.find('=');
        if (eq == std::string_view::npos)
            return s;
        std::string_view key = w.substr(0, eq), val = w.substr(eq + 1);
        if (key == "new") {
            if (!parse_i64(val, out.new_mtime_ns)) return s;
        } else if (key == "cur") {
            if (!parse_i64(val, out.cur_mtime_ns)) return s;
        } else if (key == "ul") {
            auto colon = val.find(':');
            std::int64_t ino = 0;
            if (colon == std::string_view::npos || !parse_i64(val.substr(0, colon), ino) ||
                !parse_i64(val.substr(colon + 1), out.uidlist_size))
                return s;
            out.uidlist_inode = std::uint64_t(ino);
        } else if (key == "dirty") {
            out.new_dirty = val.find('n') != std::string_view::npos;
            out.cur_dirty = val.find('c') != std::string_view::npos;
        }
    }
    return out;
}

bool MaildirBackend::needs_sync(const index::IndexState& state) {
    const auto& h = state.header();
    if (h.uidvalidity == 0)
        return true;
    MaildirDriverState recorded = parse_driver_state(h.driver_state);
    if (recorded.new_mtime_ns < 0 || recorded.cur_mtime_ns < 0)
        return true;
    const std::int64_t t = now_ns();
    for (auto [dir, mtime, dirty] : {std::tuple{new_dir(), recorded.new_mtime_ns, recorded.new_dirty},
                                     std::tuple{cur_dir(), recorded.cur_mtime_ns, recorded.cur_dirty}}) {
        if (mtime_ns(dir) != mtime || (dirty && t - mtime > dirty_window_ns))
            return true;
    }
    MaildirDriverState now;
    uidlist_stat(uidlist_path(), now);
    return now.uidlist_inode != recorded.uidlist_inode || now.uidlist_size != recorded.uidlist_size;
}

// One run of sync(): everything it learns on the way.
struct MaildirSyncRun {
    MaildirBackend& b;
    index::WriteContext& ctx;
    MaildirShared& sh;
    log::Logger logger{"maildir"};

    struct FileInfo {
        std::string rel; // "cur/NAME" or "new/NAME"
        MaildirFilename parsed;
    };

    void cleanup_tmp() {
        const std::time_t now = std::time(nullptr);
        if (now - sh.last_tmp_cleanup < tmp_cleanup_interval)
            return;
        sh.last_tmp_cleanup = now;
        auto listed = list_dir(b.tmp_dir());
        if (!listed)
            return;
        for (const auto& n : listed.value()) {
            const std::string p = b.tmp_dir() + "/" + n;
            struct stat st {};
            // ctime, not mtime: a save in progress has its mtime set to the
            // message's internal date, which may be years old.
            if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && now - st.st_ctime > tmp_max_age &&
                now - st.st_mtime > tmp_max_age) {
                if (::unlink(p.c_str()) == 0)
                    logger.infof("{}: deleted stale temporary file (older than 36 hours)", p);
            }
        }
    }

    // Moves new/ files to cur/ (adding ":2,") and returns what is there.
    Status scan_new(std::vector<FileInfo>& files, bool& moved_any) {
        auto listed = list_message_files(b.new_dir());
        if (!listed)
            return listed.status();
        for (auto& n : listed.value()) {
            MaildirFilename parsed = parse_filename(n);
            std::string target = n;
            if (!parsed.has_info) {
                parsed.has_info = true;
                target = make_filename(parsed, false);
            }
            const std::string from = b.new_dir() + "/" + n, to = b.cur_dir() + "/" + target;
            if (::rename(from.c_str(), to.c_str()) == 0) {
                moved_any = true;
                files.push_back({"cur/" + target, std::move(parsed)});
                continue;
            }
            if (errno == ENOENT) {
                // Moved by someone else (to cur/, by another agent): this
                // sync reads cur/ too, so the file is found under its new
                // name now and not left for a later sync that may skip it.
                new_raced = true;
                continue;
            }
            // A read-only Maildir (EROFS, EACCES): the message stays in new/.
            files.push_back({"new/" + n, std::move(parsed)});
        }
        return Status::ok();
    }

    Status scan_cur(std::vector<FileInfo>& files) {
        auto listed = list_message_files(b.cur_dir());
        if (!listed)
            return listed.status();
        files.reserve(files.size() + listed.value().size());
        for (auto& n : listed.value()) {
            MaildirFilename parsed = parse_filename(n);
            files.push_back({"cur/" + n, std::move(parsed)});
        }
        return Status::ok();
    }

    Status run(bool full);

    bool new_raced = false; // a new/ file vanished before our rename
};

Status MaildirSyncRun::run(bool full) {
    const auto& hdr0 = ctx.current().header();
    const MaildirDriverState old = parse_driver_state(hdr0.driver_state);
    const bool fresh = hdr0.uidvalidity == 0;
    if (!b.exists())
        return Status::not_found("maildir: " + b.cur_dir() + ": missing (the mailbox was deleted?)");
    cleanup_tmp();

    Result<Dotlock> locked = Dotlock::acquire(b.lock_target(), b.settings().lock_timeout);
    if (!locked)
        return locked.status();
    Dotlock dotlock = std::move(locked.value());

    MaildirDriverState ds;
    // Each directory's mtime is taken before it is read, so a change during
    // the scan leaves a different mtime and triggers another sync.
    ds.new_mtime_ns = mtime_ns(b.new_dir());
    const std::int64_t cur_before = mtime_ns(b.cur_dir());
    const std::int64_t t0 = now_ns();
    bool want_new = full || fresh || old.new_mtime_ns < 0 || ds.new_mtime_ns != old.new_mtime_ns ||
                    (old.new_dirty && t0 - old.new_mtime_ns > dirty_window_ns);
    bool want_cur = full || fresh || old.cur_mtime_ns < 0 || cur_before != old.cur_mtime_ns ||
                    (old.cur_dirty && t0 - old.cur_mtime_ns > dirty_window_ns);

    // The uidlist.
    bool ul_missing = false;
    if (!sh.uidlist_loaded) {
        auto read = read_uidlist(b.uidlist_path());
        if (read) {
            sh.uidlist = std::move(read.value());
            sh.uidlist_loaded = true;
        } else if (read.status().code() == Status::Code::not_found) {
            ul_missing = true;
        } else if (read.status().code() == Status::Code::invalid_argument) {
            logger.errorf("{}: corrupt ({}), rebuilding it with a new UIDVALIDITY", b.uidlist_path(),
                          read.status().message());
            ul_missing = true;
        } else {
            return read.status();
        }
    } else {
        auto r = refresh_uidlist(b.uidlist_path(), sh.uidlist);
        if (!r) {
            if (r.status().code() == Status::Code::not_found) {
                ul_missing = true;
            } else if (r.status().code() == Status::Code::invalid_argument) {
                logger.errorf("{}: corrupt ({}), rebuilding it with a new UIDVALIDITY", b.uidlist_path(),
                              r.status().message());
                ul_missing = true;
            } else {
                return r.status();
            }
            sh.uidlist_loaded = false;
        }
    }

    bool rebuild = fresh;
    std::uint32_t lost_uidvalidity = 0;
    if (ul_missing) {
        const std::uint32_t v =
            next_uidvalidity(b.paths().uidvalidity_dir, hdr0.uidvalidity != 0 ? hdr0.uidvalidity + 1 : 0, logger);
        sh.uidlist = Uidlist{};
        sh.uidlist.header.version = 3;
        sh.uidlist.header.uidvalidity = v;
        sh.uidlist.header.next_uid = 1;
        sh.uidlist.header.guid = random_guid_hex();
        sh.uidlist_loaded = false; // not on disk yet
        sh.forget_names();
        lost_uidvalidity = v; // logged once the files are known (below)
        if (!fresh)
            ctx.reset();
        rebuild = true;
    } else if (!fresh && hdr0.uidvalidity != sh.uidlist.header.uidvalidity) {
        logger.infof("{}: UIDVALIDITY changed from {} to {} in dovecot-uidlist, rebuilding the index",
                     b.paths().mail_dir, hdr0.uidvalidity, sh.uidlist.header.uidvalidity);
        ctx.reset();
        sh.forget_names();
        rebuild = true;
    }
    if (rebuild) {
        want_new = want_cur = true;
        ctx.set_uidvalidity(sh.uidlist.header.uidvalidity);
        ctx.set_mailbox_guid(guid_bytes(sh.uidlist.header.guid));
        // The messages an existing uidlist numbers were seen by whoever
        // numbered them: a new index (a Maildir migrated without Dovecot's
        // index files, or a lost index) shows them without \Recent, as
        // Dovecot does; only the files numbered now are recent.
        if (!ul_missing)
            ctx.set_first_recent_uid(sh.uidlist.header.next_uid);
    }

    // The files.
    std::vector<FileInfo> files;
    bool moved_any = false;
    if (want_new) {
        if (auto s = scan_new(files, moved_any); !s)
            return s;
        if (new_raced)
            want_cur = true;
        ds.new_mtime_ns = mtime_ns(b.new_dir()); // our own moves changed it
    } else {
        ds.new_mtime_ns = old.new_mtime_ns;
    }
    bool complete = false; // a whole cur/ listing nobody changed during the read
    if (want_cur) {
        files.clear(); // the moved files are in the cur/ listing
        ds.cur_mtime_ns = mtime_ns(b.cur_dir());
        if (auto s = scan_cur(files); !s)
            return s;
        // Messages may also be in new/: our own deliveries stay there until
        // a sync moves them, and a read-only Maildir keeps them there.
        const std::int64_t new_before = mtime_ns(b.new_dir());
        auto listed = list_message_files(b.new_dir());
        if (!listed)
            return listed.status();
        for (auto& n : listed.value())
            files.push_back({"new/" + n, parse_filename(n)});
        complete = mtime_ns(b.cur_dir()) == ds.cur_mtime_ns && mtime_ns(b.new_dir()) == new_before;
        if (!complete)
            ds.cur_mtime_ns = -1;
    } else {
        // Only our own moves changed cur/ (its mtime was the recorded one
        // before them): the mtime after them is recorded, marked dirty so
        // that cur/ is read once more after dirty_window_ns.
        ds.cur_mtime_ns = moved_any ? mtime_ns(b.cur_dir()) : old.cur_mtime_ns;
    }

    // A missing uidlist is news only when something was numbered before:
    // messages on disk or an index that had a UIDVALIDITY. A new, empty
    // mailbox simply gets its first uidlist.
    if (lost_uidvalidity != 0) {
        if (!fresh || !files.empty())
            logger.infof("{}: dovecot-uidlist missing, new UIDVALIDITY {}", b.paths().mail_dir, lost_uidvalidity);
        else
            logger.debugf("{}: new dovecot-uidlist, UIDVALIDITY {}", b.paths().mail_dir, lost_uidvalidity);
    }

    // UIDs: files without one get the next UIDs in file-name order.
    Uidlist& ul = sh.uidlist;
    std::unordered_map<std::string_view, std::size_t> by_base;
    by_base.reserve(ul.entries.size());
    for (std::size_t i = 0; i < ul.entries.size(); ++i)
        by_base.emplace(ul.entries[i].base, i);
    std::vector<std::size_t> unnumbered;
    std::vector<std::pair<Uid, std::size_t>> numbered; // uid, index into files
    numbered.reserve(files.size());
    std::unordered_set<std::string_view> seen_bases;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string& base = files[i].parsed.base;
        if (!seen_bases.insert(base).second)
            continue; // the same base in new/ and cur/ (being moved): once
        auto it = by_base.find(base);
        if (it != by_base.end())
            numbered.emplace_back(ul.entries[it->second].uid, i);
        else
            unnumbered.push_back(i);
    }
    std::sort(unnumbered.begin(), unnumbered.end(),
              [&](std::size_t a, std::size_t c) { return files[a].parsed.base < files[c].parsed.base; });
    Uid next = ul.header.next_uid;
    if (!ul.entries.empty())
        next = std::max<Uid>(next, ul.entries.back().uid + 1);
    if (!rebuild)
        next = std::max<Uid>(next, ctx.current().header().next_uid);
    std::vector<UidlistEntry> added;
    // Sizes of files whose name lacks S= or W= (Postfix-style deliveries,
    // files dropped by hand): read once here and kept in the uidlist line as
    // S and W fields, as Dovecot 2.3 records them ("1 S32 W36 :BASE"), so
    // neither we nor Dovecot read the file again for them.
    std::unordered_map<std::size_t, FileSizes> computed; // index into files
    for (std::size_t i : unnumbered) {
        UidlistEntry e;
        e.uid = next++;
        e.base = files[i].parsed.base;
        if (!files[i].parsed.psize || !files[i].parsed.vsize) {
            auto sizes = message_file_sizes(b.paths().mail_dir + "/" + files[i].rel);
            if (sizes && sizes.value().psize > 0) {
                computed[i] = sizes.value();
                e.ext.emplace_back('S', std::to_string(sizes.value().psize));
                e.ext.emplace_back('W', std::to_string(sizes.value().vsize));
            }
        }
        numbered.emplace_back(e.uid, i);
        added.push_back(std::move(e));
    }
    by_base.clear(); // its keys point into entries that the writes below may move

    // A numbered file the index never had, below UIDs it has, and not in
    // its expunge history: a sync missed it (its file moved from new/ to
    // cur/ behind our back). Skipping it would hide it for good, inserting
    // it below UIDs already announced breaks RFC 3501 2.3.1.1 (clients
    // fetch "last+1:*" and would never see it): it gets the next UID, its
    // uidlist line is rewritten under the new UID (GUID and sizes kept).
    std::size_t renumbered = 0;
    if (!rebuild) {
        const auto& st = ctx.current();
        const Uid index_last = st.count() > 0 ? st.at(st.count() - 1).uid : 0;
        for (auto& [uid, i] : numbered) {
            if (uid >= index_last || st.find(uid) || st.in_expunge_history(uid))
                continue;
            auto it = std::lower_bound(ul.entries.begin(), ul.entries.end(), uid,
                                       [](const UidlistEntry& x, Uid u) { return x.uid < u; });
            if (it == ul.entries.end() || it->uid != uid)
                continue;
            UidlistEntry e = *it;
            ul.entries.erase(it);
            e.uid = next++;
            logger.warningf("{}: {} (UID {}) was never indexed and lies below UID {}: renumbered to UID {}",
                            b.paths().mail_dir, files[i].rel, uid, index_last, e.uid);
            uid = e.uid;
            added.push_back(std::move(e));
            ++renumbered;
        }
    }
    std::sort(numbered.begin(), numbered.end());

    // Write the uidlist: appended, or rewritten when missing or when more
    // than a quarter of its lines are dead (Dovecot compacts likewise).
    std::size_t dead = 0;
    if (complete)
        dead = ul.entries.size() - (numbered.size() - added.size());
    const bool rewrite = ul_missing || !sh.uidlist_loaded || renumbered > 0 ||
                         (complete && dead * 4 > ul.entries.size());
    if (rewrite) {
        Uidlist fresh_list;
        fresh_list.header = ul.header;
        fresh_list.header.next_uid = next;
        std::unordered_set<std::string_view> live;
        if (complete || ul_missing)
            for (auto& [uid, i] : numbered)
                live.insert(files[i].parsed.base);
        for (auto& e : ul.entries)
            if (!(complete || ul_missing) || live.count(e.base))
                fresh_list.entries.push_back(e);
        for (auto& e : added)
            fresh_list.entries.push_back(e);
        std::sort(fresh_list.entries.begin(), fresh_list.entries.end(),
                  [](const UidlistEntry& x, const UidlistEntry& y) { return x.uid < y.uid; });
        if (auto s = write_uidlist(b.uidlist_path(), fresh_list, b.settings().fsync); !s)
            return s;
        auto reread = read_uidlist(b.uidlist_path());
        if (!reread)
            return reread.status();
        ul = std::move(reread.value());
        sh.uidlist_loaded = true;
        // loft-keywords is compacted with the uidlist (below, once the
        // index's letterless keywords are known).
    } else if (!added.empty()) {
        if (auto s = append_uidlist(b.uidlist_path(), ul, added, b.settings().fsync); !s)
            return s;
        if (ul.entries.empty() || ul.entries.back().uid < added.back().uid)
            for (auto& e : added)
                ul.entries.push_back(e);
        ul.header.next_uid = std::max(ul.header.next_uid, next);
    }

    // Keyword letters, and the keywords that have none.
    auto kwread = read_keywords_file(b.keywords_path());
    if (!kwread)
        return kwread.status();
    const KeywordsFile& kw = kwread.value();
    LetterlessKeywords from_file;
    if (rebuild) {
        int fd = ::open(b.loft_keywords_path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            std::string text;
            char buf[65536];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0)
                text.append(buf, std::size_t(n));
            ::close(fd);
            from_file = parse_loft_keywords(text);
        }
    }

    auto ids_of = [&](const FileInfo& f, Uid uid, const index::Record* rec) {
        std::vector<std::uint32_t> ids;
        for (char l : f.parsed.keyword_letters) {
            const std::string& name = kw.name_of(l);
            if (!name.empty())
                ids.push_back(ctx.keyword_id(name));
        }
        if (rec) {
            const auto& st = ctx.current();
            const auto& names = st.header().keywords;
            for (auto id : st.keyword_ids(*rec))
                if (id < names.size() && !kw.letter_of(names[id]))
                    ids.push_back(id);
        } else if (auto it = from_file.find(uid); it != from_file.end()) {
            for (const auto& name : it->second)
                if (!kw.letter_of(name))
                    ids.push_back(ctx.keyword_id(name));
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        return ids;
    };

    // Make the index agree.
    const std::int64_t now = std::time(nullptr);
    if (want_cur && complete)
        sh.forget_names();
    Uid last_index_uid = 0;
    {
        const auto& st = ctx.current();
        if (st.count() > 0)
            last_index_uid = st.at(st.count() - 1).uid;
    }
    std::unordered_set<Uid> present;
    if (complete)
        present.reserve(numbered.size());
    for (auto& [uid, i] : numbered) {
        const FileInfo& f = files[i];
        sh.names[uid] = f.rel;
        if (complete)
            present.insert(uid);
        const auto& st = ctx.current();
        if (auto pos = st.find(uid)) {
            const index::Record rec = st.at(*pos);
            auto want = ids_of(f, uid, &rec);
            auto have = st.keyword_ids(rec);
            std::sort(have.begin(), have.end());
            if (rec.flags != f.parsed.flags || have != want)
                if (auto s = ctx.set_flags(uid, f.parsed.flags, want); !s)
                    return s;
            continue;
        }
        if (uid <= last_index_uid)
            continue; // expunged from the index earlier (renumbered above otherwise): UIDs are never reused
        index::Record rec;
        rec.uid = uid;
        rec.flags = f.parsed.flags;
        const std::string path = b.paths().mail_dir + "/" + f.rel;
        struct stat fst {};
        const bool have_stat = ::stat(path.c_str(), &fst) == 0;
        const UidlistEntry* e = nullptr;
        {
            auto it = std::lower_bound(ul.entries.begin(), ul.entries.end(), uid,
                                       [](const UidlistEntry& x, Uid u) { return x.uid < u; });
            if (it != ul.entries.end() && it->uid == uid)
                e = &*it;
        }
        auto ext_num = [&](char key) -> std::optional<std::uint64_t> {
            if (!e)
                return std::nullopt;
            auto v = e->field(key);
            std::int64_t n = 0;
            if (v && parse_i64(*v, n) && n >= 0)
                return std::uint64_t(n);
            return std::nullopt;
        };
        if (f.parsed.psize)
            rec.physical_size = *f.parsed.psize;
        else if (auto s = ext_num('S'))
            rec.physical_size = *s;
        if (f.parsed.vsize)
            rec.virtual_size = *f.parsed.vsize;
        else if (auto w = ext_num('W'))
            rec.virtual_size = *w;
        if (rec.physical_size == 0 || rec.virtual_size == 0) {
            // Neither the name nor the uidlist line knows (a line Dovecot
            // wrote before it read the file): read the file now.
            auto c = computed.find(i);
            Result<FileSizes> sizes = c != computed.end() ? Result<FileSizes>(c->second)
                                                          : message_file_sizes(path);
            if (sizes) {
                if (rec.physical_size == 0)
                    rec.physical_size = sizes.value().psize;
                if (rec.virtual_size == 0)
                    rec.virtual_size = sizes.value().vsize;
            } else if (sizes.status().code() != Status::Code::not_found) {
                logger.warningf("{}: sizes unknown: {}", path, sizes.status().message());
            }
        }
        rec.received_date = have_stat ? fst.st_mtime : base_time(f.parsed.base);
        rec.save_date = rebuild && have_stat ? fst.st_ctime : now;
        if (auto s = ctx.append(rec, ids_of(f, uid, nullptr)); !s)
            return s;
        last_index_uid = uid;
    }
    if (complete) {
        std::vector<Uid> gone;
        const auto& st = ctx.current();
        for (std::uint32_t i = 0; i < st.count(); ++i)
            if (!present.count(st.at(i).uid))
                gone.push_back(st.at(i).uid);
        for (Uid uid : gone)
            if (auto s = ctx.expunge(uid); !s)
                return s;
    }
    ctx.set_next_uid(std::max(next, ul.header.next_uid));

    // Compact loft-keywords along with a rewritten uidlist: one line per
    // live UID that has letterless keywords.
    if (rewrite) {
        LetterlessKeywords keep;
        const auto& st = ctx.current();
        const auto& names = st.header().keywords;
        for (std::uint32_t i = 0; i < st.count(); ++i) {
            const auto& rec = st.at(i);
            if (rec.keyword_bits == 0 && st.extra_keywords(rec.uid).empty())
                continue;
            for (auto id : st.keyword_ids(rec))
                if (id < names.size() && !kw.letter_of(names[id]))
                    keep[rec.uid].push_back(names[id]);
        }
        if (auto s = write_loft_keywords(b.loft_keywords_path(), keep, b.settings().fsync); !s)
            return s;
    }

    uidlist_stat(b.uidlist_path(), ds);
    const std::int64_t t = now_ns();
    ds.new_dirty = ds.new_mtime_ns >= 0 && ds.new_mtime_ns > t - dirty_window_ns;
    ds.cur_dirty = ds.cur_mtime_ns >= 0 && ds.cur_mtime_ns > t - dirty_window_ns;
    std::string state = format_driver_state(ds);
    if (state != ctx.current().header().driver_state)
        ctx.set_driver_state(std::move(state));
    return Status::ok();
}

Status MaildirBackend::sync(index::WriteContext& ctx, bool full) {
    try {
        std::lock_guard lock(shared_->mutex);
        MaildirSyncRun run{*this, ctx, *shared_};
        return run.run(full);
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: " + paths_.mail_dir + ": out of memory while syncing");
    }
}

} // namespace mailstore::storage::maildir
