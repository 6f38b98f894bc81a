// The mailbox-list index: a per-user file (`loft.list.index` in the
// namespace's index root) mapping each mailbox to its GUID, last STATUS values
// and the change stamp they were computed at. STATUS (and LIST-STATUS) answer
// from it while the mailbox's current stamp (index change stamp + "|" +
// driver change stamp: stat calls only) still matches; otherwise the mailbox
// is opened read-only. The file is a cache: written via a temporary file and
// rename (last writer wins between processes), bounded, rebuilt silently
// when it is corrupt or too large.
//
// Format: a first line "LOFT-LIST-INDEX 1", then one line per mailbox:
//   NAME \t GUID \t MESSAGES \t RECENT \t UIDNEXT \t UIDVALIDITY \t UNSEEN \t
//   HIGHESTMODSEQ \t SIZE \t FIRSTUNSEEN \t DELETED \t STAMP
// NAME is the virtual name (names never hold control characters).
#include "user/user_impl.hpp"

#include <mailstore/storage/mailbox.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <thread>

namespace mailstore::storage {

namespace {

constexpr const char* kHeader = "LOFT-LIST-INDEX 1";
constexpr const char* kFileName = "loft.list.index";
constexpr std::size_t kMaxEntries = 100000;
constexpr std::size_t kMaxLine = 4096;

struct Entry {
    MailboxStatus status;
    std::string stamp;
};

template <typename T>
bool parse_number(std::string_view text, T& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}

std::string cache_path(const NamespaceRuntime& ns) {
    std::string root = ns.list ? ns.list->index_root() : std::string();
    if (root.empty() || root == "MEMORY")
        return {};
    return root + "/" + kFileName;
}

// Reads the file; an unreadable, corrupt or oversized file reads as empty.
std::map<std::string, Entry> read_cache(const std::string& path) {
    std::map<std::string, Entry> out;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return out;
    std::string line;
    if (!std::getline(in, line) || line != kHeader)
        return out;
    while (std::getline(in, line)) {
        if (line.size() > kMaxLine || out.size() >= kMaxEntries)
            return {};
        std::vector<std::string_view> f;
        std::string_view rest = line;
        for (int i = 0; i < 11; ++i) {
            auto tab = rest.find('\t');
            if (tab == std::string_view::npos)
                return {};
            f.push_back(rest.substr(0, tab));
            rest.remove_prefix(tab + 1);
        }
        Entry e;
        e.stamp = std::string(rest);
        MailboxStatus& s = e.status;
        s.guid = std::string(f[1]);
        if (f[0].empty() || !parse_number(f[2], s.messages) || !parse_number(f[3], s.recent) ||
            !parse_number(f[4], s.uidnext) || !parse_number(f[5], s.uidvalidity) ||
            !parse_number(f[6], s.unseen) || !parse_number(f[7], s.highest_modseq) ||
            !parse_number(f[8], s.size) || !parse_number(f[9], s.first_unseen) || !parse_number(f[10], s.deleted))
            return {};
        out[std::string(f[0])] = std::move(e);
    }
    return out;
}

void write_cache(const std::string& path, const std::map<std::string, Entry>& entries) {
    std::string data = std::string(kHeader) + "\n";
    for (const auto& [name, e] : entries) {
        const MailboxStatus& s = e.status;
        data += name + "\t" + s.guid + "\t" + std::to_string(s.messages) + "\t" + std::to_string(s.recent) + "\t" +
                std::to_string(s.uidnext) + "\t" + std::to_string(s.uidvalidity) + "\t" + std::to_string(s.unseen) +
                "\t" + std::to_string(s.highest_modseq) + "\t" + std::to_string(s.size) + "\t" +
                std::to_string(s.first_unseen) + "\t" + std::to_string(s.deleted) + "\t" + e.stamp + "\n";
    }
    std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." +
                      std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return; // a cache: the next STATUS opens the mailbox instead
    bool ok = true;
    std::size_t done = 0;
    while (ok && done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
        ::unlink(tmp.c_str());
}

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    long mtime_sec = 0;
    long mtime_nsec = 0;
    bool operator==(const FileId&) const = default;
};

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return std::nullopt;
    return FileId{st.st_dev, st.st_ino, st.st_size, static_cast<long>(st.st_mtim.tv_sec),
                  static_cast<long>(st.st_mtim.tv_nsec)};
}

} // namespace

struct User::Impl::ListIndexSnapshot {
    FileId id;
    std::map<std::string, Entry> entries;
};

namespace {

// read_cache() through the user's snapshot of the file (nullptr when there
// is no file). Call with files_mutex held.
std::shared_ptr<const User::Impl::ListIndexSnapshot> read_cache_shared(const User::Impl& impl,
                                                                        const std::string& path) {
    auto id = file_id(path);
    if (!id) {
        impl.list_index_snapshots.erase(path);
        return nullptr;
    }
    auto it = impl.list_index_snapshots.find(path);
    if (it != impl.list_index_snapshots.end() && it->second->id == *id)
        return it->second;
    auto snapshot = std::make_shared<User::Impl::ListIndexSnapshot>();
    snapshot->id = *id;
    snapshot->entries = read_cache(path);
    // The file may have been replaced while it was read: only keep the
    // snapshot when it still is the same file.
    if (file_id(path) == std::optional<FileId>(*id))
        impl.list_index_snapshots[path] = snapshot;
    return snapshot;
}

// The stamp a mailbox has now: changes whenever its index or mail files do.
std::optional<std::string> current_stamp(const ResolvedMailbox& box) {
    auto backend = box.list->open_backend(box.storage_name);
    if (!backend || !(*backend)->exists())
        return std::nullopt;
    // The same directory the generic layer opens the index in.
    const std::string& dir = box.paths.index_dir.empty() ? box.paths.mail_dir : box.paths.index_dir;
    return index::change_stamp(dir) + "|" + (*backend)->change_stamp();
}

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 1024)
        return false;
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f)
            return false;
    return true;
}

} // namespace

void remember_status(const User& user, const ResolvedMailbox& mailbox, const MailboxStatus& status,
                     const std::string& change_stamp) {
    if (mailbox.namespace_index < 0 ||
        static_cast<std::size_t>(mailbox.namespace_index) >= user.impl().runtimes.size())
        return;
    const NamespaceRuntime& ns = user.impl().runtimes[static_cast<std::size_t>(mailbox.namespace_index)];
    std::string path = cache_path(ns);
    if (path.empty() || !valid_name(mailbox.name) || change_stamp.find('\n') != std::string::npos ||
        status.guid.find_first_of("\t\n") != std::string::npos)
        return;
    try {
        std::lock_guard lock(user.impl().files_mutex);
        // Every sync reports here: skip the file when this process already
        // recorded exactly this.
        std::string key = change_stamp + "\t" + std::to_string(status.messages) + "\t" +
                          std::to_string(status.highest_modseq) + "\t" + std::to_string(status.recent) + "\t" +
                          std::to_string(status.unseen) + "\t" + std::to_string(status.uidnext) + "\t" +
                          std::to_string(status.size) + "\t" + std::to_string(status.deleted);
        auto& remembered = user.impl().remembered;
        if (auto r = remembered.find(mailbox.name); r != remembered.end() && r->second == key)
            return;
        auto entries = read_cache(path);
        auto it = entries.find(mailbox.name);
        if (it != entries.end() && it->second.stamp == change_stamp && it->second.status.messages == status.messages &&
            it->second.status.highest_modseq == status.highest_modseq && it->second.status.recent == status.recent &&
            it->second.status.size == status.size && it->second.status.unseen == status.unseen)
            return; // nothing new: spare the write
        if (entries.size() >= kMaxEntries && it == entries.end())
            entries.clear();
        entries[mailbox.name] = Entry{status, change_stamp};
        write_cache(path, entries);
        if (remembered.size() >= kMaxEntries)
            remembered.clear();
        remembered[mailbox.name] = std::move(key);
    } catch (const std::exception&) {
        // A cache write that fails costs a mailbox open later, nothing more.
    }
}

// Drops a mailbox's entry (after DELETE or RENAME).
void forget_status(const User& user, int namespace_index, const std::string& name) {
    const NamespaceRuntime& ns = user.impl().runtimes[static_cast<std::size_t>(namespace_index)];
    std::string path = cache_path(ns);
    if (path.empty())
        return;
    std::lock_guard lock(user.impl().files_mutex);
    user.impl().remembered.erase(name);
    auto entries = read_cache(path);
    if (entries.erase(name))
        write_cache(path, entries);
}

Result<MailboxStatus> User::status(std::string_view name, std::uint32_t items) const {
    try {
        auto box = resolve_mailbox(*this, name);
        if (!box)
            return box.status();
        const NamespaceRuntime& ns = impl_->runtimes[static_cast<std::size_t>(box->namespace_index)];
        std::string path = cache_path(ns);
        std::optional<std::string> stamp = current_stamp(*box);
        if (stamp && !path.empty()) {
            std::shared_ptr<const Impl::ListIndexSnapshot> snapshot;
            {
                std::lock_guard lock(impl_->files_mutex);
                snapshot = read_cache_shared(*impl_, path);
            }
            if (snapshot) {
                auto it = snapshot->entries.find(box->name);
                // A size of 0 with messages means the sizes were not known
                // yet when it was recorded (files without S=/W=): open.
                const bool size_unknown = (items & status_size) != 0 && it != snapshot->entries.end() &&
                                          it->second.status.size == 0 && it->second.status.messages > 0;
                if (it != snapshot->entries.end() && it->second.stamp == *stamp && !size_unknown)
                    return it->second.status;
            }
        }
        OpenOptions options;
        options.read_only = true;
        options.claim_recent = false;
        auto mailbox = Mailbox::open(*this, box->name, options);
        if (!mailbox)
            return mailbox.status();
        // Mailbox::open's sync has recorded the status with its stamp
        // (remember_status), so the next STATUS is answered from the file.
        MailboxStatus st = mailbox->status(status_all);
        if ((items & status_size) != 0 && st.size == 0 && st.messages > 0) {
            // The index does not know the sizes yet (files without S=/W=):
            // Message::virtual_size() reads them from the files.
            Mailbox& box_ref = mailbox.value();
            for (Seq seq = 1; seq <= box_ref.view().count(); ++seq) {
                auto size = box_ref.message(seq).virtual_size();
                if (size)
                    st.size += *size;
            }
            // Complete the entry the sync recorded, if it is still the one
            // for this state of the mailbox.
            std::optional<std::string> now = current_stamp(*box);
            if (now && !path.empty()) {
                std::shared_ptr<const Impl::ListIndexSnapshot> snapshot;
                {
                    std::lock_guard lock(impl_->files_mutex);
                    snapshot = read_cache_shared(*impl_, path);
                }
                if (snapshot) {
                    auto it = snapshot->entries.find(box->name);
                    if (it != snapshot->entries.end() && it->second.stamp == *now &&
                        it->second.status.messages == st.messages)
                        remember_status(*this, *box, st, *now);
                }
            }
        }
        return st;
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "out of memory in STATUS");
    }
}

} // namespace mailstore::storage
