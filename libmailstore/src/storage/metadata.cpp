// METADATA entries (RFC 5464): include/mailstore/storage/metadata.hpp.
//
// The file is Dovecot's file dict (`mail_attribute_dict = file:PATH`): lines
// alternating key and value, where \001 escapes itself ("\0011"), TAB
// ("\001t"), CR ("\001r") and LF ("\001n"). Keys are Dovecot's mailbox
// attribute keys:
//
//   priv/<mailbox GUID>/<entry below /private>
//   shared/<mailbox GUID>/<entry below /shared>
//   priv|shared/<INBOX GUID>/vendor/vendor.dovecot/pvt/server/<entry>   (server entries)
//
// Keys this code does not understand (other dict users of the same file)
// are kept as they are. The file is small (bounded by
// MetadataLimits::max_total_bytes for what we write), so every change
// rewrites it whole: read, change, write a temporary file, fsync, rename.
// Writers serialize on an OFD lock of the dict file itself; since the file
// is replaced by rename, a writer that got the lock checks that the path
// still names the inode it locked and otherwise retries.
#include "storage/format_io.hpp"
#include "user/user_impl.hpp"

#include <mailstore/log.hpp>
#include <mailstore/storage/metadata.hpp>
#include <mailstore/storage/user.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace mailstore::storage {

namespace {

constexpr std::size_t kMaxNameLength = 1024;
// A file written by someone else may be bigger than what we write; beyond
// this it is refused rather than read into memory.
constexpr std::uint64_t kMaxFileSize = 64ull * 1024 * 1024;
constexpr auto kLockTimeout = std::chrono::seconds(10);
// Dovecot keeps server entries under INBOX's key with this prefix.
constexpr std::string_view kServerPrefix = "vendor/vendor.dovecot/pvt/server/";

using Entries = std::map<std::string, std::string>;

std::string escape(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (char c : in) {
        switch (c) {
        case '\001': out += "\001" "1"; break;
        case '\t': out += "\001t"; break;
        case '\r': out += "\001r"; break;
        case '\n': out += "\001n"; break;
        default: out += c;
        }
    }
    return out;
}

std::string unescape(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '\001' || i + 1 == in.size()) {
            out += in[i];
            continue;
        }
        switch (in[++i]) {
        case '1': out += '\001'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        default: out += in[i]; break;
        }
    }
    return out;
}

Entries parse_file(std::string_view text) {
    Entries entries;
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size())
            return false;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        line = text.substr(pos, nl - pos);
        pos = nl + 1;
        return true;
    };
    std::string_view key, value;
    while (next_line(key)) {
        if (!next_line(value))
            break; // a key without its value: a file cut short by someone else
        entries[unescape(key)] = unescape(value);
    }
    return entries;
}

std::string format_file(const Entries& entries) {
    std::string out;
    for (const auto& [k, v] : entries) {
        out += escape(k);
        out += '\n';
        out += escape(v);
        out += '\n';
    }
    return out;
}

Result<Entries> read_entries(const std::string& path) {
    auto text = read_whole_file(path, kMaxFileSize);
    if (!text) {
        if (text.status().code() == Status::Code::not_found)
            return Entries{};
        return text.status();
    }
    return parse_file(*text);
}

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = lower_ascii(c);
    return out;
}

// An entry name split into Dovecot's scope key ("priv"/"shared") and the
// path below it ("" for "/private" itself).
struct SplitName {
    std::string scope;
    std::string sub;
};

std::optional<SplitName> split_name(std::string_view name) {
    std::string n = lower(name);
    auto take = [&](std::string_view prefix, std::string_view scope) -> std::optional<SplitName> {
        if (n == prefix)
            return SplitName{std::string(scope), ""};
        if (n.size() > prefix.size() + 1 && n.starts_with(prefix) && n[prefix.size()] == '/')
            return SplitName{std::string(scope), n.substr(prefix.size() + 1)};
        return std::nullopt;
    };
    if (auto s = take("/private", "priv"))
        return s;
    return take("/shared", "shared");
}

std::string entry_name(std::string_view scope, std::string_view sub) {
    return std::string(scope == "priv" ? "/private/" : "/shared/") + std::string(sub);
}

} // namespace

Status validate_metadata_entry_name(std::string_view name) {
    if (name.size() > kMaxNameLength)
        return Status::invalid("Entry name too long");
    // RFC 5464 §3.2: no '*' '%', nothing outside printable ASCII.
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f)
            return Status::invalid("Entry name can't contain control or 8bit characters");
        if (c == '*')
            return Status::invalid("Entry name can't contain '*'");
        if (c == '%')
            return Status::invalid("Entry name can't contain '%'");
    }
    if (!split_name(name))
        return Status::invalid("Entry name must begin with /private or /shared");
    if (name.find("//") != std::string_view::npos)
        return Status::invalid("Entry name can't contain consecutive '/'");
    if (name.ends_with('/'))
        return Status::invalid("Entry name can't end with '/'");
    return Status::ok();
}

class MetadataStore::Impl {
public:
    std::string path;
    MetadataLimits limits;
    index::FsyncMode fsync = index::FsyncMode::optimized;
    std::optional<User> user;        // to find INBOX's GUID on first use
    mutable std::mutex guid_mutex;
    mutable std::string inbox_guid;  // guarded by guid_mutex

    Result<std::string> inbox() const {
        std::lock_guard lock(guid_mutex);
        if (inbox_guid.empty() && user) {
            auto guid = user->mailbox_guid("INBOX");
            if (!guid)
                return guid.status();
            inbox_guid = lower(*guid);
        }
        if (inbox_guid.empty())
            return Status::error(Status::Code::internal, "metadata: no INBOX GUID for server entries");
        return inbox_guid;
    }

    // The key prefix ("priv/<guid>/" or "priv/<inbox>/vendor/.../server/")
    // of a scope for a mailbox GUID or the server ("").
    Result<std::string> prefix(std::string_view scope, std::string_view mailbox_guid) const {
        if (mailbox_guid.empty()) {
            auto in = inbox();
            if (!in)
                return in.status();
            return std::string(scope) + "/" + *in + "/" + std::string(kServerPrefix);
        }
        return std::string(scope) + "/" + lower(mailbox_guid) + "/";
    }

    // Entries of the mailbox (or server) that `prefix` begins, not counting
    // server entries under INBOX's key.
    static std::size_t count(const Entries& all, const std::string& priv_prefix, const std::string& shared_prefix,
                             bool server) {
        std::size_t n = 0;
        for (const std::string* p : {&priv_prefix, &shared_prefix}) {
            for (auto it = all.lower_bound(*p); it != all.end() && it->first.starts_with(*p); ++it) {
                if (!server && std::string_view(it->first).substr(p->size()).starts_with(kServerPrefix))
                    continue;
                ++n;
            }
        }
        return n;
    }

    static std::size_t total_bytes(const Entries& all) {
        std::size_t n = 0;
        for (const auto& [k, v] : all)
            n += k.size() + v.size();
        return n;
    }

    // Takes the OFD write lock on the dict file (created when missing); the
    // returned descriptor holds it until closed.
    Result<int> lock() const {
        const auto deadline = std::chrono::steady_clock::now() + kLockTimeout;
        for (;;) {
            int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0 && errno == ENOENT) {
                // The home directory may not exist yet (Dovecot creates it
                // on first use too).
                std::error_code ec;
                std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
                fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            }
            if (fd < 0)
                return errno_status(path, "open", errno);
            struct flock fl {};
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) {
                struct stat a {}, b {};
                if (::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev)
                    return fd;
                ::close(fd); // replaced while we waited: lock the new file
                continue;
            }
            int err = errno;
            ::close(fd);
            if (err != EAGAIN && err != EACCES && err != EINTR)
                return errno_status(path, "lock", err);
            if (std::chrono::steady_clock::now() >= deadline)
                return Status::error(Status::Code::temporary_failure, path + ": timed out waiting for the lock");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    Status write(const Entries& entries) const {
        static std::atomic<unsigned> counter{0};
        std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
        if (Status s = replace_file(path, tmp, format_file(entries), fsync); !s)
            return s;
        // replace_file fsyncs the directory only for `always`; an
        // acknowledged SETMETADATA must survive a crash under `optimized`
        // too (DESIGN: acknowledged means durable).
        if (fsync == index::FsyncMode::optimized) {
            auto slash = path.rfind('/');
            return fsync_directory(slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash));
        }
        return Status::ok();
    }

    // Runs `change` on the entries under the lock and writes the result
    // unless `change` refused or failed.
    template <typename F>
    Result<MetadataRefusal> modify(F&& change) {
        auto fd = lock();
        if (!fd)
            return fd.status();
        struct Closer {
            int fd;
            ~Closer() { ::close(fd); }
        } closer{*fd};
        auto entries = read_entries(path);
        if (!entries)
            return entries.status();
        bool changed = false;
        auto refusal = change(*entries, changed);
        if (!refusal || *refusal != MetadataRefusal::none || !changed)
            return refusal;
        if (Status s = write(*entries); !s)
            return s;
        return MetadataRefusal::none;
    }
};

MetadataStore::MetadataStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<MetadataStore> MetadataStore::open(const User& user, const MetadataLimits& limits) {
    std::string dict;
    if (auto v = user.settings().userdb_fields.get("mail_attribute_dict"))
        dict = *v;
    else {
        config::LookupContext ctx;
        ctx.protocol = user.settings().service;
        dict = user.config().get("mail_attribute_dict", ctx);
    }
    if (dict.empty())
        return Status::error(Status::Code::not_supported, "mail_attribute_dict is not set");
    if (!dict.starts_with("file:"))
        return Status::error(Status::Code::not_supported,
                             "mail_attribute_dict: only file: dicts are supported ('" + dict + "')");
    // Without a home, "%h/dovecot-attributes" would name a file in "/".
    if (user.settings().home.empty() &&
        (dict.find("%h") != std::string::npos || dict.find("%{home}") != std::string::npos))
        return Status::invalid("mail_attribute_dict: '" + dict + "' uses the home directory, but user " +
                               user.username() + " has none");
    auto expanded = expand_user_variables(std::string_view(dict).substr(5), user.settings());
    if (!expanded)
        return Status::invalid("mail_attribute_dict: " + expanded.status().message());
    if (expanded->empty() || (*expanded)[0] != '/')
        return Status::invalid("mail_attribute_dict: '" + *expanded + "' is not an absolute path");
    auto impl = std::make_shared<Impl>();
    impl->path = std::move(*expanded);
    impl->limits = limits;
    impl->fsync = user_storage_settings(user).fsync;
    impl->user = user;
    return MetadataStore(std::move(impl));
}

Result<MetadataStore> MetadataStore::open_file(std::string path, std::string inbox_guid, const MetadataLimits& limits,
                                               bool fsync) {
    if (path.empty())
        return Status::invalid("metadata: empty path");
    auto impl = std::make_shared<Impl>();
    impl->path = std::move(path);
    impl->inbox_guid = lower(inbox_guid);
    impl->limits = limits;
    impl->fsync = fsync ? index::FsyncMode::optimized : index::FsyncMode::never;
    return MetadataStore(std::move(impl));
}

const MetadataLimits& MetadataStore::limits() const { return impl_->limits; }
const std::string& MetadataStore::path() const { return impl_->path; }

Result<std::optional<std::string>> MetadataStore::get(std::string_view mailbox_guid, std::string_view name) const {
    if (Status s = validate_metadata_entry_name(name); !s)
        return s;
    auto split = split_name(name);
    if (split->sub.empty())
        return std::optional<std::string>();
    auto prefix = impl_->prefix(split->scope, mailbox_guid);
    if (!prefix)
        return prefix.status();
    if (!mailbox_guid.empty() && split->sub.starts_with(kServerPrefix))
        return std::optional<std::string>(); // the server's entries are not INBOX's
    auto entries = read_entries(impl_->path);
    if (!entries)
        return entries.status();
    auto it = entries->find(*prefix + split->sub);
    if (it == entries->end())
        return std::optional<std::string>();
    return std::optional<std::string>(it->second);
}

Result<std::vector<MetadataEntry>> MetadataStore::get_tree(std::string_view mailbox_guid, std::string_view name,
                                                           MetadataDepth depth) const {
    if (Status s = validate_metadata_entry_name(name); !s)
        return s;
    auto split = split_name(name);
    auto prefix = impl_->prefix(split->scope, mailbox_guid);
    if (!prefix)
        return prefix.status();
    auto entries = read_entries(impl_->path);
    if (!entries)
        return entries.status();
    std::vector<MetadataEntry> out;
    // Everything below the entry starts with `below`.
    const std::string self = *prefix + split->sub;
    const std::string below = split->sub.empty() ? *prefix : self + "/";
    if (!split->sub.empty()) {
        if (auto it = entries->find(self); it != entries->end())
            out.push_back({entry_name(split->scope, split->sub), it->second});
    }
    if (depth != MetadataDepth::zero) {
        for (auto it = entries->lower_bound(below); it != entries->end() && it->first.starts_with(below); ++it) {
            std::string_view rest = std::string_view(it->first).substr(below.size());
            std::string_view sub = std::string_view(it->first).substr(prefix->size());
            if (rest.empty() || sub.empty())
                continue;
            if (depth == MetadataDepth::one && rest.find('/') != std::string_view::npos)
                continue;
            if (!mailbox_guid.empty() && sub.starts_with(kServerPrefix))
                continue;
            out.push_back({entry_name(split->scope, sub), it->second});
        }
    }
    return out;
}

Result<MetadataFileVersion> MetadataStore::file_version() const {
    struct stat sb {};
    if (::stat(impl_->path.c_str(), &sb) != 0) {
        if (errno == ENOENT)
            return MetadataFileVersion{};
        return errno_status(impl_->path, "stat", errno);
    }
    MetadataFileVersion v;
    v.exists = true;
    v.device = static_cast<std::uint64_t>(sb.st_dev);
    v.inode = static_cast<std::uint64_t>(sb.st_ino);
    v.size = static_cast<std::uint64_t>(sb.st_size);
    v.mtime_ns = static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
    v.ctime_ns = static_cast<std::int64_t>(sb.st_ctim.tv_sec) * 1000000000 + sb.st_ctim.tv_nsec;
    return v;
}

Result<MetadataSnapshot> MetadataStore::read_all() const {
    MetadataSnapshot snap;
    // Stat first, then read: a replacement in between makes the kept
    // version older than the entries, which costs a poller one more read
    // but never hides a change.
    auto version = file_version();
    if (!version)
        return version.status();
    snap.version = *version;
    auto entries = read_entries(impl_->path);
    if (!entries)
        return entries.status();
    std::string inbox; // looked up only when a server entry is there
    for (auto& [key, value] : *entries) {
        std::string_view rest(key);
        std::string_view scope;
        if (rest.starts_with("priv/"))
            scope = "priv";
        else if (rest.starts_with("shared/"))
            scope = "shared";
        else
            continue; // another dict user's key
        rest.remove_prefix(scope.size() + 1);
        const std::size_t slash = rest.find('/');
        if (slash == std::string_view::npos || slash + 1 == rest.size())
            continue;
        std::string guid(rest.substr(0, slash));
        // get/get_tree look keys up by the lower-case GUID; a key spelled
        // otherwise is not an entry of any mailbox for them either.
        if (guid != lower(guid))
            continue;
        std::string_view sub = rest.substr(slash + 1);
        if (sub.starts_with(kServerPrefix)) {
            // Server entries live under INBOX's key only; under another
            // GUID they are nobody's (get_tree skips them too).
            if (inbox.empty()) {
                auto in = impl_->inbox();
                if (!in)
                    return in.status();
                inbox = *in;
            }
            sub.remove_prefix(kServerPrefix.size());
            if (guid != inbox || sub.empty())
                continue;
            guid.clear();
        }
        snap.owners[guid].push_back({entry_name(scope, sub), std::move(value)});
    }
    // Each list is sorted by name already: the keys are read in order, a
    // GUID's "priv/" keys (-> "/private/...") all come before its "shared/"
    // ones, and within a scope the key order is the name order.
    return snap;
}

Result<MetadataRefusal> MetadataStore::set(std::string_view mailbox_guid, std::span<const MetadataChange> changes) {
    struct Planned {
        std::string key;
        const std::optional<std::string>* value;
    };
    std::vector<Planned> plan;
    for (const auto& change : changes) {
        if (Status s = validate_metadata_entry_name(change.name); !s)
            return s;
        auto split = split_name(change.name);
        if (split->sub.empty())
            return Status::invalid("Entry name must have a name below /private or /shared");
        if (!mailbox_guid.empty() && split->sub.starts_with(kServerPrefix))
            return Status::invalid("Entry " + lower(change.name) + " is reserved for server entries");
        if (change.value && change.value->size() > impl_->limits.max_value_size)
            return MetadataRefusal::too_large;
        auto prefix = impl_->prefix(split->scope, mailbox_guid);
        if (!prefix)
            return prefix.status();
        plan.push_back({*prefix + split->sub, &change.value});
    }
    if (plan.empty())
        return MetadataRefusal::none;
    auto priv = impl_->prefix("priv", mailbox_guid);
    auto shared = impl_->prefix("shared", mailbox_guid);
    if (!priv || !shared)
        return !priv ? priv.status() : shared.status();
    const bool server = mailbox_guid.empty();
    const MetadataLimits& limits = impl_->limits;
    return impl_->modify([&](Entries& entries, bool& changed) -> Result<MetadataRefusal> {
        const std::size_t count_before = Impl::count(entries, *priv, *shared, server);
        const std::size_t bytes_before = Impl::total_bytes(entries);
        for (const auto& p : plan) {
            if (*p.value) {
                auto [it, inserted] = entries.try_emplace(p.key, **p.value);
                if (!inserted && it->second == **p.value)
                    continue;
                it->second = **p.value;
                changed = true;
            } else if (entries.erase(p.key)) {
                changed = true;
            }
        }
        // Only growth is refused: a client over a (lowered) limit can
        // still delete and shrink its entries.
        const std::size_t count_after = Impl::count(entries, *priv, *shared, server);
        if (count_after > limits.max_entries && count_after > count_before)
            return MetadataRefusal::too_many;
        const std::size_t bytes_after = Impl::total_bytes(entries);
        if (bytes_after > limits.max_total_bytes && bytes_after > bytes_before)
            return MetadataRefusal::too_many;
        return MetadataRefusal::none;
    });
}

Status MetadataStore::remove_mailbox(std::string_view mailbox_guid) {
    if (mailbox_guid.empty())
        return Status::invalid("metadata: remove_mailbox needs a mailbox GUID");
    const std::string priv = "priv/" + lower(mailbox_guid) + "/";
    const std::string shared = "shared/" + lower(mailbox_guid) + "/";
    auto r = impl_->modify([&](Entries& entries, bool& changed) -> Result<MetadataRefusal> {
        for (auto it = entries.begin(); it != entries.end();) {
            if (it->first.starts_with(priv) || it->first.starts_with(shared)) {
                it = entries.erase(it);
                changed = true;
            } else {
                ++it;
            }
        }
        return MetadataRefusal::none;
    });
    return r ? Status::ok() : r.status();
}

} // namespace mailstore::storage
