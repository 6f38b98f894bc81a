#include "url/urlauth_keys.hpp"

#include "storage/mail_location.hpp"
#include "user/user_impl.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <span>
#include <sys/stat.h>
#include <unistd.h>

namespace imapproto::detail::url {

namespace ms = mailstore;
namespace st = mailstore::storage;

namespace {

constexpr std::size_t kKeyBytes = 32;
// A line is "<32 hex GUID> <64 hex key>"; anything longer is damage.
constexpr std::size_t kMaxLine = 256;
constexpr std::size_t kMaxFileSize = kMaxKeys * 100;

std::string to_hex(const unsigned char* data, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 15];
    }
    return out;
}

// The directory the key file goes in: the home, else the mail root of the
// namespace that holds INBOX.
std::string key_dir(const st::User& user) {
    if (!user.home().empty())
        return user.home();
    for (const auto& ns : user.namespaces()) {
        if (!ns.inbox)
            continue;
        auto location = st::parse_mail_location(ns.location, user.home());
        if (location)
            return location->root;
    }
    return {};
}

// Creates `dir` and its missing parents (mode 0700: the keys are secret).
void make_dirs(const std::string& dir) {
    for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
        if (pos == dir.size() || dir[pos] == '/')
            ::mkdir(dir.substr(0, pos).c_str(), 0700);
    }
}

class FdCloser {
public:
    explicit FdCloser(int fd) : fd_(fd) {}
    ~FdCloser() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

ms::Status errno_status(const std::string& what) {
    return ms::Status::io(what + ": " + std::strerror(errno));
}

using KeyTable = std::map<std::string, std::string, std::less<>>;

ms::Result<KeyTable> read_table(const std::string& path) {
    KeyTable table;
    FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT)
            return table;
        return errno_status("open(" + path + ")");
    }
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_status("read(" + path + ")");
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileSize)
            return ms::Status::io(path + ": too large");
    }
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos)
            eol = text.size();
        std::string_view line(text.data() + pos, eol - pos);
        pos = eol + 1;
        const auto space = line.find(' ');
        if (line.empty() || line.size() > kMaxLine || space == std::string_view::npos)
            continue; // a damaged line: its mailbox gets a new key when asked
        table.emplace(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
    return table;
}

// fsync of the directory `dir`, so a rename or unlink in it is durable.
ms::Status fsync_dir(const std::string& dir) {
    FdCloser fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0)
        return errno_status("open(" + dir + ")");
    if (::fsync(fd.get()) != 0)
        return errno_status("fsync(" + dir + ")");
    return ms::Status::ok();
}

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Replaces the key file: a temporary file (0600 whatever the umask) is
// written, fsynced, renamed over the file and the directory fsynced, as
// metadata.cpp's write() does: an acknowledged RESETKEY must not roll back
// to the old key after a crash (that would make revoked URLs work again),
// so only mail_fsync = never (`fsync` false) skips the fsyncs. The temporary file is
// removed on every error path. The caller holds the KeyLock.
ms::Status write_table(const std::string& path, const KeyTable& table, bool fsync) {
    if (table.size() > kMaxKeys)
        return ms::Status::invalid("Too many mailbox access keys");
    std::string text;
    for (const auto& [guid, key] : table)
        text += guid + ' ' + key + '\n';
    const std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str()); // a leftover of a writer that crashed
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno_status("open(" + tmp + ")");
    auto fail = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = err;
        return errno_status(what + "(" + tmp + ")");
    };
    // The umask may have narrowed the mode; the keys stay the user's alone.
    if (::fchmod(fd, 0600) != 0)
        return fail("fchmod");
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (fsync && ::fsync(fd) != 0)
        return fail("fsync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        return errno_status("close(" + tmp + ")");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        return errno_status("rename(" + tmp + ")");
    }
    if (fsync)
        return fsync_dir(dir_of(path));
    return ms::Status::ok();
}

// Holds the OFD write lock on "<path>.lock" for a read-modify-write.
class KeyLock {
public:
    explicit KeyLock(const std::string& path)
        : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {}
    ms::Status take() {
        if (fd_.get() < 0)
            return errno_status("open(lock)");
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        // Another session holds it only for a read and a small write.
        while (::fcntl(fd_.get(), F_OFD_SETLKW, &fl) != 0) {
            if (errno != EINTR)
                return errno_status("lock");
        }
        return ms::Status::ok();
    }

private:
    FdCloser fd_;
};

} // namespace

std::string random_key() {
    unsigned char key[kKeyBytes];
    if (RAND_bytes(key, sizeof key) != 1)
        return {};
    return to_hex(key, sizeof key);
}

std::string urlauth_token(std::string_view key_hex, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha1(), key_hex.data(), static_cast<int>(key_hex.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len) == nullptr)
        return {};
    return to_hex(mac, mac_len);
}

bool tokens_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto fold = [](char c) { return static_cast<unsigned>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c); };
        diff |= fold(a[i]) ^ fold(b[i]);
    }
    return diff == 0;
}

UrlauthKeys::UrlauthKeys(const st::User& user)
    : user_(user), fsync_(st::user_storage_settings(user).fsync != mailstore::index::FsyncMode::never) {
    auto store = st::MetadataStore::open(user);
    if (store) {
        store_.emplace(std::move(store.value()));
        return;
    }
    const std::string dir = key_dir(user);
    if (!dir.empty())
        path_ = dir + "/loft-urlauth-keys";
}

namespace {

ms::Status set_entry(st::MetadataStore& store, std::string_view guid, std::optional<std::string> value) {
    const st::MetadataChange change{std::string(kKeyEntry), std::move(value)};
    auto applied = store.set(guid, std::span<const st::MetadataChange>(&change, 1));
    if (!applied)
        return applied.status();
    if (*applied != st::MetadataRefusal::none)
        return ms::Status::io("the metadata store refused the URLAUTH key (size or count limit)");
    return ms::Status::ok();
}

} // namespace

ms::Result<std::optional<std::string>> UrlauthKeys::get(std::string_view mailbox_guid, bool create) {
    if (store_) {
        auto value = store_->get(mailbox_guid, kKeyEntry);
        if (!value)
            return value.status();
        if (*value || !create)
            return std::move(*value);
        std::string key = random_key();
        if (key.empty())
            return ms::Status::io("RAND_bytes failed");
        if (auto s = set_entry(*store_, mailbox_guid, key); !s)
            return s;
        // Another session may have stored its key at the same moment: the
        // one in the store is the one URLs are checked against.
        return store_->get(mailbox_guid, kKeyEntry);
    }
    if (path_.empty())
        return ms::Status::io("No home or mail root for the URLAUTH keys");
    auto table = read_table(path_);
    if (!table)
        return table.status();
    if (auto it = table->find(mailbox_guid); it != table->end())
        return std::optional<std::string>(it->second);
    if (!create)
        return std::optional<std::string>();
    make_dirs(path_.substr(0, path_.rfind('/')));
    KeyLock lock(path_);
    if (auto s = lock.take(); !s)
        return s;
    // Read again under the lock: another session may have made it.
    table = read_table(path_);
    if (!table)
        return table.status();
    if (auto it = table->find(mailbox_guid); it != table->end())
        return std::optional<std::string>(it->second);
    std::string key = random_key();
    if (key.empty())
        return ms::Status::io("RAND_bytes failed");
    table->emplace(std::string(mailbox_guid), key);
    if (auto s = write_table(path_, *table, fsync_); !s)
        return s;
    return std::optional<std::string>(std::move(key));
}

ms::Status UrlauthKeys::reset(std::string_view mailbox_guid) {
    if (store_) {
        std::string key = random_key();
        if (key.empty())
            return ms::Status::io("RAND_bytes failed");
        return set_entry(*store_, mailbox_guid, std::move(key));
    }
    if (path_.empty())
        return ms::Status::io("No home or mail root for the URLAUTH keys");
    make_dirs(path_.substr(0, path_.rfind('/')));
    KeyLock lock(path_);
    if (auto s = lock.take(); !s)
        return s;
    auto table = read_table(path_);
    if (!table)
        return table.status();
    std::string key = random_key();
    if (key.empty())
        return ms::Status::io("RAND_bytes failed");
    (*table)[std::string(mailbox_guid)] = std::move(key);
    return write_table(path_, *table, fsync_);
}

ms::Status UrlauthKeys::reset_all() {
    if (store_) {
        // Every mailbox of the user, selectable or not: a key of a mailbox
        // that became \Noselect must go too.
        st::ListQuery query;
        query.patterns = {"*"};
        auto mailboxes = user_.list(query);
        if (!mailboxes)
            return mailboxes.status();
        for (const auto& info : *mailboxes) {
            auto guid = user_.mailbox_guid(info.name);
            if (!guid)
                continue; // \NonExistent parents have no GUID and no key
            auto value = store_->get(*guid, kKeyEntry);
            if (!value)
                return value.status();
            if (!*value)
                continue;
            if (auto s = set_entry(*store_, *guid, std::nullopt); !s)
                return s;
        }
        return ms::Status::ok();
    }
    if (path_.empty())
        return ms::Status::io("No home or mail root for the URLAUTH keys");
    KeyLock lock(path_);
    if (auto s = lock.take(); !s)
        return s;
    if (::unlink(path_.c_str()) != 0) {
        if (errno == ENOENT)
            return ms::Status::ok();
        return errno_status("unlink(" + path_ + ")");
    }
    // RESETKEY without arguments revokes every URL: durable before OK.
    return fsync_ ? fsync_dir(dir_of(path_)) : ms::Status::ok();
}

} // namespace imapproto::detail::url
