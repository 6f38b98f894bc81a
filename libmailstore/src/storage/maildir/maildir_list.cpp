// The folder layouts of Maildir (docs/maildir.md "Folders"), as Dovecot
// 2.3.19 lays them out (observed with doveadm mailbox create):
//
//   Maildir++ (default)   root/{cur,new,tmp} = INBOX, root/.Archive.2024/
//                         with cur/ new/ tmp/ and an empty maildirfolder file;
//                         levels joined with '.', each level in modified
//                         UTF-7 ("Entwürfe" -> ".Entw&APw-rfe"), '.' refused
//                         inside a level ("Character not allowed in mailbox
//                         name: '.'").
//   LAYOUT=fs             root/Archive/2024/{cur,new,tmp}, no maildirfolder;
//                         a parent created on the way has no cur/ (\Noselect).
//                         '.' is allowed in names, ".." is not.
//
// Directories get the root's mode (0700 by default; files the same without
// the x bits); in a setgid root the kernel gives new directories its group.
#include "storage/list_backend.hpp"

#include "storage/format_io.hpp"

#include <mailstore/mime/charset.hpp>
#include <mailstore/log.hpp>
#include <mailstore/mutf7.hpp>

#include <cerrno>
#include <cstring>
#include <functional>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage {
namespace {

constexpr std::size_t max_levels = 32;          // folder depth
constexpr std::size_t max_level_length = 255;   // NAME_MAX of one directory
constexpr std::size_t max_mailboxes = 100000;   // list() stops there
constexpr std::size_t max_dir_entries = 10000000; // files removed from one mailbox

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool equal_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
        if (x != y) return false;
    }
    return true;
}

bool is_inbox(const StorageName& name) { return name.size() == 1 && equal_ci(name[0], "INBOX"); }

std::string join_name(const StorageName& name, char sep) {
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (i) out += sep;
        out += name[i];
    }
    return out;
}

// Entries of a directory (names only, no "." / ".."); empty when unreadable.
std::vector<std::string> read_dir(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (!d) return out;
    while (const dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        out.emplace_back(e->d_name);
        if (out.size() >= max_dir_entries) break;
    }
    ::closedir(d);
    return out;
}

// Removes `path` and, for directories, everything below it (depth bounded).
Status remove_tree(const std::string& path, int depth = 0) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Status::ok() : errno_status(path, "lstat", errno);
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_status(path, "unlink", errno);
        return Status::ok();
    }
    if (depth > 8) return Status::io(path + ": nested too deep to remove; remove it by hand");
    for (const auto& e : read_dir(path))
        if (Status s = remove_tree(path + "/" + e, depth + 1); !s) return s;
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return errno_status(path, "rmdir", errno);
    return Status::ok();
}

// The files of one mailbox kept next to cur/ new/ tmp/ (in the mail,
// control or index directory): Dovecot's and ours.
bool is_mailbox_file(std::string_view name) {
    static constexpr std::string_view exact[] = {
        "dovecot-uidlist", "dovecot-uidlist.lock", "dovecot-uidlist.tmp", "dovecot-keywords",
        "dovecot-keywords.lock", "dovecot-keywords.tmp", "maildirfolder", "maildirsize"};
    for (auto e : exact)
        if (name == e) return true;
    return name.rfind("dovecot.index", 0) == 0 || name.rfind("loft.index", 0) == 0;
}

class MaildirList final : public MailboxListBackend {
public:
    MaildirList(MailLocation loc, StorageSettings settings) : loc_(std::move(loc)), settings_(std::move(settings)) {}

    Result<std::vector<StoredMailbox>> list() const override {
        std::vector<StoredMailbox> out;
        if (is_dir(mail_dir_of({"INBOX"}) + "/cur")) out.push_back({{"INBOX"}, true});
        if (loc_.layout == MaildirLayout::maildirplusplus) {
            for (const auto& e : read_dir(loc_.root)) {
                if (e.size() < 2 || e[0] != '.' || !is_dir(loc_.root + "/" + e)) continue;
                auto name = decode_dir_name(std::string_view(e).substr(1), '.');
                if (!name || is_inbox(*name)) continue;
                out.push_back({std::move(*name), is_dir(loc_.root + "/" + e + "/cur")});
                if (out.size() >= max_mailboxes) break;
            }
        } else {
            walk_fs(loc_.root, {}, out);
        }
        return out;
    }

    MailboxPaths paths(const StorageName& name) const override {
        MailboxPaths p;
        p.mail_dir = mail_dir_of(name);
        const std::string rel = relative_dir(name);
        p.control_dir = loc_.control_dir.empty() ? p.mail_dir : loc_.control_dir + rel;
        if (loc_.index_dir == "MEMORY") p.index_dir = "MEMORY";
        else p.index_dir = loc_.index_dir.empty() ? p.mail_dir : loc_.index_dir + rel;
        if (!loc_.volatile_dir.empty()) p.volatile_dir = loc_.volatile_dir + rel;
        p.uidvalidity_dir = loc_.control_dir.empty() ? loc_.root : loc_.control_dir;
        return p;
    }

    Result<std::unique_ptr<MailboxBackend>> open_backend(const StorageName& name) const override {
        if (Status s = validate(name); !s) return s;
        return make_backend("maildir", paths(name), settings_);
    }

    Status create(const StorageName& name) override {
        if (Status s = validate(name); !s) return s;
        const MailboxPaths p = paths(name);
        if (is_dir(p.mail_dir + "/cur")) return Status::error(Status::Code::already_exists, "Mailbox already exists: " + display(name));
        auto modes = root_modes();
        if (Status s = make_dirs(p.mail_dir, modes.first); !s) return s;
        if (loc_.layout == MaildirLayout::maildirplusplus && !is_inbox(name)) {
            const std::string marker = p.mail_dir + "/maildirfolder";
            const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, modes.second);
            if (fd < 0) return errno_status(marker, "create", errno);
            ::fchmod(fd, modes.second);
            ::close(fd);
        }
        // cur/ last: a folder with cur/ is complete (list() and exists()).
        for (const char* sub : {"tmp", "new", "cur"}) {
            const std::string dir = p.mail_dir + "/" + sub;
            if (::mkdir(dir.c_str(), modes.first) != 0) {
                if (errno == EEXIST && std::strcmp(sub, "cur") == 0)
                    return Status::error(Status::Code::already_exists, "Mailbox already exists: " + display(name));
                if (errno != EEXIST) return errno_status(dir, "mkdir", errno);
            } else {
                ::chmod(dir.c_str(), modes.first);
            }
        }
        for (const std::string* d : {&p.control_dir, &p.index_dir}) {
            if (*d == p.mail_dir || *d == "MEMORY") continue;
            if (Status s = make_dirs(*d, modes.first); !s) return s;
        }
        return Status::ok();
    }

    Status remove(const StorageName& name) override {
        if (Status s = validate(name); !s) return s;
        if (is_inbox(name)) return Status::invalid("INBOX can't be deleted");
        const MailboxPaths p = paths(name);
        if (!is_dir(p.mail_dir + "/cur")) return Status::not_found("Mailbox doesn't exist: " + display(name));
        // cur/ and new/ move into tmp/ first, so the mailbox disappears at
        // once (no cur/ = no mailbox) and not message by message.
        const std::string tmp = p.mail_dir + "/tmp";
        if (!is_dir(tmp) && ::mkdir(tmp.c_str(), 0700) != 0) return errno_status(tmp, "mkdir", errno);
        for (const char* sub : {"cur", "new"}) {
            const std::string from = p.mail_dir + "/" + sub;
            const std::string to = tmp + "/.deleted-" + sub;
            if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return errno_status(from, "rename", errno);
        }
        if (Status s = remove_tree(tmp); !s) return s;
        for (const std::string* d : {&p.mail_dir, &p.control_dir, &p.index_dir}) {
            if (*d == "MEMORY") continue;
            for (const auto& e : read_dir(*d))
                if (is_mailbox_file(e)) ::unlink((*d + "/" + e).c_str());
            // The directory goes when nothing else is left (fs: children stay).
            if (*d != p.mail_dir || loc_.dirname.empty()) ::rmdir(d->c_str());
        }
        if (!loc_.dirname.empty()) ::rmdir(p.mail_dir.c_str()), ::rmdir(fs_folder_dir(name).c_str());
        return Status::ok();
    }

    Status rename(const StorageName& from, const StorageName& to) override {
        if (Status s = validate(from); !s) return s;
        if (Status s = validate(to); !s) return s;
        if (is_inbox(from) || is_inbox(to)) return Status::invalid("INBOX can't be renamed here (RFC 3501 INBOX rename moves its messages)");
        if (to.size() > from.size() && std::equal(from.begin(), from.end(), to.begin()))
            return Status::invalid("Can't rename mailbox " + display(from) + " under itself");
        if (loc_.layout == MaildirLayout::fs) return rename_fs(from, to);
        return rename_maildirplusplus(from, to);
    }

    std::string subscriptions_path() const override {
        return (loc_.control_dir.empty() ? loc_.root : loc_.control_dir) + "/" + loc_.subscriptions_file;
    }

    char native_separator() const override { return loc_.layout == MaildirLayout::fs ? '/' : '.'; }

    std::string index_root() const override {
        return loc_.index_dir.empty() || loc_.index_dir == "MEMORY" ? loc_.root : loc_.index_dir;
    }

private:
    std::string display(const StorageName& name) const { return join_name(name, native_separator()); }

    Status validate(const StorageName& name) const {
        if (name.empty()) return Status::invalid("Invalid mailbox name: empty");
        if (name.size() > max_levels)
            return Status::invalid("Invalid mailbox name: more than " + std::to_string(max_levels) + " levels");
        for (const auto& level : name) {
            if (level.empty()) return Status::invalid("Invalid mailbox name " + display(name) + ": empty level");
            for (char c : level) {
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                    return Status::invalid("Control characters not allowed in mailbox names");
                if (c == '/') return Status::invalid("Character not allowed in mailbox name: '/'");
                if (c == '.' && loc_.layout == MaildirLayout::maildirplusplus)
                    return Status::invalid("Character not allowed in mailbox name: '.' (Maildir++ uses it as the separator on disk)");
            }
            if (level == "." || level == "..") return Status::invalid("Invalid mailbox name: Contains '" + level + "' part");
            auto enc = encode_level(level);
            if (!enc) return Status::invalid("Invalid mailbox name: not valid UTF-8");
            if (enc->size() > max_level_length)
                return Status::invalid("Invalid mailbox name: a level is longer than " + std::to_string(max_level_length) + " bytes on disk");
            if (loc_.layout == MaildirLayout::fs && (*enc == "cur" || *enc == "new" || *enc == "tmp" ||
                                                      (!loc_.dirname.empty() && *enc == loc_.dirname)))
                return Status::invalid("Invalid mailbox name: '" + level + "' is a Maildir directory name");
        }
        return Status::ok();
    }

    std::optional<std::string> encode_level(const std::string& level) const {
        if (loc_.utf8) return level;
        return utf8_to_mutf7(level);
    }

    // A level whose decoded name holds control characters (a directory
    // "&AAoACg-" decodes to "\n\n") or is not UTF-8 is not a mailbox name:
    // no client could name it, and it must never reach a LIST response.
    std::optional<std::string> decode_level(std::string_view level) const {
        std::optional<std::string> name = loc_.utf8 ? std::optional<std::string>(std::string(level)) : mutf7_to_utf8(level);
        if (!name || !mime::is_valid_utf8(*name)) return std::nullopt;
        for (unsigned char c : *name)
            if (c < 0x20 || c == 0x7f) return std::nullopt;
        return name;
    }

    // Levels of an on-disk name; nullopt (with a log line) when a level is
    // empty or not valid modified UTF-7.
    std::optional<StorageName> decode_dir_name(std::string_view text, char sep) const {
        StorageName name;
        std::size_t start = 0;
        while (true) {
            const auto pos = text.find(sep, start);
            const std::string_view level = text.substr(start, pos == std::string_view::npos ? pos : pos - start);
            auto dec = level.empty() ? std::nullopt : decode_level(level);
            if (!dec) {
                log::write(log::Level::warning, log::Category::mail, "",
                           loc_.root + ": ignoring folder directory '" + std::string(text) +
                               "': not a valid " + (loc_.utf8 ? "name" : "modified UTF-7 name") + " (rename it)");
                return std::nullopt;
            }
            name.push_back(std::move(*dec));
            if (pos == std::string_view::npos || name.size() > max_levels) break;
            start = pos + 1;
        }
        return name;
    }

    // root-relative directory of a folder ("" for INBOX), for the mirrors.
    std::string relative_dir(const StorageName& name) const {
        if (is_inbox(name)) return "";
        std::string rel;
        if (loc_.layout == MaildirLayout::maildirplusplus) {
            rel = "/.";
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (i) rel += '.';
                rel += encode_level(name[i]).value_or(name[i]);
            }
        } else {
            for (const auto& level : name) rel += "/" + encode_level(level).value_or(level);
        }
        return rel;
    }

    std::string fs_folder_dir(const StorageName& name) const { return loc_.root + relative_dir(name); }

    std::string mail_dir_of(const StorageName& name) const {
        if (is_inbox(name)) {
            if (!loc_.inbox_dir.empty()) return loc_.inbox_dir;
            // Dovecot 2.3.19 with LAYOUT=fs:DIRNAME=mAildir keeps INBOX in
            // root/INBOX/mAildir/ (observed), not in the root.
            if (loc_.layout == MaildirLayout::fs && !loc_.dirname.empty()) return loc_.root + "/INBOX/" + loc_.dirname;
            return loc_.root;
        }
        std::string dir = loc_.root + relative_dir(name);
        if (loc_.layout == MaildirLayout::fs && !loc_.dirname.empty()) dir += "/" + loc_.dirname;
        return dir;
    }

    void walk_fs(const std::string& dir, const StorageName& prefix, std::vector<StoredMailbox>& out) const {
        if (prefix.size() >= max_levels || out.size() >= max_mailboxes) return;
        for (const auto& e : read_dir(dir)) {
            if (e == "cur" || e == "new" || e == "tmp" || (!loc_.dirname.empty() && e == loc_.dirname)) continue;
            const std::string path = dir + "/" + e;
            if (!is_dir(path)) continue;
            if (!loc_.inbox_dir.empty() && path == loc_.inbox_dir) continue;
            auto level = decode_level(e);
            if (!level) {
                log::write(log::Level::warning, log::Category::mail, "",
                           path + ": ignoring folder directory: not a valid modified UTF-7 name (rename it)");
                continue;
            }
            StorageName name = prefix;
            name.push_back(std::move(*level));
            const std::string mail = loc_.dirname.empty() ? path : path + "/" + loc_.dirname;
            if (!is_inbox(name)) out.push_back({name, is_dir(mail + "/cur")});
            if (out.size() >= max_mailboxes) return;
            walk_fs(path, name, out);
        }
    }

    // The mode for new directories and files: the root's (0700/0600 when
    // the root does not exist yet), setgid kept so the group carries on.
    std::pair<mode_t, mode_t> root_modes() const {
        struct stat st {};
        if (::stat(loc_.root.c_str(), &st) != 0) return {0700, 0600};
        const mode_t dir_mode = st.st_mode & 02777;
        return {dir_mode, static_cast<mode_t>(dir_mode & 0666)};
    }

    // mkdir -p with `mode` for what it creates.
    static Status make_dirs(const std::string& path, mode_t mode) {
        if (is_dir(path)) return Status::ok();
        const auto slash = path.rfind('/');
        if (slash != std::string::npos && slash > 0)
            if (Status s = make_dirs(path.substr(0, slash), mode); !s) return s;
        if (::mkdir(path.c_str(), mode) != 0) {
            if (errno == EEXIST && is_dir(path)) return Status::ok();
            return errno_status(path, "mkdir", errno);
        }
        ::chmod(path.c_str(), mode); // the umask may have narrowed it
        return Status::ok();
    }

    Status rename_fs(const StorageName& from, const StorageName& to) {
        const std::string src = fs_folder_dir(from);
        const std::string dst = fs_folder_dir(to);
        if (!is_dir(src)) return Status::not_found("Mailbox doesn't exist: " + display(from));
        if (path_exists(dst)) return Status::error(Status::Code::already_exists, "Target mailbox already exists: " + display(to));
        const auto modes = root_modes();
        std::vector<std::pair<std::string, std::string>> done;
        const std::string rel_from = relative_dir(from), rel_to = relative_dir(to);
        for (const std::string* base : {&loc_.root, &loc_.control_dir, &loc_.index_dir}) {
            if (base->empty() || *base == "MEMORY" || (base != &loc_.root && *base == loc_.root)) continue;
            const std::string a = *base + rel_from, b = *base + rel_to;
            if (base != &loc_.root && !is_dir(a)) continue;
            const auto slash = b.rfind('/');
            Status s = make_dirs(b.substr(0, slash), modes.first);
            if (s && ::rename(a.c_str(), b.c_str()) != 0) s = errno_status(a, "rename to " + b, errno);
            if (!s) {
                for (auto it = done.rbegin(); it != done.rend(); ++it) ::rename(it->second.c_str(), it->first.c_str());
                return s;
            }
            done.emplace_back(a, b);
        }
        return Status::ok();
    }

    Status rename_maildirplusplus(const StorageName& from, const StorageName& to) {
        const std::string rel_from = relative_dir(from).substr(1); // ".a.b"
        const std::string rel_to = relative_dir(to).substr(1);
        if (!is_dir(loc_.root + "/" + rel_from)) return Status::not_found("Mailbox doesn't exist: " + display(from));
        // The folder and every child (".a.b" and ".a.b.*"), in each tree.
        std::vector<std::pair<std::string, std::string>> moves;
        for (const std::string* base : {&loc_.root, &loc_.control_dir, &loc_.index_dir}) {
            if (base->empty() || *base == "MEMORY" || (base != &loc_.root && *base == loc_.root)) continue;
            for (const auto& e : read_dir(*base)) {
                if (e == rel_from || (e.size() > rel_from.size() && e.compare(0, rel_from.size(), rel_from) == 0 &&
                                      e[rel_from.size()] == '.')) {
                    const std::string target = *base + "/" + rel_to + e.substr(rel_from.size());
                    if (path_exists(target))
                        return Status::error(Status::Code::already_exists,
                                             "Target mailbox already exists: " + target.substr(base->size() + 2));
                    moves.emplace_back(*base + "/" + e, target);
                }
            }
        }
        for (std::size_t i = 0; i < moves.size(); ++i) {
            if (::rename(moves[i].first.c_str(), moves[i].second.c_str()) != 0) {
                Status s = errno_status(moves[i].first, "rename to " + moves[i].second, errno);
                for (std::size_t j = i; j-- > 0;) ::rename(moves[j].second.c_str(), moves[j].first.c_str());
                return s;
            }
        }
        return Status::ok();
    }

    MailLocation loc_;
    StorageSettings settings_;
};

} // namespace

Result<std::unique_ptr<MailboxListBackend>> make_list_backend(const MailLocation& location,
                                                              const StorageSettings& settings) {
    if (location.driver != "maildir")
        return Status::invalid("mail_location: driver '" + location.driver + "' is not supported yet");
    if (location.root.empty() || location.root[0] != '/')
        return Status::invalid("mail_location: the Maildir root must be an absolute path");
    try {
        return std::unique_ptr<MailboxListBackend>(std::make_unique<MaildirList>(location, settings));
    } catch (const std::bad_alloc&) {
        return Status::io("out of memory");
    }
}

} // namespace mailstore::storage
