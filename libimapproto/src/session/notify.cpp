// NOTIFY (RFC 5465): the watched set, the snapshots of what the client was
// told, and the unsolicited responses that report the differences.
#include "session/notify.hpp"

#include "commands/metadata_entries.hpp"
#include "fetch/fetch_message.hpp"
#include "session/context.hpp"
#include "session/search_updates.hpp"

#include <mailstore/storage/metadata.hpp>
#include <mailstore/storage/user.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// The hierarchy separator of the namespace `name` is in.
char separator(Context& ctx, const std::string& name) {
    int ns = ctx.user().namespace_of(name);
    const auto& spaces = ctx.user().namespaces();
    if (ns < 0 || static_cast<std::size_t>(ns) >= spaces.size())
        return '/';
    return spaces[static_cast<std::size_t>(ns)].separator;
}

// A Context that never reports its output as full: the FETCH of a
// MessageNew notification is written whole, not resumed after a flush (it
// is not a command). Everything else is the session's.
class WholeOutput final : public Context {
public:
    explicit WholeOutput(Context& inner) : in_(inner) {}
    const Command& command() const override { return in_.command(); }
    void untagged(std::string_view line) override { in_.untagged(line); }
    void continuation(std::string_view text) override { in_.continuation(text); }
    Output& out() override { return in_.out(); }
    bool output_full() const override { return false; }
    void finish_ok(std::string_view code, std::string_view text) override { in_.finish_ok(code, text); }
    void finish_no(std::string_view code, std::string_view text) override { in_.finish_no(code, text); }
    void finish_bad(std::string_view text) override { in_.finish_bad(text); }
    void finish_status(const mailstore::Status& status) override { in_.finish_status(status); }
    bool finished() const override { return in_.finished(); }
    std::optional<std::string> take_line() override { return in_.take_line(); }
    void set_delay(std::chrono::milliseconds delay) override { in_.set_delay(delay); }
    SessionState state() const override { return in_.state(); }
    const SessionOptions& options() const override { return in_.options(); }
    const SessionSettings& settings() const override { return in_.settings(); }
    const mailstore::config::Config& config() const override { return in_.config(); }
    const mailstore::log::Logger& log() const override { return in_.log(); }
    SessionStats& stats() override { return in_.stats(); }
    LoginBackend* login_backend() override { return in_.login_backend(); }
    bool plaintext_allowed() const override { return in_.plaintext_allowed(); }
    mailstore::Status login(const std::string& user, const std::string& mechanism,
                            const mailstore::auth::FieldList& prefetched) override {
        return in_.login(user, mechanism, prefetched);
    }
    void request_starttls() override { in_.request_starttls(); }
    bool tls_active() const override { return in_.tls_active(); }
    bool starttls_available() const override { return in_.starttls_available(); }
    void request_compress() override { in_.request_compress(); }
    bool compress_active() const override { return in_.compress_active(); }
    void request_logout() override { in_.request_logout(); }
    std::string capabilities() const override { return in_.capabilities(); }
    st::User& user() override { return in_.user(); }
    Selected* selected() override { return in_.selected(); }
    void select(std::unique_ptr<st::Mailbox> mailbox, bool read_only) override {
        in_.select(std::move(mailbox), read_only);
    }
    void deselect() override { in_.deselect(); }
    void send_updates(bool allow_expunges) override { in_.send_updates(allow_expunges); }
    void send_flags() override { in_.send_flags(); }
    Enabled& enabled() override { return in_.enabled(); }
    st::UidSet& saved_result() override { return in_.saved_result(); }
    SearchUpdates& search_updates() override { return in_.search_updates(); }
    Notify& notify() override { return in_.notify(); }
    const std::string& spool_dir() const override { return in_.spool_dir(); }

private:
    Context& in_;
};

// What the client knows of one mailbox of the list.
struct NameEntry {
    std::string guid;
    std::uint32_t attributes = 0;
    char separator = '/';
};

// Commands that change other mailboxes or the mailbox list themselves: their
// own changes are not reported back (RFC 5465 §5).
bool changes_others(const Command& cmd) {
    // GENURLAUTH and RESETKEY write the mailbox's URLAUTH key (a METADATA
    // entry with mail_attribute_dict).
    static const char* const names[] = {"CREATE", "DELETE", "RENAME",      "SUBSCRIBE",  "UNSUBSCRIBE",
                                        "APPEND", "COPY",   "MOVE",        "SETMETADATA", "GENURLAUTH",
                                        "RESETKEY"};
    return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return cmd.name == n; });
}

std::string separator_text(char sep) {
    if (sep == 0)
        return "NIL";
    if (sep == '"' || sep == '\\')
        return std::string("\"\\") + sep + '"';
    return std::string("\"") + sep + '"';
}

// A dict file bigger than this is not read (Loft writes at most 1 MiB of
// entries, MetadataLimits::max_total_bytes; a larger one was written by
// someone else): the metadata events stay silent and an error is logged.
constexpr std::uint64_t kMaxMetadataFile = 16 * 1024 * 1024;

std::atomic<std::uint64_t> g_metadata_reads{0};

std::string lower_ascii(std::string_view in) {
    std::string out(in);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace

std::uint64_t notify_metadata_reads() { return g_metadata_reads.load(); }

struct Notify::State {
    bool active = false;
    NotifyRequest request;
    bool track_names = false; // some group asks for MailboxName
    bool track_subs = false;  // SubscriptionChange, or a SUBSCRIBED filter
    bool track_meta = false;  // MailboxMetadataChange or ServerMetadataChange
    // METADATA entries (name -> value) the client was last told of, per
    // mailbox ("" for the server's); where the store keeps them.
    using Entries = std::map<std::string, std::string>;
    std::map<std::string, Entries> meta;
    std::string meta_path;
    // What `meta` was read from: the file and the GUIDs it was sliced by
    // (mailbox GUID -> name; "" -> the server). Unchanged: no read.
    std::optional<st::MetadataFileVersion> meta_stamp; // the dict file as last read
    std::map<std::string, std::string> meta_keys;
    // Mailboxes with message events (other than the selected one's), and
    // the STATUS the client last heard of each.
    struct Watched {
        unsigned events = 0;
        st::MailboxStatus told;
    };
    std::map<std::string, Watched> watched;
    std::map<std::string, NameEntry> names; // the last mailbox list
    std::set<std::string> subscribed;       // the last subscriptions
    std::set<std::string> half_made;        // names the last poll saw half created
    std::string selected_name;              // "" when none
    std::string root;                       // the mailbox root (INBOX's directory)
    std::map<std::string, std::vector<std::string>> path_cache;
    std::vector<std::string> paths;
    std::uint64_t generation = 0;
    bool unsolicited = false; // inside poll(): no command is running
    mutable bool list_too_big = false;

    // --- helpers ---
    bool covers(Context& ctx, const NotifyGroup& g, const std::string& name) const;
    // `half_made`: where to put the names seen half created.
    bool load_list(Context& ctx, std::map<std::string, NameEntry>& out,
                   std::set<std::string>* half_made = nullptr) const;
    std::set<std::string> load_subscriptions(Context& ctx) const;
    bool rebuild(Context& ctx);
    void update_paths(Context& ctx);
    std::string status_line(Context& ctx, const std::string& name, const st::MailboxStatus& s, bool validity) const;
    std::string list_line(Context& ctx, const std::string& name, const NameEntry* entry, bool nonexistent,
                          const std::string* old_name) const;
    void collect(Context& ctx, std::vector<std::string>& out);
    std::optional<std::map<std::string, Entries>> load_meta(Context& ctx);
    void collect_meta(Context& ctx, std::vector<std::string>& out);
    void absorb(Context& ctx);
    void overflow(Context& ctx);
};

bool Notify::State::covers(Context& ctx, const NotifyGroup& g, const std::string& name) const {
    switch (g.filter) {
    case NotifyFilter::selected:
    case NotifyFilter::selected_delayed:
        return false;
    case NotifyFilter::inboxes: // §6.3: Loft cannot tell which mailboxes an MDA delivers to
    case NotifyFilter::personal: {
        int ns = ctx.user().namespace_of(name);
        const auto& spaces = ctx.user().namespaces();
        return ns >= 0 && static_cast<std::size_t>(ns) < spaces.size() &&
               spaces[static_cast<std::size_t>(ns)].type == st::NamespaceType::private_ns;
    }
    case NotifyFilter::subscribed:
        return subscribed.count(name) != 0;
    case NotifyFilter::subtree:
        for (const auto& n : g.names) {
            if (name == n)
                return true;
            if (name.size() > n.size() && name.compare(0, n.size(), n) == 0 && name[n.size()] == separator(ctx, name))
                return true;
        }
        return false;
    case NotifyFilter::mailboxes:
        return std::find(g.names.begin(), g.names.end(), name) != g.names.end();
    }
    return false;
}

bool Notify::State::load_list(Context& ctx, std::map<std::string, NameEntry>& out,
                              std::set<std::string>* half_made) const {
    st::ListQuery q;
    q.patterns = {"*"};
    auto listed = ctx.user().list(q);
    if (!listed) {
        ctx.log().error("NOTIFY: listing mailboxes failed: " + listed.status().message());
        return false;
    }
    if (listed->size() > kMaxListedMailboxes) {
        // The snapshot of names is bounded too: refused / overflow.
        list_too_big = true;
        return false;
    }
    std::map<std::string, NameEntry> now;
    for (const auto& info : *listed) {
        if (info.attributes & st::attr_nonexistent)
            continue;
        // A \Noselect name without children is a mailbox seen half made
        // (its directory exists, its new/ and cur/ not yet): it counts once
        // it is complete, or the client would hear of it as \Noselect.
        if ((info.attributes & st::attr_noselect) && !(info.attributes & st::attr_has_children)) {
            if (half_made)
                half_made->insert(info.name);
            continue;
        }
        NameEntry e;
        e.attributes = info.attributes;
        e.separator = info.separator;
        auto old = names.find(info.name);
        if (old != names.end() && !old->second.guid.empty()) {
            e.guid = old->second.guid;
        } else if ((track_names || track_meta) && !(info.attributes & st::attr_noselect)) {
            auto guid = ctx.user().mailbox_guid(info.name);
            if (guid)
                e.guid = *guid;
        }
        now.emplace(info.name, std::move(e));
    }
    out = std::move(now);
    return true;
}

std::set<std::string> Notify::State::load_subscriptions(Context& ctx) const {
    auto subs = ctx.user().subscriptions();
    if (!subs)
        return subscribed;
    return std::set<std::string>(subs->begin(), subs->end());
}

// Recomputes the watched mailboxes from the current list; new ones start
// from their current STATUS (nothing to report about them yet). false: too
// many.
bool Notify::State::rebuild(Context& ctx) {
    std::map<std::string, Watched> next;
    for (const auto& [name, entry] : names) {
        if (entry.attributes & (st::attr_noselect | st::attr_nonexistent))
            continue;
        unsigned events = 0;
        for (const auto& g : request.groups)
            if ((g.events & kNotifyMessageEvents) && covers(ctx, g, name))
                events |= g.events & kNotifyMessageEvents;
        if (events == 0)
            continue;
        if (next.size() >= kMaxWatchedMailboxes)
            return false;
        Watched w;
        w.events = events;
        auto old = watched.find(name);
        if (old != watched.end()) {
            w.told = old->second.told;
        } else {
            auto s = ctx.user().status(name, st::status_messages | st::status_uidnext | st::status_uidvalidity |
                                                 st::status_unseen | st::status_highest_modseq);
            if (s)
                w.told = *s;
        }
        next.emplace(name, std::move(w));
    }
    watched = std::move(next);
    update_paths(ctx);
    return true;
}

void Notify::State::update_paths(Context& ctx) {
    std::vector<std::string> p;
    if (root.empty()) {
        // INBOX's directory holds the other mailboxes (Maildir++) and the
        // subscriptions file: a change there is a CREATE, DELETE, RENAME
        // or SUBSCRIBE.
        st::OpenOptions o;
        o.read_only = true;
        o.claim_recent = false;
        auto inbox = st::Mailbox::open(ctx.user(), "INBOX", o);
        if (inbox) {
            for (const auto& path : inbox->watch_paths())
                if (path.size() > 4 && path.compare(path.size() - 4, 4, "/new") == 0)
                    root = path.substr(0, path.size() - 4);
        }
    }
    if ((track_names || track_subs) && !root.empty())
        p.push_back(root);
    if (track_meta && !meta_path.empty())
        p.push_back(meta_path); // watched through its directory
    for (const auto& [name, w] : watched) {
        auto cached = path_cache.find(name);
        if (cached == path_cache.end()) {
            st::OpenOptions o;
            o.read_only = true;
            o.claim_recent = false;
            auto box = st::Mailbox::open(ctx.user(), name, o);
            if (!box)
                continue;
            cached = path_cache.emplace(name, box->watch_paths()).first;
        }
        p.insert(p.end(), cached->second.begin(), cached->second.end());
    }
    if (request.selected && ctx.selected() && ctx.selected()->mailbox) {
        auto sp = ctx.selected()->mailbox->watch_paths();
        p.insert(p.end(), sp.begin(), sp.end());
    }
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    // Forget the paths of mailboxes no longer watched (renamed, deleted).
    for (auto it = path_cache.begin(); it != path_cache.end();)
        it = watched.count(it->first) ? std::next(it) : path_cache.erase(it);
    if (p != paths) {
        paths = std::move(p);
        ++generation;
    }
}

// "STATUS name (MESSAGES n UIDNEXT n [UIDVALIDITY n] UNSEEN n [HIGHESTMODSEQ n])":
// §5.2/§5.3 ask for UIDNEXT and MESSAGES, §5.1 for UIDVALIDITY when it
// changed or when FlagChange is watched with CONDSTORE/QRESYNC enabled
// (`validity`), and HIGHESTMODSEQ with CONDSTORE/QRESYNC; UNSEEN reports
// \Seen changes (§5.1 allows it).
std::string Notify::State::status_line(Context& ctx, const std::string& name, const st::MailboxStatus& s,
                                       bool validity) const {
    std::string line = "STATUS ";
    write_mailbox_name(ctx, line, name);
    line += " (MESSAGES " + std::to_string(s.messages) + " UIDNEXT " + std::to_string(s.uidnext);
    if (validity)
        line += " UIDVALIDITY " + std::to_string(s.uidvalidity);
    line += " UNSEEN " + std::to_string(s.unseen);
    if (ctx.enabled().condstore || ctx.enabled().qresync)
        line += " HIGHESTMODSEQ " + std::to_string(s.highest_modseq);
    line += ')';
    return line;
}

// "LIST (attrs) sep name" (§5.4, §5.5), attributes in Dovecot's order.
std::string Notify::State::list_line(Context& ctx, const std::string& name, const NameEntry* entry, bool nonexistent,
                                     const std::string* old_name) const {
    std::string attrs;
    auto add = [&](const char* a) {
        if (!attrs.empty())
            attrs += ' ';
        attrs += a;
    };
    if (nonexistent || !entry) {
        add("\\NonExistent");
    } else {
        if (entry->attributes & st::attr_noselect)
            add("\\Noselect");
        if (entry->attributes & st::attr_noinferiors)
            add("\\Noinferiors");
    }
    if (subscribed.count(name))
        add("\\Subscribed");
    if (entry && !nonexistent) {
        if (entry->attributes & st::attr_has_children)
            add("\\HasChildren");
        else if ((entry->attributes & st::attr_has_no_children) && !(entry->attributes & st::attr_noinferiors))
            add("\\HasNoChildren");
    }
    const char sep = entry ? entry->separator : separator(ctx, name);
    std::string line = "LIST (" + attrs + ") " + separator_text(sep) + ' ';
    write_mailbox_name(ctx, line, name);
    if (old_name) {
        // RFC 5465 §5.4 / RFC 5258 extended data.
        line += " (\"OLDNAME\" (";
        write_mailbox_name(ctx, line, *old_name);
        line += "))";
    }
    return line;
}

// The notifications about other mailboxes since the last poll.
void Notify::State::collect(Context& ctx, std::vector<std::string>& out) {
    bool list_changed = false;
    std::set<std::string> subs_now = subscribed;
    if (track_subs)
        subs_now = load_subscriptions(ctx);
    std::map<std::string, NameEntry> now;
    std::set<std::string> half;
    auto too_big = [&] {
        if (list_too_big)
            out.assign(kMaxNotificationsPerPoll + 1, std::string()); // poll() sees the overflow
    };
    if (!load_list(ctx, now, &half)) {
        too_big();
        return;
    }
    // The change that woke us may be a CREATE still in progress: its
    // directory appeared, its new/ and cur/ (inside, where no watch sees
    // them) not yet. Look again shortly, a bounded number of times; a name
    // that stays half made (a broken directory) is not waited for again.
    auto fresh_half = [&] {
        return std::any_of(half.begin(), half.end(), [&](const std::string& n) { return !half_made.count(n); });
    };
    for (int i = 0; i < 25 && fresh_half(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        half.clear();
        if (!load_list(ctx, now, &half)) {
            too_big();
            return;
        }
    }
    half_made = std::move(half);
    auto name_event = [&](const std::string& name, unsigned ev) {
        return std::any_of(request.groups.begin(), request.groups.end(),
                           [&](const NotifyGroup& g) { return (g.events & ev) && covers(ctx, g, name); });
    };
    if (now.size() != names.size() ||
        !std::equal(now.begin(), now.end(), names.begin(), [](const auto& a, const auto& b) {
            return a.first == b.first && a.second.attributes == b.second.attributes;
        }))
        list_changed = true;
    std::set<std::string> old_subs = std::move(subscribed);
    subscribed = subs_now;
    if (track_names && list_changed) {
        std::vector<std::string> gone, added;
        for (const auto& [name, e] : names)
            if (!now.count(name))
                gone.push_back(name);
        for (const auto& [name, e] : now)
            if (!names.count(name))
                added.push_back(name);
        // A GUID that left one name and appeared under another: RENAME. A
        // renamed mailbox's children are renamed with it and not reported
        // (§5.4): gone names under a renamed parent are skipped.
        std::vector<std::pair<std::string, std::string>> renames; // old, new
        std::set<std::string> renamed_old, renamed_new;
        for (const auto& old_name : gone) {
            const auto& guid = names[old_name].guid;
            if (guid.empty())
                continue;
            for (const auto& new_name : added) {
                if (!renamed_new.count(new_name) && now[new_name].guid == guid) {
                    renames.emplace_back(old_name, new_name);
                    renamed_old.insert(old_name);
                    renamed_new.insert(new_name);
                    break;
                }
            }
        }
        auto under_renamed = [&](const std::string& name, bool old_side) {
            for (const auto& [o, n] : renames) {
                const std::string& parent = old_side ? o : n;
                char sep = (old_side ? names[o] : now[n]).separator;
                if (name.size() > parent.size() && name.compare(0, parent.size(), parent) == 0 &&
                    name[parent.size()] == sep)
                    return true;
            }
            return false;
        };
        for (const auto& [o, n] : renames) {
            if (under_renamed(o, true))
                continue;
            if (name_event(o, notify_mailbox_name) || name_event(n, notify_mailbox_name))
                out.push_back(list_line(ctx, n, &now[n], false, &o));
        }
        for (const auto& name : gone)
            if (!renamed_old.count(name) && !under_renamed(name, true) && name_event(name, notify_mailbox_name))
                out.push_back(list_line(ctx, name, nullptr, true, nullptr));
        for (const auto& name : added)
            if (!renamed_new.count(name) && !under_renamed(name, false) && name_event(name, notify_mailbox_name))
                out.push_back(list_line(ctx, name, &now[name], false, nullptr));
    }
    if (track_subs && subs_now != old_subs) {
        std::vector<std::string> changed;
        std::set_symmetric_difference(subs_now.begin(), subs_now.end(), old_subs.begin(), old_subs.end(),
                                      std::back_inserter(changed));
        for (const auto& name : changed) {
            if (!name_event(name, notify_subscription_change))
                continue;
            auto e = now.find(name);
            out.push_back(list_line(ctx, name, e == now.end() ? nullptr : &e->second, e == now.end(), nullptr));
        }
    }
    names = std::move(now);
    if (list_changed || subs_now != old_subs) {
        if (!rebuild(ctx)) {
            out.assign(kMaxNotificationsPerPoll + 1, std::string());
            return;
        }
    }
    for (auto& [name, w] : watched) {
        if (name == selected_name)
            continue; // SELECTED / SELECTED-DELAYED govern it (§3.1)
        auto s = ctx.user().status(name, st::status_messages | st::status_uidnext | st::status_uidvalidity |
                                             st::status_unseen | st::status_highest_modseq);
        if (!s)
            continue;
        const st::MailboxStatus& o = w.told;
        const bool validity = s->uidvalidity != o.uidvalidity;
        bool report = validity;
        if (w.events & (notify_message_new | notify_message_expunge))
            report = report || s->messages != o.messages || s->uidnext != o.uidnext;
        if (w.events & notify_flag_change) {
            report = report || s->unseen != o.unseen;
            if (ctx.enabled().condstore || ctx.enabled().qresync)
                report = report || s->highest_modseq != o.highest_modseq;
        }
        // §5.1: with FlagChange and CONDSTORE/QRESYNC enabled, "at least
        // HIGHESTMODSEQ and UIDVALIDITY".
        const bool modseqs = ctx.enabled().condstore || ctx.enabled().qresync;
        if (report)
            out.push_back(status_line(ctx, name, *s, validity || ((w.events & notify_flag_change) && modseqs)));
        w.told = *s;
        if (out.size() > kMaxNotificationsPerPoll)
            return;
    }
    if (track_meta)
        collect_meta(ctx, out);
}

// Every entry of the mailboxes a MailboxMetadataChange group covers and,
// for ServerMetadataChange, of the server, from one read of the dict file
// (MetadataStore::read_all, grouped by GUID). nullopt when nothing was read:
// neither the file (MetadataStore::file_version: inode, size, times) nor the
// covered mailboxes changed since the last call, or
// the file cannot be read now (the client keeps what it was told). Internal
// entries (Dovecot's vendor.dovecot/pvt, Loft's vendor.loft: the URLAUTH
// keys) are left out, as GETMETADATA leaves them out: clients never see
// them, and their values are not kept.
std::optional<std::map<std::string, Notify::State::Entries>> Notify::State::load_meta(Context& ctx) {
    auto store = st::MetadataStore::open(ctx.user());
    if (!store)
        return std::nullopt;
    meta_path = store->path();
    // Which GUIDs to slice out of the store's snapshot.
    std::map<std::string, std::string> keys; // lower-case GUID -> mailbox name
    const bool server = std::any_of(request.groups.begin(), request.groups.end(),
                                    [](const NotifyGroup& g) { return g.events & notify_server_metadata; });
    std::size_t mailboxes = 0;
    for (const auto& item : names) {
        // Not a structured binding: clang 14 cannot capture one in the lambda.
        const std::string& name = item.first;
        const auto& entry = item.second;
        if (entry.guid.empty() || mailboxes >= kMaxWatchedMailboxes)
            continue;
        const bool covered = std::any_of(request.groups.begin(), request.groups.end(), [&](const NotifyGroup& g) {
            return (g.events & notify_mailbox_metadata) && covers(ctx, g, name);
        });
        if (covered) {
            keys.emplace(lower_ascii(entry.guid), name);
            ++mailboxes;
        }
    }

    auto version = store->file_version();
    if (!version)
        return std::nullopt; // unreadable now: keep what the client knows
    if (meta_stamp && *meta_stamp == *version && keys == meta_keys)
        return std::nullopt;
    if (version->size > kMaxMetadataFile) {
        ctx.log().error("NOTIFY: " + meta_path + " is too large to read for metadata events");
        return std::nullopt;
    }
    auto snapshot = store->read_all();
    if (!snapshot)
        return std::nullopt;
    g_metadata_reads.fetch_add(1);

    std::map<std::string, Entries> result;
    if (server)
        result[""];
    for (const auto& [guid, name] : keys)
        result[name];
    for (auto& [guid, list] : snapshot->owners) {
        Entries* into = nullptr;
        if (guid.empty()) {
            if (server)
                into = &result[""];
        } else if (auto k = keys.find(guid); k != keys.end()) {
            into = &result[k->second];
        }
        if (!into)
            continue;
        for (auto& entry : list)
            if (!is_internal_metadata_entry(entry.name))
                into->insert_or_assign(std::move(entry.name), std::move(entry.value));
    }
    meta_stamp = snapshot->version;
    meta_keys = std::move(keys);
    return result;
}

// RFC 5465 §5.6/§5.7, RFC 5464 §4.4.2: "METADATA mailbox entry ..." with the
// names of the entries that changed (deleted ones included).
void Notify::State::collect_meta(Context& ctx, std::vector<std::string>& out) {
    auto loaded = load_meta(ctx);
    if (!loaded)
        return;
    auto& now = *loaded;
    for (const auto& [key, entries] : now) {
        auto old = meta.find(key);
        // A mailbox seen for the first time (created, renamed, newly
        // covered) starts from what it has.
        if (old == meta.end() && !key.empty())
            continue;
        static const Entries none;
        const Entries& before = old == meta.end() ? none : old->second;
        std::vector<std::string> changed;
        for (const auto& [name, value] : entries) {
            auto b = before.find(name);
            if (b == before.end() || b->second != value)
                changed.push_back(name);
        }
        for (const auto& [name, value] : before)
            if (!entries.count(name))
                changed.push_back(name);
        if (changed.empty())
            continue;
        std::sort(changed.begin(), changed.end());
        std::string line = "METADATA ";
        if (key.empty())
            line += "\"\"";
        else
            write_mailbox_name(ctx, line, key);
        for (const auto& name : changed) {
            line += ' ';
            line += name;
        }
        out.push_back(std::move(line));
    }
    meta = std::move(now);
}

// The session's own changes: take the current state as what the client knows.
void Notify::State::absorb(Context& ctx) {
    if (track_subs)
        subscribed = load_subscriptions(ctx);
    std::map<std::string, NameEntry> now;
    if (load_list(ctx, now))
        names = std::move(now);
    if (list_too_big || !rebuild(ctx)) {
        overflow(ctx);
        return;
    }
    if (track_meta) {
        if (auto loaded = load_meta(ctx))
            meta = std::move(*loaded);
    }
    for (auto& [name, w] : watched) {
        auto s = ctx.user().status(name, st::status_messages | st::status_uidnext | st::status_uidvalidity |
                                             st::status_unseen | st::status_highest_modseq);
        if (s)
            w.told = *s;
    }
}

// RFC 5465 §5.8: tell the client and behave as after NOTIFY NONE.
void Notify::State::overflow(Context& ctx) {
    ctx.untagged("OK [NOTIFICATIONOVERFLOW] Too many notifications, NOTIFY is off now");
    ctx.log().info("NOTIFY: notification overflow, notifications turned off");
    active = false;
    request = NotifyRequest{};
    watched.clear();
    names.clear();
    subscribed.clear();
    path_cache.clear();
    if (!paths.empty()) {
        paths.clear();
        ++generation;
    }
}

Notify::Notify() : state_(std::make_unique<State>()) {}
Notify::~Notify() = default;

bool Notify::active() const { return state_->active; }
const std::vector<std::string>& Notify::watch_paths() const { return state_->paths; }
std::uint64_t Notify::generation() const { return state_->generation; }

bool Notify::fetch_with_uid() const {
    return state_->active && state_->request.selected && (state_->request.selected_events & notify_flag_change);
}

bool Notify::set(Context& ctx, NotifyRequest request, bool send_status) {
    auto next = std::make_unique<State>();
    State& s = *next;
    s.request = std::move(request);
    s.active = true;
    s.generation = state_->generation;
    s.paths = state_->paths; // an unchanged set keeps its generation
    s.root = state_->root;
    s.path_cache = std::move(state_->path_cache);
    for (const auto& g : s.request.groups) {
        s.track_names = s.track_names || (g.events & notify_mailbox_name);
        s.track_subs = s.track_subs || (g.events & notify_subscription_change) || g.filter == NotifyFilter::subscribed;
        s.track_meta = s.track_meta || (g.events & (notify_mailbox_metadata | notify_server_metadata));
    }
    if (ctx.selected() && ctx.selected()->mailbox)
        s.selected_name = ctx.selected()->mailbox->name();
    if (s.track_subs)
        s.subscribed = s.load_subscriptions(ctx);
    if (!s.load_list(ctx, s.names)) {
        state_->path_cache = std::move(s.path_cache);
        return false;
    }
    if (s.track_meta) {
        // Before rebuild(): it learns the store's path.
        if (auto loaded = s.load_meta(ctx))
            s.meta = std::move(*loaded);
    }
    if (!s.rebuild(ctx)) {
        state_->path_cache = std::move(s.path_cache);
        return false;
    }
    if (send_status) {
        // §3.1: a STATUS for each mailbox with message events other than
        // the selected one, before the tagged OK (Dovecot's items).
        for (const auto& [name, w] : s.watched) {
            if (name == s.selected_name)
                continue;
            std::string line = "STATUS ";
            write_mailbox_name(ctx, line, name);
            line += " (MESSAGES " + std::to_string(w.told.messages) + " UIDNEXT " +
                    std::to_string(w.told.uidnext) + " UIDVALIDITY " + std::to_string(w.told.uidvalidity) +
                    " UNSEEN " + std::to_string(w.told.unseen);
            // §3.1: with FlagChange the STATUS MUST contain HIGHESTMODSEQ
            // when the server supports CONDSTORE (Loft always does, enabled
            // or not); §5.2/§5.3 ask for it with CONDSTORE/QRESYNC enabled.
            if ((w.events & notify_flag_change) || ctx.enabled().condstore || ctx.enabled().qresync)
                line += " HIGHESTMODSEQ " + std::to_string(w.told.highest_modseq);
            line += ')';
            ctx.untagged(line);
        }
    }
    state_ = std::move(next);
    return true;
}

void Notify::none() {
    auto next = std::make_unique<State>();
    next->generation = state_->generation + (state_->paths.empty() ? 0 : 1);
    next->root = state_->root;
    state_ = std::move(next);
}

void Notify::after_sync(Context& ctx, const mailstore::storage::SyncResult& r) {
    State& s = *state_;
    if (!s.active || !s.request.selected || !s.request.fetch || !ctx.selected() || !ctx.selected()->mailbox)
        return;
    if (!(s.request.selected_events & notify_message_new))
        return;
    // §5.2: no FETCH for messages this connection added itself (APPEND,
    // COPY, MOVE into the selected mailbox).
    if (!s.unsolicited && changes_others(ctx.command()))
        return;
    const std::size_t after_expunges = r.old_count >= r.expunged.size() ? r.old_count - r.expunged.size() : 0;
    if (r.count <= after_expunges)
        return;
    st::Mailbox& mailbox = *ctx.selected()->mailbox;
    const std::size_t first = after_expunges + 1;
    const std::size_t last = std::min<std::size_t>(r.count, after_expunges + kMaxNewMessageFetches);
    WholeOutput whole(ctx);
    for (std::size_t seq = first; seq <= last && seq <= mailbox.view().count(); ++seq) {
        fetch::MessageFetch f(mailbox, *s.request.fetch, static_cast<st::Seq>(seq), false);
        for (int guard = 0; guard < 1 << 20 && !f.write(whole); ++guard) {
        }
        if (!f.outcome().error.is_ok())
            ctx.log().error("NOTIFY: FETCH of a new message failed: " + f.outcome().error.message());
    }
}

void Notify::poll(Context& ctx, bool sync_selected) {
    State& s = *state_;
    if (!s.active || ctx.state() == SessionState::not_authenticated)
        return;
    if (sync_selected && s.request.selected && (s.request.selected_events & kNotifyMessageEvents) &&
        ctx.selected()) {
        // SELECTED: everything now; SELECTED-DELAYED: expunges wait for a
        // command that allows them (§6.1.2, RFC 3501 §7.4.1).
        s.unsolicited = true;
        ctx.send_updates(*s.request.selected == NotifyFilter::selected);
        s.unsolicited = false;
        if (!state_->active)
            return;
    }
    std::vector<std::string> lines;
    s.collect(ctx, lines);
    if (lines.size() > kMaxNotificationsPerPoll) {
        s.overflow(ctx);
        return;
    }
    for (const auto& line : lines)
        ctx.untagged(line);
}

void Notify::on_select(Context& ctx) {
    State& s = *state_;
    if (!s.active)
        return;
    // What this session did in the mailbox it leaves is its own doing:
    // the client hears only later changes to it.
    auto old = s.watched.find(s.selected_name);
    if (old != s.watched.end()) {
        auto st_now = ctx.user().status(old->first, st::status_messages | st::status_uidnext |
                                                         st::status_uidvalidity | st::status_unseen |
                                                         st::status_highest_modseq);
        if (st_now)
            old->second.told = *st_now;
    }
    s.selected_name = ctx.selected() && ctx.selected()->mailbox ? ctx.selected()->mailbox->name() : std::string();
    s.update_paths(ctx);
}

void Notify::before_command(Context& ctx, std::atomic<bool>& woken) {
    if (!state_->active || !changes_others(ctx.command()))
        return;
    // Report what others changed before this command's own changes are
    // absorbed after it.
    if (woken.exchange(false))
        poll(ctx, false);
}

void Notify::after_command(Context& ctx, std::atomic<bool>& woken) {
    if (!state_->active)
        return;
    if (changes_others(ctx.command())) {
        state_->absorb(ctx);
        return;
    }
    const auto& name = ctx.command().name;
    if (name == "NOOP" || name == "CHECK" || woken.exchange(false))
        poll(ctx, false);
}

} // namespace imapproto::detail
