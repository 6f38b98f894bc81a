// Folder operations of a User: LIST (RFC 3501, RFC 5258 selection options,
// RFC 6154 special-use), CREATE, DELETE, RENAME, SUBSCRIBE, and the
// special-use file that keeps CREATE (USE ...) flags.
#include "storage/subscriptions_file.hpp"
#include "user/list_match.hpp"
#include "user/user_impl.hpp"

#include <mailstore/log.hpp>
#include <mailstore/mutf7.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/metadata.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace mailstore::storage {

namespace {

constexpr std::size_t kMaxSpecialUseFile = 1 << 20;
constexpr const char* kSpecialUseFile = "loft-special-use";

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto pos = text.find(sep, start);
        if (pos == std::string_view::npos) {
            out.emplace_back(text.substr(start));
            return out;
        }
        out.emplace_back(text.substr(start, pos - start));
        start = pos + 1;
    }
}

std::string join(const StorageName& levels, char sep) {
    std::string out;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        if (i)
            out += sep;
        out += levels[i];
    }
    return out;
}

const NamespaceRuntime& ns_at(const User& user, int index) {
    return user.impl().runtimes[static_cast<std::size_t>(index)];
}

// `name` without one trailing separator of its namespace: RFC 3501 6.3.3,
// CREATE "foo/" creates "foo".
std::string strip_trailing_separator(const User& user, std::string_view name) {
    std::string n(name);
    for (const auto& rt : user.impl().runtimes)
        if (n.size() > 1 && n.back() == rt.info.separator && n.size() > rt.info.prefix.size()) {
            n.pop_back();
            break;
        }
    return n;
}

std::string special_use_path(const NamespaceRuntime& ns) {
    const std::string& dir = ns.location.control_dir.empty() ? ns.location.root : ns.location.control_dir;
    return dir + "/" + kSpecialUseFile;
}

// Creates the directory of `path` and its parents (mode 0700) when missing:
// the mail root of a user who never logged in.
void make_parent_dirs(const std::string& path) {
    std::string dir = path.substr(0, path.rfind('/'));
    struct stat st {};
    if (dir.empty() || ::stat(dir.c_str(), &st) == 0)
        return;
    for (std::size_t pos = 1; (pos = dir.find('/', pos)) != std::string::npos; ++pos)
        ::mkdir(dir.substr(0, pos).c_str(), 0700);
    ::mkdir(dir.c_str(), 0700);
}

Status write_file_atomic(const std::string& path, const std::string& data, index::FsyncMode fsync) {
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    make_parent_dirs(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return Status::io(tmp + ": cannot create: " + std::strerror(errno));
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return Status::io(tmp + ": write failed: " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return Status::io(tmp + ": fdatasync failed: " + std::strerror(e));
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return Status::io(path + ": rename failed: " + std::strerror(e));
    }
    return Status::ok();
}

// Subscription names of a namespace's file, as virtual names.
std::vector<std::string> read_subscribed(const NamespaceRuntime& rt) {
    std::vector<std::string> out;
    if (!rt.info.subscriptions || !rt.list)
        return out;
    auto names = read_subscriptions(rt.list->subscriptions_path(), rt.info.separator);
    if (!names)
        return out; // a missing file is no subscriptions; read errors log in the reader
    for (const auto& raw : *names) {
        StorageName levels = split(raw, rt.info.separator);
        if (!rt.location.utf8)
            for (auto& level : levels)
                if (is_valid_mutf7(level))
                    if (auto u = mutf7_to_utf8(level))
                        level = *u;
        out.push_back(virtual_name(rt, levels));
    }
    return out;
}

// The namespace whose file keeps the subscriptions of namespace `index`
// (subscriptions = no: the namespace with subscriptions = yes whose prefix
// is the longest one that `name` starts with).
int subscriptions_owner(const User& user, int index, const std::string& name) {
    const auto& rts = user.impl().runtimes;
    if (rts[static_cast<std::size_t>(index)].info.subscriptions)
        return index;
    int best = -1;
    std::size_t best_len = 0;
    for (std::size_t i = 0; i < rts.size(); ++i)
        if (rts[i].info.subscriptions && name.starts_with(rts[i].info.prefix) &&
            (best < 0 || rts[i].info.prefix.size() > best_len)) {
            best = static_cast<int>(i);
            best_len = rts[i].info.prefix.size();
        }
    return best;
}

// The name as stored in `owner`'s subscriptions file: relative to its prefix,
// levels in modified UTF-7 unless the location says UTF-8.
std::string subscription_entry(const NamespaceRuntime& owner, const std::string& vname) {
    if (owner.info.inbox && vname == "INBOX")
        return "INBOX";
    StorageName levels = split(std::string_view(vname).substr(owner.info.prefix.size()), owner.info.separator);
    if (!owner.location.utf8)
        for (auto& level : levels)
            if (auto m = utf8_to_mutf7(level))
                level = *m;
    return join(levels, owner.info.separator);
}

bool is_inbox_name(const std::string& name) { return name == "INBOX"; }

// Read-modify-write of the subscriptions and special-use files: one lock for
// the process, because several sessions of one user (separate User objects,
// on different threads) may change the same file at once. These writes are
// rare (SUBSCRIBE, CREATE USE), so one lock costs nothing.
std::mutex& folder_files_mutex() {
    static std::mutex mutex;
    return mutex;
}

// A node of the listing tree of one namespace.
struct Node {
    bool exists = false;
    bool selectable = false;
    bool has_children = false;
    bool subscribed = false;
    bool child_subscribed = false;
    bool ns_root = false;
    std::uint32_t special_use = 0;
};

} // namespace

std::map<std::string, std::uint32_t> read_special_use_file(const NamespaceRuntime& ns) {
    std::map<std::string, std::uint32_t> out;
    std::ifstream in(special_use_path(ns), std::ios::binary);
    if (!in)
        return out;
    std::string line;
    std::size_t total = 0;
    while (std::getline(in, line) && total < kMaxSpecialUseFile) {
        total += line.size() + 1;
        auto tab = line.find('\t');
        if (tab == std::string::npos)
            continue; // not ours: ignore rather than fail LIST
        auto flags = parse_special_use(std::string_view(line).substr(0, tab));
        if (!flags)
            continue;
        StorageName levels = split(std::string_view(line).substr(tab + 1), '\t');
        out[virtual_name(ns, levels)] |= *flags;
    }
    return out;
}

Status store_special_use(const User::Impl& impl, const NamespaceRuntime& ns, const std::string& vname,
                         std::uint32_t flags) {
    std::lock_guard lock(folder_files_mutex());
    auto entries = read_special_use_file(ns);
    if (flags)
        entries[vname] = flags;
    else
        entries.erase(vname);
    std::string data;
    for (const auto& [name, f] : entries) {
        StorageName levels = (ns.info.inbox && name == "INBOX")
                                 ? StorageName{"INBOX"}
                                 : split(std::string_view(name).substr(ns.info.prefix.size()), ns.info.separator);
        data += format_special_use(f) + "\t" + join(levels, '\t') + "\n";
    }
    return write_file_atomic(special_use_path(ns), data, impl.storage.fsync);
}

Result<std::vector<std::string>> User::subscriptions() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& rt : impl_->runtimes)
        for (auto& name : read_subscribed(rt))
            if (seen.insert(name).second)
                out.push_back(std::move(name));
    return out;
}

Status User::subscribe(std::string_view name_in, bool subscribed) const {
    std::string name = normalize_name(strip_trailing_separator(*this, name_in));
    if (Status s = validate_name(name); !s)
        return s;
    int ns = namespace_of(name);
    int owner_index = subscriptions_owner(*this, ns, name);
    if (owner_index < 0)
        return Status::invalid("'" + name + "': this namespace has no subscriptions (subscriptions = no)");
    const NamespaceRuntime& owner = ns_at(*this, owner_index);
    std::lock_guard lock(folder_files_mutex());
    auto current = read_subscriptions(owner.list->subscriptions_path(), owner.info.separator);
    std::vector<std::string> names = current ? *current : std::vector<std::string>{};
    std::string entry = subscription_entry(owner, name);
    auto it = std::find(names.begin(), names.end(), entry);
    if (subscribed == (it != names.end()))
        return Status::ok();
    if (subscribed)
        names.push_back(entry);
    else
        names.erase(it);
    make_parent_dirs(owner.list->subscriptions_path());
    // Dovecot's own form ("V\t2", levels separated by tabs).
    return write_subscriptions(owner.list->subscriptions_path(), names, owner.info.separator, impl_->storage.fsync);
}

bool User::exists(std::string_view name) const {
    auto r = resolve_mailbox(*this, name);
    if (!r)
        return false;
    if (r->is_inbox)
        return true; // INBOX always exists: it is created when first opened
    auto backend = r->list->open_backend(r->storage_name);
    if (backend)
        return (*backend)->exists();
    // No driver for it: the folder list still knows.
    auto stored = r->list->list();
    if (!stored)
        return false;
    for (const auto& m : *stored)
        if (m.name == r->storage_name)
            return m.selectable;
    return false;
}

Status User::create_mailbox(std::string_view name_in, std::uint32_t special_use) const {
    std::string name = normalize_name(strip_trailing_separator(*this, name_in));
    auto r = resolve_mailbox(*this, name);
    if (!r)
        return r.status();
    if (r->is_inbox)
        return Status::error(Status::Code::already_exists, "Mailbox already exists: INBOX");
    if (exists(name))
        return Status::error(Status::Code::already_exists, "Mailbox already exists: " + name);
    // Parents are not created as mailboxes: they list as \Noselect
    // \HasChildren until created, as Dovecot does with Maildir++.
    if (Status s = r->list->create(r->storage_name); !s)
        return s;
    if (special_use)
        return store_special_use(*impl_, ns_at(*this, r->namespace_index), r->name, special_use);
    return Status::ok();
}

Status User::delete_mailbox(std::string_view name_in) const {
    std::string name = normalize_name(name_in);
    if (name == "INBOX")
        return Status::invalid("INBOX can't be deleted.");
    auto r = resolve_mailbox(*this, name);
    if (!r)
        return r.status();
    if (!exists(name))
        return Status::not_found("Mailbox doesn't exist: " + name);
    // METADATA entries (RFC 5464 §3.1: they go with the mailbox) are keyed
    // by the mailbox GUID, which is only known before the mailbox goes.
    std::optional<MetadataStore> metadata;
    std::string guid;
    if (auto store = MetadataStore::open(*this); store) {
        if (auto g = mailbox_guid(name); g) {
            metadata = std::move(*store);
            guid = std::move(*g);
        }
    }
    // The mailbox's own directory goes away; children keep theirs and the
    // name lists as \Noselect \HasChildren (Dovecot's Maildir++ behaviour).
    if (Status s = r->list->remove(r->storage_name); !s)
        return s;
    if (metadata) {
        if (Status s = metadata->remove_mailbox(guid); !s)
            log::Logger("mail").with("(" + username() + ")").errorf("DELETE {}: its metadata entries stay: {}", name, s.message());
    }
    forget_status(*this, r->namespace_index, r->name);
    const NamespaceRuntime& ns = ns_at(*this, r->namespace_index);
    if (read_special_use_file(ns).count(r->name))
        store_special_use(*impl_, ns, r->name, 0);
    return Status::ok();
}

namespace {

// Renaming INBOX (RFC 3501 6.3.5): every message moves to a new mailbox
// `to`; INBOX stays, empty, and its children are not touched. Done through
// the public API so that it works for every driver.
Status rename_inbox(const User& user, const std::string& to) {
    if (Status s = user.create_mailbox(to); !s)
        return s;
    auto src = Mailbox::open(user, "INBOX");
    if (!src)
        return src.status();
    auto dst = Mailbox::open(user, to);
    if (!dst)
        return dst.status();
    const View& view = src->view();
    if (view.count() == 0)
        return Status::ok();
    UidSet all;
    all.add(view.uid(1), view.uid(view.count()));
    Transaction tx = dst->begin();
    if (Status s = tx.move(*src, all); !s)
        return s;
    auto committed = tx.commit();
    return committed ? Status::ok() : committed.status();
}

} // namespace

Status User::rename_mailbox(std::string_view from_in, std::string_view to_in) const {
    std::string from = normalize_name(from_in);
    std::string to = normalize_name(strip_trailing_separator(*this, to_in));
    auto src = resolve_mailbox(*this, from);
    if (!src)
        return src.status();
    auto dst = resolve_mailbox(*this, to);
    if (!dst)
        return dst.status();
    if (dst->is_inbox || exists(to))
        return Status::error(Status::Code::already_exists, "Mailbox already exists: " + to);
    if (src->namespace_index != dst->namespace_index)
        return Status::invalid("can't rename mailboxes across namespaces: '" + from + "' to '" + to + "'");
    if (src->is_inbox)
        return rename_inbox(*this, to);
    const StorageName& a = src->storage_name;
    const StorageName& b = dst->storage_name;
    if (b.size() > a.size() && std::equal(a.begin(), a.end(), b.begin()))
        return Status::invalid("can't rename '" + from + "' into its own child '" + to + "'");
    const NamespaceRuntime& ns = ns_at(*this, src->namespace_index);
    if (exists(from)) {
        if (Status s = ns.list->rename(a, b); !s)
            return s;
    } else {
        // A \Noselect parent: its children move one by one (shallowest
        // first; a layout that moves children with the parent has already
        // moved the deeper ones).
        auto stored = ns.list->list();
        if (!stored)
            return stored.status();
        std::vector<StorageName> children;
        for (const auto& m : *stored)
            if (m.name.size() > a.size() && std::equal(a.begin(), a.end(), m.name.begin()))
                children.push_back(m.name);
        if (children.empty())
            return Status::not_found("Mailbox doesn't exist: " + from);
        std::sort(children.begin(), children.end(),
                  [](const StorageName& x, const StorageName& y) { return x.size() < y.size(); });
        for (const auto& child : children) {
            StorageName target = b;
            target.insert(target.end(), child.begin() + static_cast<std::ptrdiff_t>(a.size()), child.end());
            auto backend = ns.list->open_backend(child);
            if (!backend || !(*backend)->exists())
                continue;
            if (Status s = ns.list->rename(child, target); !s)
                return s;
        }
    }
    forget_status(*this, src->namespace_index, from);
    // Special-use flags follow the mailbox and its children.
    auto uses = read_special_use_file(ns);
    for (const auto& [name, flags] : uses) {
        if (name == from || name.starts_with(from + ns.info.separator)) {
            store_special_use(*impl_, ns, name, 0);
            store_special_use(*impl_, ns, to + name.substr(from.size()), flags);
        }
    }
    return Status::ok();
}

Result<std::string> User::mailbox_guid(std::string_view name) const {
    OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = Mailbox::open(*this, name, options);
    if (!box)
        return box.status();
    return box->guid();
}

Status User::create_auto_mailboxes() const {
    std::optional<std::vector<std::string>> subs;
    Status result;
    for (const auto& rt : impl_->runtimes) {
        for (const auto& box : rt.mailboxes) {
            if (box.autocreate == MailboxSettings::Auto::no)
                continue;
            if (!is_inbox_name(box.name) && !exists(box.name)) {
                Status s = create_mailbox(box.name);
                if (!s && s.code() != Status::Code::already_exists)
                    result = s;
            }
            if (box.autocreate == MailboxSettings::Auto::subscribe) {
                if (!subs) {
                    auto current = subscriptions();
                    subs = current ? *current : std::vector<std::string>{};
                }
                if (std::find(subs->begin(), subs->end(), box.name) == subs->end()) {
                    if (Status s = subscribe(box.name); !s)
                        result = s;
                }
            }
        }
    }
    return result;
}

Result<std::vector<MailboxInfo>> User::list(const ListQuery& query) const {
    std::vector<MailboxInfo> out;
    const auto& rts = impl_->runtimes;

    // LIST "" "": the hierarchy separator and the root of the reference.
    if (query.patterns.size() == 1 && query.patterns[0].empty() && !query.lsub) {
        int ns = namespace_of(query.reference);
        if (ns < 0)
            ns = 0;
        MailboxInfo info;
        info.separator = rts.empty() ? '.' : rts[static_cast<std::size_t>(ns)].info.separator;
        auto pos = query.reference.find(info.separator);
        info.name = pos == std::string::npos ? "" : query.reference.substr(0, pos + 1);
        info.attributes = attr_noselect;
        info.namespace_index = ns;
        out.push_back(std::move(info));
        return out;
    }

    auto subscribed_list = subscriptions();
    std::set<std::string> subscribed;
    if (subscribed_list)
        subscribed.insert(subscribed_list->begin(), subscribed_list->end());

    std::set<std::string> listed;
    for (std::size_t i = 0; i < rts.size(); ++i) {
        const NamespaceRuntime& rt = rts[i];
        const char sep = rt.info.separator;
        std::vector<std::string> patterns;
        for (const auto& p : query.patterns)
            patterns.push_back(list_combine(query.reference, p, sep));
        if (rt.info.list == NamespaceList::no) {
            // Only a pattern that names the prefix explicitly reaches a
            // namespace with list = no.
            bool named = false;
            for (const auto& p : patterns)
                named |= !rt.info.prefix.empty() && p.starts_with(rt.info.prefix);
            if (!named)
                continue;
        }
        auto matches = [&](const std::string& name) {
            for (const auto& p : patterns)
                if (list_match(p, name, sep))
                    return true;
            return false;
        };

        std::map<std::string, Node> nodes;
        auto stored = rt.list->list();
        if (!stored) {
            log::Logger("mail").with("(" + username() + ")").warningf("LIST: {}", stored.status().message());
            continue;
        }
        auto add_parents = [&](const std::string& vname) {
            // Every ancestor of vname inside this namespace has children.
            std::size_t floor = rt.info.prefix.size();
            for (std::size_t pos = vname.size(); pos-- > floor;) {
                if (vname[pos] != sep)
                    continue;
                nodes[vname.substr(0, pos)].has_children = true;
            }
            if (!rt.info.prefix.empty() && vname.size() > floor) {
                Node& root = nodes[rt.info.prefix.substr(0, floor - 1)];
                root.has_children = true;
            }
        };
        for (const auto& m : *stored) {
            // The root's own cur/ is INBOX only in the inbox namespace.
            if (!rt.info.inbox && m.name.size() == 1 && m.name[0] == "INBOX")
                continue;
            std::string vname = virtual_name(rt, m.name);
            Node& node = nodes[vname];
            node.exists = true;
            node.selectable = m.selectable;
            add_parents(vname);
        }
        if (rt.info.inbox) {
            Node& inbox = nodes["INBOX"];
            inbox.exists = true;
            inbox.selectable = true;
        }
        if (!rt.info.prefix.empty()) {
            std::string root = rt.info.prefix.substr(0, rt.info.prefix.size() - 1);
            Node& node = nodes[root];
            if (root != "INBOX")
                node.ns_root = true;
        }
        for (const auto& name : subscribed) {
            if (namespace_of(name) != static_cast<int>(i))
                continue;
            nodes[name].subscribed = true;
            // Ancestors learn that a descendant is subscribed (RECURSIVEMATCH).
            std::size_t floor = rt.info.prefix.size();
            for (std::size_t pos = name.size(); pos-- > floor;)
                if (name[pos] == sep)
                    nodes[name.substr(0, pos)].child_subscribed = true;
            if (floor > 0 && name.size() > floor)
                nodes[rt.info.prefix.substr(0, floor - 1)].child_subscribed = true;
        }
        for (const auto& box : rt.mailboxes)
            if (auto it = nodes.find(box.name); it != nodes.end())
                it->second.special_use |= box.special_use;
        for (const auto& [name, flags] : read_special_use_file(rt))
            if (auto it = nodes.find(name); it != nodes.end())
                it->second.special_use |= flags;

        // INBOX first, then by name.
        std::vector<std::pair<const std::string*, Node*>> order;
        if (auto it = nodes.find("INBOX"); it != nodes.end())
            order.emplace_back(&it->first, &it->second);
        for (auto& [name, node] : nodes)
            if (name != "INBOX")
                order.emplace_back(&name, &node);

        for (auto [name_ptr, node_ptr] : order) {
            const std::string& name = *name_ptr;
            const Node& node = *node_ptr;
            if (!node.ns_root && namespace_of(name) != static_cast<int>(i))
                continue; // belongs to a namespace with a longer prefix
            if (node.ns_root) {
                if (rt.info.list == NamespaceList::children && !node.has_children)
                    continue;
            }
            const bool real = node.exists || node.has_children || node.ns_root;
            MailboxInfo info;
            info.name = name;
            info.separator = sep;
            info.namespace_index = static_cast<int>(i);
            info.special_use = node.special_use;
            if (!node.exists || !node.selectable)
                info.attributes |= attr_noselect;
            if (!real)
                info.attributes |= attr_nonexistent;
            info.attributes |= node.has_children ? attr_has_children : attr_has_no_children;
            if (node.subscribed)
                info.attributes |= attr_subscribed;

            bool include = false;
            if (query.lsub) {
                if (node.subscribed && matches(name)) {
                    include = true;
                } else if (node.child_subscribed && !node.subscribed && matches(name)) {
                    // RFC 3501 6.3.9: "%" matching a parent of a subscribed
                    // mailbox returns the parent as \Noselect.
                    bool has_wildcard_percent = false;
                    for (const auto& p : patterns)
                        has_wildcard_percent |= p.find('%') != std::string::npos && list_match(p, name, sep);
                    if (has_wildcard_percent) {
                        include = true;
                        info.attributes |= attr_noselect;
                    }
                }
            } else if (query.subscribed) {
                if (!matches(name))
                    continue;
                if (node.subscribed)
                    include = true;
                else if (query.recursive_match && node.child_subscribed)
                    include = true;
                if (query.recursive_match && node.child_subscribed)
                    info.child_subscribed = true;
            } else {
                include = real && matches(name);
                if (include && query.recursive_match && node.child_subscribed)
                    info.child_subscribed = true;
            }
            if (include && query.special_use_only && info.special_use == 0)
                include = false;
            if (!include || !listed.insert(name).second)
                continue;
            out.push_back(std::move(info));
        }
    }
    return out;
}

} // namespace mailstore::storage
