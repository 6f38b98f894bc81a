// MaildirBackend: construction, file lookup, flag changes (renames),
// expunges (unlinks) and reading messages back. Sync is in maildir_sync.cpp,
// saves and copies in maildir_save.cpp.
#include "storage/maildir/maildir_backend.hpp"

#include "storage/kept_states.hpp"

#include "storage/maildir/maildir_io.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string_view>
#include <unordered_map>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage::maildir {

// ---- helpers (maildir_io.hpp) ----

Status errno_status(const std::string& what, const std::string& path) {
    const int err = errno;
    std::string msg = what + "(" + path + ") failed: " + std::strerror(err);
    if (err == ENOENT)
        return Status::not_found(msg);
    if (err == EACCES || err == EPERM)
        return Status::error(Status::Code::permission_denied,
                             msg + " (check the owner and mode of the Maildir; the mail uid must own it)");
    return Status::io(msg);
}

std::int64_t mtime_ns(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return -1;
    return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::int64_t now_ns() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return errno_status("opendir", dir);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.')
            names.emplace_back(e->d_name);
        errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) {
        errno = err;
        return errno_status("readdir", dir);
    }
    return names;
}

namespace {

// Each non-regular file is logged once per process (bounded, so a directory
// full of them cannot grow the set without limit).
void log_not_regular_once(const std::string& path) {
    static std::mutex mutex;
    static std::set<std::string> logged;
    {
        std::lock_guard lock(mutex);
        if (logged.size() >= 1000 || !logged.insert(path).second)
            return;
    }
    log::Logger("maildir").warningf("{}: not a regular file (a FIFO, socket, device or directory), "
                                    "ignored; remove it from the Maildir",
                                    path);
}

} // namespace

Result<std::vector<std::string>> list_message_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return errno_status("opendir", dir);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') {
            bool regular = e->d_type == DT_REG;
            if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
                // stat() follows a symlink; one that dangles stays listed
                // (its open fails with ENOENT like a file moved meanwhile).
                struct stat st {};
                const std::string p = dir + "/" + e->d_name;
                regular = ::stat(p.c_str(), &st) != 0 || S_ISREG(st.st_mode);
            }
            if (regular)
                names.emplace_back(e->d_name);
            else
                log_not_regular_once(dir + "/" + e->d_name);
        }
        errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) {
        errno = err;
        return errno_status("readdir", dir);
    }
    return names;
}

int open_message_fd(const std::string& path) {
    // O_NONBLOCK: open() of a FIFO would wait for a writer; on a regular
    // file the flag has no effect on reads.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        log_not_regular_once(path);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

Status not_regular_status(const std::string& path) {
    return Status::io("maildir: " + path + ": not a regular file (a FIFO, socket or device?); remove it from the Maildir");
}

Status fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno_status("open", dir);
    if (::fsync(fd) != 0) {
        Status s = errno_status("fsync", dir);
        ::close(fd);
        return s;
    }
    ::close(fd);
    return Status::ok();
}

std::uint64_t virtual_size_of(std::string_view bytes) {
    std::uint64_t bare_lf = 0;
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    while (p < end) {
        const void* hit = std::memchr(p, '\n', std::size_t(end - p));
        if (!hit)
            break;
        const char* nl = static_cast<const char*>(hit);
        if (nl == bytes.data() || nl[-1] != '\r')
            ++bare_lf;
        p = nl + 1;
    }
    return bytes.size() + bare_lf;
}

Result<FileSizes> message_file_sizes(const std::string& path) {
    int fd = open_message_fd(path);
    if (fd < 0)
        return errno == EINVAL ? not_regular_status(path) : errno_status("open", path);
    auto data = map_message_file(fd);
    ::close(fd);
    if (!data)
        return Status::io("maildir: " + path + ": " + data.status().message());
    const std::string_view bytes = data.value().bytes();
    return FileSizes{bytes.size(), virtual_size_of(bytes)};
}

std::string random_guid_hex() {
    std::random_device rd;
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 4; ++i) {
        std::uint32_t v = rd();
        for (int j = 0; j < 8; ++j) {
            out.push_back(hex[v & 0xf]);
            v >>= 4;
        }
    }
    return out;
}

std::size_t kept_folder_state_estimate(MaildirShared& shared) {
    std::unique_lock lock(shared.mutex, std::try_to_lock);
    if (!lock.owns_lock())
        return SIZE_MAX;
    // Each uidlist entry with its base name and fields; each recorded name.
    return 1024 + shared.uidlist.header_line.size() +
           shared.uidlist.entries.size() * (sizeof(UidlistEntry) + 64) +
           shared.names.size() * (sizeof(Uid) + sizeof(std::string) + 80);
}

namespace {

// The folder's identity: an O_PATH descriptor of its control directory
// (where dovecot-uidlist lives), -1 when it does not exist yet.
int open_identity(const std::string& control_dir) {
    return ::open(control_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

// Whether the control directory at `path` is still the one `fd` holds.
// The descriptor keeps that directory's inode from being reused, so a
// folder deleted and recreated always shows as another directory.
bool same_directory(int fd, const std::string& path) {
    if (fd < 0)
        return false;
    struct stat held {}, now {};
    return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
           held.st_ino == now.st_ino && held.st_nlink > 0;
}

// One MaildirShared per folder and process, alive while a backend uses it
// and, for the few most recently used folders, after that: the next
// delivery to the folder reads only the uidlist lines appended since
// instead of the whole file. A kept one is reused only while its folder is
// the same directory (not deleted and recreated meanwhile).
std::shared_ptr<MaildirShared> shared_for(const std::string& key, const std::string& control_dir) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<MaildirShared>> registry;
    static KeptStates<MaildirShared> recent(kept_folder_states, kept_folder_state_bytes);
    std::lock_guard lock(registry_mutex);
    for (auto it = registry.begin(); it != registry.end();)
        it = it->second.expired() ? registry.erase(it) : std::next(it);
    auto& slot = registry[key];
    if (auto existing = slot.lock()) {
        // No backend holds it (the count cannot grow without registry_mutex).
        const bool idle = recent.contains(existing) && existing.use_count() <= 2;
        if (!idle || same_directory(existing->identity_fd, control_dir)) {
            recent.use(existing, kept_folder_state_estimate);
            return existing;
        }
        recent.erase(existing);
    }
    auto made = std::make_shared<MaildirShared>();
    made->identity_fd = open_identity(control_dir);
    slot = made;
    if (made->identity_fd >= 0) // an unknown identity is never kept
        recent.use(made, kept_folder_state_estimate);
    return made;
}

std::string leaf(const std::string& rel) {
    auto slash = rel.rfind('/');
    return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string stat_stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return "-";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
           "." + std::to_string(st.st_mtim.tv_nsec);
}

} // namespace

MaildirShared::~MaildirShared() {
    if (identity_fd >= 0)
        ::close(identity_fd);
}

// ---- MaildirBackend ----

MaildirBackend::MaildirBackend(const MailboxPaths& paths, const StorageSettings& settings)
    : paths_(paths), settings_(settings) {
    if (paths_.control_dir.empty())
        paths_.control_dir = paths_.mail_dir;
    if (paths_.index_dir.empty())
        paths_.index_dir = paths_.mail_dir;
    shared_ = shared_for(paths_.mail_dir + "\n" + paths_.control_dir, paths_.control_dir);
}

MaildirBackend::~MaildirBackend() = default;

Status MaildirBackend::create() {
    std::error_code ec;
    for (const std::string& dir : {paths_.mail_dir, paths_.control_dir}) {
        std::filesystem::create_directories(dir, ec);
        if (ec)
            return Status::io("creating Maildir " + dir + ": " + ec.message());
    }
    for (const std::string& dir : {cur_dir(), new_dir(), tmp_dir()}) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return errno_status("mkdir", dir);
    }
    return Status::ok();
}

bool MaildirBackend::exists() const {
    struct stat st {};
    return ::stat(cur_dir().c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

const UidlistEntry* MaildirBackend::entry_locked(Uid uid) {
    auto& sh = *shared_;
    auto search = [&]() -> const UidlistEntry* {
        const auto& v = sh.uidlist.entries;
        auto it = std::lower_bound(v.begin(), v.end(), uid,
                                   [](const UidlistEntry& e, Uid u) { return e.uid < u; });
        return it != v.end() && it->uid == uid ? &*it : nullptr;
    };
    if (sh.uidlist_loaded) {
        if (auto* e = search())
            return e;
        auto r = refresh_uidlist(uidlist_path(), sh.uidlist);
        if (!r) {
            sh.uidlist_loaded = false;
            return nullptr;
        }
        return r.value() ? search() : nullptr;
    }
    auto read = read_uidlist(uidlist_path());
    if (!read)
        return nullptr;
    sh.uidlist = std::move(read.value());
    sh.uidlist_loaded = true;
    return search();
}

// The lookup order: the name we last saw, the name the index's flags give,
// new/BASE, cur/BASE:2, and finally a readdir of cur/ (and new/) for BASE,
// since another process (Dovecot, another session) may have renamed it.
// That readdir records the name of every file it sees whose base the
// uidlist knows, so a session that finds its names stale (a new process,
// flags changed by Dovecot) reads the directories once, not once per
// message (which made reading a whole mailbox quadratic).
Result<std::string> MaildirBackend::locate_locked(Uid uid, const std::string& index_flags_name) {
    auto& sh = *shared_;
    auto& names = sh.names;
    if (auto it = names.find(uid); it != names.end()) {
        std::string full = paths_.mail_dir + "/" + it->second;
        if (path_exists(full))
            return full;
        names.erase(it);
    }
    if (!index_flags_name.empty()) {
        std::string full = paths_.mail_dir + "/" + index_flags_name;
        if (path_exists(full)) {
            names[uid] = index_flags_name;
            return full;
        }
    }
    const UidlistEntry* entry = entry_locked(uid);
    if (!entry)
        return Status::not_found("maildir: " + paths_.mail_dir + ": no file for UID " + std::to_string(uid));
    const std::string base = entry->base;
    for (const std::string& rel : {"new/" + base, "cur/" + base + ":2,", "cur/" + base}) {
        if (path_exists(paths_.mail_dir + "/" + rel)) {
            names[uid] = rel;
            return paths_.mail_dir + "/" + rel;
        }
    }
    const std::int64_t cur_mtime = mtime_ns(cur_dir());
    const std::int64_t new_mtime = mtime_ns(new_dir());
    const bool unchanged = cur_mtime >= 0 && new_mtime >= 0 && cur_mtime == sh.listed_cur_mtime_ns &&
                           new_mtime == sh.listed_new_mtime_ns &&
                           sh.listed_at_ns - std::max(cur_mtime, new_mtime) > dirty_window_ns;
    if (!unchanged) {
        // Bases of the uidlist -> UIDs, to record every listed name (the
        // entries are sorted by UID, not by base).
        std::unordered_map<std::string_view, Uid> uid_of;
        uid_of.reserve(sh.uidlist.entries.size());
        for (const auto& e : sh.uidlist.entries)
            uid_of.emplace(e.base, e.uid);
        const std::int64_t started = now_ns();
        ++sh.locate_listings;
        bool complete = true;
        for (const char* sub : {"cur", "new"}) {
            auto listed = list_dir(paths_.mail_dir + "/" + sub);
            if (!listed) {
                complete = false;
                continue;
            }
            for (const auto& n : listed.value()) {
                auto found = uid_of.find(filename_base(n));
                if (found != uid_of.end())
                    names[found->second] = std::string(sub) + "/" + n;
            }
        }
        sh.listed_cur_mtime_ns = complete ? cur_mtime : -1;
        sh.listed_new_mtime_ns = complete ? new_mtime : -1;
        sh.listed_at_ns = started;
        if (auto it = names.find(uid); it != names.end())
            return paths_.mail_dir + "/" + it->second;
    }
    return Status::not_found("maildir: " + paths_.mail_dir + ": the file of UID " + std::to_string(uid) + " (" +
                             base + ") is gone");
}

Status MaildirBackend::apply_flags(Uid uid, MailFlags flags, const std::vector<std::string>& keywords,
                                   index::WriteContext& ctx) {
    try {
        std::lock_guard lock(shared_->mutex);
        auto found = locate_locked(uid, "");
        if (!found)
            return found.status().code() == Status::Code::not_found ? Status::ok() : found.status();
        std::string path = found.value();

        auto kwread = read_keywords_file(keywords_path());
        if (!kwread)
            return kwread.status();
        KeywordsFile kw = std::move(kwread.value());
        Dotlock dotlock;
        auto lock_dotlock = [&]() -> Status {
            if (dotlock.held())
                return Status::ok();
            auto got = Dotlock::acquire(lock_target(), settings_.lock_timeout);
            if (!got)
                return got.status();
            dotlock = std::move(got.value());
            return Status::ok();
        };

        // Letters for the keywords; new letters are assigned under the
        // dotlock (Dovecot changes dovecot-keywords under it too).
        std::string letters;
        std::vector<std::string> letterless;
        bool kw_changed = false;
        for (const auto& name : keywords) {
            if (auto l = kw.letter_of(name)) {
                letters.push_back(*l);
                continue;
            }
            if (auto s = lock_dotlock(); !s)
                return s;
            if (!kw_changed) { // re-read under the lock: someone may have added letters
                auto again = read_keywords_file(keywords_path());
                if (!again)
                    return again.status();
                kw = std::move(again.value());
                kw_changed = true;
                if (auto l = kw.letter_of(name)) {
                    letters.push_back(*l);
                    kw_changed = false;
                    continue;
                }
            }
            if (auto l = kw.assign(name)) {
                letters.push_back(*l);
                kw_changed = true;
            } else {
                letterless.push_back(name);
            }
        }
        if (kw_changed) {
            if (auto s = write_keywords_file(keywords_path(), kw, settings_.fsync); !s)
                return s;
        }
        std::sort(letters.begin(), letters.end());
        letters.erase(std::unique(letters.begin(), letters.end()), letters.end());

        // loft-keywords: only when the letterless set of this UID changes.
        std::vector<std::string> old_letterless;
        const auto& state = ctx.current();
        if (auto pos = state.find(uid)) {
            const auto& names = state.header().keywords;
            for (auto id : state.keyword_ids(state.at(*pos)))
                if (id < names.size() && !kw.letter_of(names[id]))
                    old_letterless.push_back(names[id]);
        }
        std::sort(old_letterless.begin(), old_letterless.end());
        std::vector<std::string> new_letterless = letterless;
        std::sort(new_letterless.begin(), new_letterless.end());
        if (old_letterless != new_letterless) {
            if (auto s = lock_dotlock(); !s)
                return s;
            if (auto s = append_loft_keywords_locked({{uid, new_letterless}}); !s)
                return s;
        }

        std::string cur_name = leaf(path);
        MaildirFilename parsed = parse_filename(cur_name);
        parsed.has_info = true;
        parsed.flags = flags & all_mail_flags;
        parsed.keyword_letters = letters;
        const std::string new_name = make_filename(parsed, false);
        const std::string new_rel = "cur/" + new_name;
        const std::string new_path = paths_.mail_dir + "/" + new_rel;
        if (new_path == path)
            return Status::ok();
        for (int attempt = 0; attempt < 3; ++attempt) {
            if (::rename(path.c_str(), new_path.c_str()) == 0) {
                shared_->names[uid] = new_rel;
                return Status::ok();
            }
            if (errno != ENOENT)
                return errno_status("rename", path);
            // Renamed or expunged behind our back: look again.
            shared_->names.erase(uid);
            auto again = locate_locked(uid, "");
            if (!again)
                return again.status().code() == Status::Code::not_found ? Status::ok() : again.status();
            path = again.value();
            cur_name = leaf(path);
            parsed = parse_filename(cur_name);
            parsed.has_info = true;
            parsed.flags = flags & all_mail_flags;
            parsed.keyword_letters = letters;
        }
        return Status::error(Status::Code::temporary_failure,
                             "maildir: " + path + ": renamed by another process while changing flags; try again");
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory changing flags");
    }
}

Status MaildirBackend::append_loft_keywords_locked(const LetterlessKeywords& lines) {
    std::string text;
    for (const auto& [uid, names] : lines) {
        text += std::to_string(uid);
        for (const auto& n : names)
            text += " " + n;
        text += "\n";
    }
    if (text.empty())
        return Status::ok();
    const std::string path = loft_keywords_path();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno_status("open", path);
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            Status s = errno_status("write", path);
            ::close(fd);
            return s;
        }
        done += std::size_t(n);
    }
    if (settings_.fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) {
        Status s = errno_status("fdatasync", path);
        ::close(fd);
        return s;
    }
    ::close(fd);
    return Status::ok();
}

Status MaildirBackend::expunge(Uid uid, index::WriteContext&) {
    try {
        std::lock_guard lock(shared_->mutex);
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto found = locate_locked(uid, "");
            if (!found)
                return found.status().code() == Status::Code::not_found ? Status::ok() : found.status();
            if (::unlink(found.value().c_str()) == 0) {
                shared_->names.erase(uid);
                return Status::ok();
            }
            if (errno != ENOENT)
                return errno_status("unlink", found.value());
            // Renamed meanwhile (a flag change by another process): look
            // again so that the file really goes.
            shared_->names.erase(uid);
        }
        return Status::ok();
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory expunging");
    }
}

Result<MessageData> MaildirBackend::open_message(Uid uid) {
    try {
        for (int attempt = 0; attempt < 3; ++attempt) {
            int fd = -1;
            std::string path;
            {
                std::lock_guard lock(shared_->mutex);
                // The name we know is opened directly (one path walk, not a
                // stat and then an open); ENOENT means renamed meanwhile.
                if (auto it = shared_->names.find(uid); it != shared_->names.end()) {
                    path = paths_.mail_dir + "/" + it->second;
                    fd = open_message_fd(path);
                    if (fd < 0 && errno == ENOENT)
                        shared_->names.erase(it);
                    else if (fd < 0 && errno == EINVAL)
                        return not_regular_status(path);
                    else if (fd < 0)
                        return errno_status("open", path);
                }
            }
            if (fd < 0) {
                std::lock_guard lock(shared_->mutex);
                auto found = locate_locked(uid, "");
                if (!found)
                    return found.status();
                path = found.value();
                fd = open_message_fd(path);
                if (fd < 0) {
                    if (errno == ENOENT) {
                        shared_->names.erase(uid); // renamed meanwhile
                        continue;
                    }
                    if (errno == EINVAL)
                        return not_regular_status(path);
                    return errno_status("open", path);
                }
            }
            auto data = map_message_file(fd);
            ::close(fd);
            if (!data)
                return Status::io("maildir: " + path + ": " + data.status().message());
            return data;
        }
        return Status::not_found("maildir: the file of UID " + std::to_string(uid) + " keeps moving");
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory reading a message");
    }
}

Result<std::string> MaildirBackend::message_guid(Uid uid) {
    std::lock_guard lock(shared_->mutex);
    const UidlistEntry* e = entry_locked(uid);
    if (!e)
        return Status::not_found("maildir: " + uidlist_path() + ": no UID " + std::to_string(uid));
    if (auto g = e->field('G'); g && !g->empty())
        return *g;
    return e->base;
}

std::optional<std::string> MaildirBackend::pop3_uidl(Uid uid) {
    std::lock_guard lock(shared_->mutex);
    const UidlistEntry* e = entry_locked(uid);
    if (!e)
        return std::nullopt;
    return e->field('P');
}

std::optional<std::string> MaildirBackend::storage_name(Uid uid) {
    std::lock_guard lock(shared_->mutex);
    const UidlistEntry* e = entry_locked(uid);
    if (!e)
        return std::nullopt;
    return e->base;
}

std::vector<std::string> MaildirBackend::watch_paths() const { return {new_dir(), cur_dir()}; }

std::string MaildirBackend::change_stamp() const {
    return "new=" + stat_stamp(new_dir()) + " cur=" + stat_stamp(cur_dir()) + " uidlist=" + stat_stamp(uidlist_path());
}

Status MaildirBackend::remove_all() {
    std::lock_guard lock(shared_->mutex);
    std::error_code ec;
    for (const std::string& dir : {cur_dir(), new_dir(), tmp_dir()}) {
        std::filesystem::remove_all(dir, ec);
        if (ec)
            return Status::io("removing " + dir + ": " + ec.message());
    }
    for (const std::string& f : {uidlist_path(), keywords_path(), loft_keywords_path()}) {
        if (::unlink(f.c_str()) != 0 && errno != ENOENT)
            return errno_status("unlink", f);
    }
    if (auto listed = list_dir(paths_.index_dir)) {
        for (const auto& n : listed.value())
            if (n.rfind("loft.index", 0) == 0)
                ::unlink((paths_.index_dir + "/" + n).c_str());
    }
    shared_->forget_names();
    shared_->uidlist = Uidlist{};
    shared_->uidlist_loaded = false;
    return Status::ok();
}

} // namespace mailstore::storage::maildir

namespace mailstore::storage {
Result<std::unique_ptr<MailboxBackend>> make_backend(std::string_view driver, const MailboxPaths& paths,
                                                     const StorageSettings& settings) {
    if (driver != "maildir")
        return Status::invalid("unknown mail storage driver '" + std::string(driver) +
                               "' (only maildir is supported; check mail_location)");
    try {
        return std::unique_ptr<MailboxBackend>(std::make_unique<maildir::MaildirBackend>(paths, settings));
    } catch (const std::bad_alloc&) {
        return Status::io("maildir: out of memory");
    }
}
} // namespace mailstore::storage
