// Namespaces from `namespace NAME { }` blocks, and how a virtual mailbox name
// maps to a namespace and its storage name (Dovecot's rules: the prefix ends
// with the separator, exactly one inbox=yes namespace, INBOX is matched
// case-insensitively, the longest prefix wins).
#include "user/user_impl.hpp"

#include <mailstore/log.hpp>
#include <mailstore/mutf7.hpp>

#include <algorithm>

namespace mailstore::storage {

namespace {

constexpr std::size_t kMaxNameBytes = 1024;
constexpr std::size_t kMaxLevelBytes = 255;
constexpr std::size_t kMaxLevels = 16;
constexpr std::size_t kMaxNamespaces = 64;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
           });
}

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

std::string ns_label(const config::Section& section) {
    std::string where = section.location().to_string();
    return where + ": namespace " + (section.name().empty() ? std::string("(unnamed)") : section.name());
}

Result<std::vector<MailboxSettings>> mailbox_blocks(const config::Section& section, const NamespaceInfo& ns) {
    std::vector<MailboxSettings> out;
    for (const auto& box : section.children("mailbox")) {
        MailboxSettings m;
        m.name = iequals(box.name(), "INBOX") && ns.inbox ? std::string("INBOX") : ns.prefix + box.name();
        std::string uses;
        for (const auto& word : box.get_list("special_use"))
            uses += (uses.empty() ? "" : " ") + word;
        if (!uses.empty()) {
            auto flags = parse_special_use(uses);
            if (!flags)
                return Status::invalid(box.location().to_string() + ": mailbox " + box.name() + ": special_use '" +
                                       uses + "' is not a list of RFC 6154 flags (\\Sent \\Trash \\Drafts \\Junk "
                                       "\\Archive \\Flagged \\All)");
            m.special_use = *flags;
        }
        std::string autocreate = box.get("auto");
        m.autocreate = autocreate == "create"      ? MailboxSettings::Auto::create
                       : autocreate == "subscribe" ? MailboxSettings::Auto::subscribe
                                                   : MailboxSettings::Auto::no;
        out.push_back(std::move(m));
    }
    return out;
}

// Parses the location and makes the namespace's storage.
Status attach_storage(User::Impl& impl, NamespaceRuntime& rt) {
    auto location = parse_mail_location(rt.info.location, impl.settings.home);
    if (!location)
        return location.status();
    rt.location = *location;
    auto list = make_list_backend(rt.location, impl.storage);
    if (!list)
        return list.status();
    rt.list = std::shared_ptr<MailboxListBackend>(std::move(*list));
    return Status::ok();
}

} // namespace

std::string virtual_name(const NamespaceRuntime& ns, const StorageName& name) {
    if (ns.info.inbox && name.size() == 1 && iequals(name[0], "INBOX"))
        return "INBOX";
    std::string out = ns.info.prefix;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (i > 0)
            out += ns.info.separator;
        out += name[i];
    }
    return out;
}

Status load_namespaces(User::Impl& impl) {
    const log::Logger logger = log::Logger("mail").with("(" + impl.settings.username + ")");
    auto sections = impl.config.sections("namespace");
    if (sections.size() > kMaxNamespaces)
        return Status::invalid("more than " + std::to_string(kMaxNamespaces) + " namespace blocks");
    for (const auto& section : sections) {
        const std::string label = ns_label(section);
        if (section.get_bool("disabled"))
            continue;
        NamespaceRuntime rt;
        NamespaceInfo& ns = rt.info;
        ns.name = section.name();
        std::string type = section.get("type");
        if (type == "shared") {
            // Other users' mailboxes need ACLs (a later release): the block
            // loads, but the namespace is not served yet.
            logger.debugf("{}: shared namespaces are not served yet; skipped", label);
            continue;
        }
        ns.type = type == "public" ? NamespaceType::public_ns : NamespaceType::private_ns;
        ns.inbox = section.get_bool("inbox");
        ns.hidden = section.get_bool("hidden");
        std::string list = section.get("list");
        ns.list = list == "no" ? NamespaceList::no : list == "children" ? NamespaceList::children : NamespaceList::yes;
        ns.subscriptions = section.get_bool("subscriptions");
        const bool ignore_on_failure = section.get_bool("ignore_on_failure");

        std::string location = section.get("location");
        if (location.empty()) {
            ns.location = impl.mail_location;
        } else {
            auto expanded = expand_user_variables(location, impl.settings);
            if (!expanded)
                return Status::invalid(label + ": location: " + expanded.status().message());
            ns.location = *expanded;
        }
        if (Status s = attach_storage(impl, rt); !s) {
            if (ignore_on_failure) {
                logger.warningf("{}: skipped (ignore_on_failure = yes): {}", label, s.message());
                continue;
            }
            return Status::invalid(label + ": location '" + ns.location + "': " + s.message() +
                                   " (fix the location, or set ignore_on_failure = yes)");
        }
        std::string sep = section.get("separator");
        if (sep.empty())
            ns.separator = rt.list->native_separator();
        else if (sep.size() == 1 && sep[0] > ' ' && sep[0] < 0x7f && sep[0] != '*' && sep[0] != '%')
            ns.separator = sep[0];
        else
            return Status::invalid(label + ": separator '" + sep + "' must be one printable character such as / or .");
        auto prefix = expand_user_variables(section.get("prefix"), impl.settings);
        if (!prefix)
            return Status::invalid(label + ": prefix: " + prefix.status().message());
        ns.prefix = *prefix;
        if (!ns.prefix.empty() && ns.prefix.back() != ns.separator)
            return Status::invalid(label + ": prefix '" + ns.prefix + "' must end with the separator '" +
                                   std::string(1, ns.separator) + "' (write '" + ns.prefix + ns.separator + "')");
        for (const auto& other : impl.runtimes)
            if (other.info.prefix == ns.prefix)
                return Status::invalid(label + ": a namespace with prefix '" + ns.prefix +
                                       "' is already defined (each prefix once)");
        auto boxes = mailbox_blocks(section, ns);
        if (!boxes)
            return boxes.status();
        rt.mailboxes = std::move(*boxes);
        impl.runtimes.push_back(std::move(rt));
    }
    if (sections.empty()) {
        // No namespace block: one private namespace holding INBOX, with the
        // storage's own separator, as Dovecot does.
        NamespaceRuntime rt;
        rt.info.inbox = true;
        rt.info.location = impl.mail_location;
        if (Status s = attach_storage(impl, rt); !s)
            return Status::invalid("mail_location '" + impl.mail_location + "': " + s.message());
        rt.info.separator = rt.list->native_separator();
        impl.runtimes.push_back(std::move(rt));
    }
    int inboxes = 0;
    for (const auto& rt : impl.runtimes)
        inboxes += rt.info.inbox ? 1 : 0;
    if (inboxes == 0)
        return Status::invalid("no namespace has inbox = yes: set it in the namespace that holds INBOX "
                               "(usually `namespace inbox { inbox = yes }`)");
    if (inboxes > 1)
        return Status::invalid("more than one namespace has inbox = yes: only one may hold INBOX");
    for (const auto& rt : impl.runtimes)
        impl.namespaces.push_back(rt.info);
    return Status::ok();
}

int User::namespace_of(std::string_view name) const {
    std::string norm = normalize_name(name);
    const auto& rts = impl_->runtimes;
    if (norm == "INBOX") {
        for (std::size_t i = 0; i < rts.size(); ++i)
            if (rts[i].info.inbox)
                return static_cast<int>(i);
    }
    int best = -1;
    std::size_t best_len = 0;
    for (std::size_t i = 0; i < rts.size(); ++i) {
        const std::string& prefix = rts[i].info.prefix;
        bool match = std::string_view(norm).starts_with(prefix) ||
                     (!prefix.empty() && std::string_view(norm) == std::string_view(prefix).substr(0, prefix.size() - 1));
        if (match && (best < 0 || prefix.size() > best_len)) {
            best = static_cast<int>(i);
            best_len = prefix.size();
        }
    }
    return best;
}

std::string User::normalize_name(std::string_view name) const {
    if (name.size() < 5 || !iequals(name.substr(0, 5), "INBOX"))
        return std::string(name);
    if (name.size() == 5)
        return "INBOX";
    // "inbox/child": only when the separator after it is the inbox
    // namespace's own.
    for (const auto& rt : impl_->runtimes)
        if (rt.info.inbox && name[5] == rt.info.separator)
            return "INBOX" + std::string(name.substr(5));
    return std::string(name);
}

namespace {

// The storage name of `name` in namespace `rt`, checking each level.
Result<StorageName> storage_name_of(const NamespaceRuntime& rt, const std::string& name) {
    if (rt.info.inbox && name == "INBOX")
        return StorageName{"INBOX"};
    if (name.size() <= rt.info.prefix.size())
        return Status::invalid("'" + name + "' is the namespace prefix, not a mailbox");
    std::string_view rest = std::string_view(name).substr(rt.info.prefix.size());
    StorageName levels = split(rest, rt.info.separator);
    if (levels.size() > kMaxLevels)
        return Status::invalid("mailbox name '" + name + "' has more than " + std::to_string(kMaxLevels) +
                               " hierarchy levels");
    const char native = rt.list ? rt.list->native_separator() : rt.info.separator;
    for (const auto& level : levels) {
        if (level.empty())
            return Status::invalid("mailbox name '" + name + "' has an empty hierarchy level (separator '" +
                                   std::string(1, rt.info.separator) + "' at the start, end or twice)");
        if (level == "." || level == "..")
            return Status::invalid("mailbox name '" + name + "' has a '" + level + "' level");
        if (level.size() > kMaxLevelBytes)
            return Status::invalid("mailbox name '" + name + "' has a level longer than " +
                                   std::to_string(kMaxLevelBytes) + " bytes");
        if (level.find('/') != std::string::npos)
            return Status::invalid("mailbox name '" + name + "': '/' is not allowed in a name level");
        if (native != rt.info.separator && level.find(native) != std::string::npos)
            return Status::invalid("mailbox name '" + name + "': character '" + std::string(1, native) +
                                   "' is not allowed (it separates folders on disk)");
    }
    return levels;
}

} // namespace

Status User::validate_name(std::string_view name) const {
    if (name.empty())
        return Status::invalid("empty mailbox name");
    if (name.size() > kMaxNameBytes)
        return Status::invalid("mailbox name longer than " + std::to_string(kMaxNameBytes) + " bytes");
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f)
            return Status::invalid("mailbox name contains a control character");
    if (!utf8_to_mutf7(name))
        return Status::invalid("mailbox name is not valid UTF-8");
    int ns = namespace_of(name);
    if (ns < 0)
        return Status::invalid("mailbox name '" + std::string(name) + "' is in no namespace");
    auto levels = storage_name_of(impl_->runtimes[static_cast<std::size_t>(ns)], normalize_name(name));
    return levels ? Status::ok() : levels.status();
}

Result<ResolvedMailbox> resolve_mailbox(const User& user, std::string_view name) {
    if (Status s = user.validate_name(name); !s)
        return s;
    ResolvedMailbox r;
    r.name = user.normalize_name(name);
    r.namespace_index = user.namespace_of(r.name);
    const NamespaceRuntime& rt = user.impl().runtimes[static_cast<std::size_t>(r.namespace_index)];
    auto levels = storage_name_of(rt, r.name);
    if (!levels)
        return levels.status();
    r.storage_name = std::move(*levels);
    r.is_inbox = rt.info.inbox && r.name == "INBOX";
    r.paths = rt.list->paths(r.storage_name);
    r.settings = user.impl().storage;
    r.list = rt.list;
    for (const auto& box : rt.mailboxes)
        if (box.name == r.name)
            r.special_use |= box.special_use;
    auto stored = read_special_use_file(rt);
    if (auto it = stored.find(r.name); it != stored.end())
        r.special_use |= it->second;
    return r;
}

} // namespace mailstore::storage
