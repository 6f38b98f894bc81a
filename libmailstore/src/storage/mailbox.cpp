// Mailbox: opening a mailbox through its namespace's storage, the shared
// index registry, and sync() — bringing a session's View up to date and
// reporting what changed (expunges, flag changes, new mail, \Recent).
#include "storage/mailbox_impl.hpp"

#include "storage/kept_states.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <map>
#include <new>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage {

namespace {


std::string hex_guid(const std::array<std::uint8_t, 16>& guid) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (std::uint8_t b : guid) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

Status out_of_memory(std::string_view what) {
    return Status::error(Status::Code::io_error, std::string(what) + ": out of memory");
}

} // namespace

namespace {

// Whether `shared`'s log is still the file at its path: false once the
// mailbox was deleted (and maybe recreated) or its log replaced. The
// SharedIndex holds that file open, so its inode cannot be reused by a new
// file meanwhile and the comparison is exact.
bool log_unchanged(const SharedIndex& shared) {
    if (shared.log_fd < 0)
        return false;
    struct stat held {}, now {};
    return ::fstat(shared.log_fd, &held) == 0 && ::stat(shared.log_path.c_str(), &now) == 0 &&
           held.st_dev == now.st_dev && held.st_ino == now.st_ino && held.st_nlink > 0;
}

} // namespace

SharedIndex::~SharedIndex() {
    if (log_fd >= 0)
        ::close(log_fd);
}

std::size_t kept_index_estimate(SharedIndex& shared) {
    std::unique_lock lock(shared.mutex, std::try_to_lock);
    if (!lock.owns_lock() || !shared.index)
        return SIZE_MAX;
    // The records and, roughly, their keywords and cache offsets; the
    // header and the log's buffers.
    return 4096 + std::size_t(shared.index->state()->count()) * (sizeof(index::Record) + 48);
}

Result<std::shared_ptr<SharedIndex>> shared_index(const std::string& key, const index::IndexOptions& options) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<SharedIndex>> registry;
    // The most recently used indexes, kept open after their last Mailbox
    // closed: a delivery to the same mailbox a moment later reads only what
    // was appended to the log since, instead of the whole index (CPU per
    // delivery would grow with the mailbox). Bounded by count, estimated
    // bytes and idle time (kept_states.hpp).
    static KeptStates<SharedIndex> recent(kept_indexes, kept_index_bytes);
    std::lock_guard lock(registry_mutex);
    auto it = registry.find(key);
    if (it != registry.end()) {
        if (auto shared = it->second.lock()) {
            // Held by no Mailbox (only `recent` and here; the count cannot
            // grow without registry_mutex): kept from an earlier use, so the
            // mailbox may have been deleted and recreated since. Its files
            // must be the ones it read, else it is dropped for a fresh open.
            const bool idle = recent.contains(shared) && shared.use_count() <= 2;
            if (!idle || log_unchanged(*shared)) {
                recent.use(shared, kept_index_estimate);
                return shared;
            }
            recent.erase(shared);
        }
    }
    auto shared = std::make_shared<SharedIndex>();
    // The log's identity is taken before the index reads it: if the log is
    // replaced in between, the held file is the older one and the kept
    // index is only dropped at its next reuse (the safe direction). Taken
    // after the read, it could vouch for a file the index never read. A
    // log that does not exist yet (a new index) is opened after.
    if (options.dir != "MEMORY") {
        shared->log_path = options.dir + "/loft.index.log";
        shared->log_fd = ::open(shared->log_path.c_str(), O_RDONLY | O_CLOEXEC);
    }
    auto opened = index::MailIndex::open(options);
    if (!opened)
        return opened.status();
    shared->index = std::move(opened.value());
    if (options.dir != "MEMORY" && shared->log_fd < 0)
        shared->log_fd = ::open(shared->log_path.c_str(), O_RDONLY | O_CLOEXEC);
    // Forget indexes no Mailbox holds any more, so the map stays bounded by
    // the mailboxes open at once (and the few kept).
    for (auto e = registry.begin(); e != registry.end();)
        e = e->second.expired() ? registry.erase(e) : std::next(e);
    registry[key] = shared;
    recent.use(shared, kept_index_estimate);
    return shared;
}

const void* view_state_identity(const Mailbox& mailbox) { return mailbox.impl().view_impl.state.get(); }

void Mailbox::Impl::flush_pending(index::WriteContext& ctx) {
    for (const auto& s : pending_sizes)
        if (ctx.current().find(s.uid))
            (void)ctx.set_sizes(s.uid, s.physical_size, s.virtual_size);
    for (const auto& c : pending_cache)
        if (ctx.current().find(c.uid))
            (void)ctx.cache_add(c.uid, c.field, c.value);
    pending_sizes.clear();
    pending_cache.clear();
    pending_cache_bytes = 0;
}

void Mailbox::Impl::flush_pending_if_many() {
    if (flush_refused)
        return;
    if (pending_cache.size() + pending_sizes.size() < flush_pending_entries && pending_cache_bytes < flush_pending_bytes)
        return;
    auto done = commit([&](index::WriteContext& ctx) {
        flush_pending(ctx);
        return Status::ok();
    });
    if (done)
        return;
    log::Logger("mail")
        .with("(" + user.username() + ")")
        .warningf("mailbox {}: cached values not written: {}", resolved.name, done.status().message());
    // Dropped (computed again next time). Not retried before the next
    // sync, so a lock that timed out costs one wait per command, not one
    // per few thousand messages.
    flush_refused = true;
    pending_cache.clear();
    pending_cache_bytes = 0;
    pending_sizes.clear();
}

Result<index::CommitInfo> Mailbox::Impl::commit(const std::function<Status(index::WriteContext&)>& apply) {
    std::lock_guard lock(index->mutex);
    return index->index->commit(apply);
}

std::shared_ptr<const index::IndexState> Mailbox::Impl::latest_state() const {
    std::lock_guard lock(index->mutex);
    return index->index->state();
}

Result<Mailbox> Mailbox::open(const User& user, std::string_view name, const OpenOptions& options) {
    try {
        auto resolved = resolve_mailbox(user, name);
        if (!resolved)
            return resolved.status();
        auto backend = resolved->list->open_backend(resolved->storage_name);
        if (!backend)
            return backend.status();
        if (!(*backend)->exists()) {
            if (!resolved->is_inbox) {
                // A directory that only holds children is \Noselect: SELECT
                // fails with a bad-argument error, not [NONEXISTENT]. Only
                // this failure path pays for the folder scan.
                if (auto all = resolved->list->list(); all) {
                    for (const auto& m : *all)
                        if (m.name == resolved->storage_name && !m.selectable)
                            return Status::invalid("mailbox " + resolved->name +
                                                   " is \\Noselect: it only holds other mailboxes");
                }
                return Status::not_found("mailbox " + resolved->name + " does not exist");
            }
            // INBOX always exists (RFC 3501 6.3.1): make its files on first use.
            if (auto st = (*backend)->create(); !st)
                return st;
        }
        auto impl = std::make_unique<Impl>(user);
        impl->options = options;
        impl->backend = std::move(backend.value());
        impl->resolved = std::move(resolved.value());
        const auto& paths = impl->resolved.paths;
        index::IndexOptions index_options;
        index_options.dir = paths.index_dir.empty() ? paths.mail_dir : paths.index_dir;
        index_options.fsync = impl->resolved.settings.fsync;
        if (impl->resolved.settings.lock_timeout.count() > 0)
            index_options.lock_timeout = impl->resolved.settings.lock_timeout;
        // An in-memory index belongs to one mailbox, not to a directory.
        std::string key = index_options.dir == "MEMORY" ? "MEMORY:" + paths.mail_dir : index_options.dir;
        auto shared = shared_index(key, index_options);
        if (!shared)
            return shared.status();
        impl->index = std::move(shared.value());
        Mailbox mailbox(std::move(impl));
        if (options.save_only) {
            // No backend sync, no counting, no status cache: a delivery's
            // commit syncs what it needs under the index lock.
            Impl& im = *mailbox.impl_;
            std::shared_ptr<const index::IndexState> state;
            {
                std::lock_guard lock(im.index->mutex);
                auto refreshed = im.index->index->refresh();
                if (!refreshed)
                    return refreshed.status();
                state = std::move(refreshed.value());
            }
            im.guid = hex_guid(state->header().mailbox_guid);
            im.view_impl.state = std::move(state);
            im.view_impl.reset_counters();
            return mailbox;
        }
        auto synced = mailbox.sync(0);
        if (!synced)
            return synced.status();
        return mailbox;
    } catch (const std::bad_alloc&) {
        return out_of_memory("opening mailbox " + std::string(name));
    }
}

Mailbox::Mailbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mailbox::Mailbox(Mailbox&&) noexcept = default;
Mailbox& Mailbox::operator=(Mailbox&& other) noexcept {
    if (this != &other) {
        // The mailbox assigned over is closed as its destructor closes it:
        // its unrecorded STATUS and pending cache entries are written.
        Mailbox closing(std::move(*this));
        impl_ = std::move(other.impl_);
    }
    return *this;
}

Mailbox::~Mailbox() {
    if (impl_ && impl_->unrecorded_status) {
        try {
            remember_status(impl_->user, impl_->resolved, impl_->unrecorded_status->first,
                            impl_->unrecorded_status->second);
        } catch (const std::exception&) {
            // A cache: the next STATUS opens the mailbox instead.
        }
    }
    if (!impl_ || !impl_->has_pending())
        return;
    // Cache entries and sizes learned by this session are worth keeping.
    try {
        auto done = impl_->commit([&](index::WriteContext& ctx) {
            impl_->flush_pending(ctx);
            return Status::ok();
        });
        if (!done)
            log::write(log::Level::warning, log::Category::mail, "",
                       "mailbox " + impl_->resolved.name + ": cache not written: " + done.status().message());
    } catch (const std::exception&) {
        // Nothing to do: a lost cache entry is computed again.
    }
}

const std::string& Mailbox::name() const { return impl_->resolved.name; }
bool Mailbox::read_only() const { return impl_->options.read_only; }
const std::string& Mailbox::guid() const { return impl_->guid; }
const User& Mailbox::user() const { return impl_->user; }
const View& Mailbox::view() const { return impl_->view; }

Result<SyncResult> Mailbox::sync(std::uint32_t flags) {
    try {
        Impl& im = *impl_;
        im.flush_refused = false;
        std::shared_ptr<const index::IndexState> next;
        UidSet claimed;
        {
            std::lock_guard lock(im.index->mutex);
            auto refreshed = im.index->index->refresh();
            if (!refreshed)
                return refreshed.status();
            next = std::move(refreshed.value());
            const auto& header = next->header();
            bool full = (flags & sync_full) != 0;
            bool need_backend = header.uidvalidity == 0 || full ||
                                ((flags & sync_fast) == 0 && im.backend->needs_sync(*next));
            bool may_claim = !im.options.read_only && im.options.claim_recent;
            bool claim = may_claim && header.first_recent_uid < header.next_uid;
            if (need_backend || claim || im.has_pending()) {
                auto info = im.index->index->commit([&](index::WriteContext& ctx) -> Status {
                    claimed = UidSet();
                    if (need_backend) {
                        if (auto st = im.backend->sync(ctx, full); !st)
                            return st;
                    }
                    const auto& h = ctx.current().header();
                    if (may_claim && h.first_recent_uid < h.next_uid) {
                        // \Recent goes to exactly one session (RFC 3501 2.3.2):
                        // the one whose commit moves first_recent_uid past them.
                        const auto& cur = ctx.current();
                        for (std::uint32_t i = cur.lower_bound(h.first_recent_uid); i < cur.count(); ++i)
                            claimed.add(cur.at(i).uid);
                        ctx.set_first_recent_uid(h.next_uid);
                    }
                    im.flush_pending(ctx);
                    return Status::ok();
                });
                if (!info) {
                    claimed = UidSet();
                    return info.status();
                }
                next = info->state;
            }
        }

        // Messages no session has claimed yet (uid >= first_recent_uid).
        // A session that does not claim (EXAMINE, STATUS) still sees them as
        // \Recent, as Dovecot does: RFC 3501 2.3.2 makes a message recent
        // until some session is notified of it with the right to claim it.
        const std::uint32_t unclaimed_from = next->lower_bound(next->header().first_recent_uid);
        const std::uint32_t unclaimed_count = next->count() - std::min(unclaimed_from, next->count());
        const bool may_claim = !im.options.read_only && im.options.claim_recent;
        if (!may_claim)
            for (std::uint32_t i = unclaimed_from; i < next->count(); ++i)
                claimed.add(next->at(i).uid);

        View::Impl& v = im.view_impl;
        SyncResult result;
        result.old_count = v.state ? v.count() : 0;
        if (!v.state || v.state->header().uidvalidity != next->header().uidvalidity) {
            result.uidvalidity_changed = v.state && v.state->header().uidvalidity != 0;
            result.keywords_changed = v.state != nullptr;
            v.state = next;
            v.kept.clear();
            v.recent = claimed;
        } else {
            const auto& old = *v.state;
            result.keywords_changed = next->header().keywords.size() != old.header().keywords.size();
            std::unordered_set<const void*> same;
            same.reserve(next->chunk_count());
            for (std::uint32_t c = 0; c < next->chunk_count(); ++c)
                same.insert(next->chunk_identity(c));
            // Old positions of the messages gone from the new state.
            std::vector<std::uint32_t> gone;
            for (std::uint32_t c = 0; c < old.chunk_count(); ++c) {
                if (same.count(old.chunk_identity(c)))
                    continue; // the same records: nothing expunged or changed there
                auto [begin, end] = old.chunk_span(c);
                for (std::uint32_t p = begin; p < end; ++p) {
                    const auto& rec = old.at(p);
                    auto np = next->find(rec.uid);
                    if (!np)
                        gone.push_back(p);
                    else if (next->at(*np).modseq > rec.modseq)
                        result.changed.push_back(rec.uid);
                }
            }
            std::sort(result.changed.begin(), result.changed.end());
            auto kept_before = [&](Uid uid) {
                return std::uint32_t(std::lower_bound(v.kept.begin(), v.kept.end(), uid,
                                                      [](const KeptRecord& k, Uid u) { return k.record.uid < u; }) -
                                     v.kept.begin());
            };
            if (flags & sync_no_expunges) {
                // Keep them visible, flags as last seen; a later sync reports them.
                std::vector<KeptRecord> added;
                added.reserve(gone.size());
                for (std::uint32_t p : gone)
                    added.push_back({old.at(p), keyword_names_of(old, old.at(p)), 0});
                std::vector<KeptRecord> merged;
                merged.reserve(v.kept.size() + added.size());
                std::merge(std::make_move_iterator(v.kept.begin()), std::make_move_iterator(v.kept.end()),
                           std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()),
                           std::back_inserter(merged),
                           [](const KeptRecord& a, const KeptRecord& b) { return a.record.uid < b.record.uid; });
                v.kept = std::move(merged);
            } else {
                std::vector<std::pair<Seq, Uid>> expunged;
                expunged.reserve(gone.size() + v.kept.size());
                for (std::uint32_t p : gone) {
                    Uid uid = old.at(p).uid;
                    expunged.emplace_back(Seq(p + kept_before(uid) + 1), uid);
                }
                for (const auto& k : v.kept)
                    expunged.emplace_back(Seq(k.position + 1), k.record.uid);
                // Descending: removing a higher sequence number never moves a lower one.
                std::sort(expunged.begin(), expunged.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
                for (const auto& [seq, uid] : expunged) {
                    result.expunged.push_back(seq);
                    result.expunged_uids.add(uid);
                    v.recent.remove(uid);
                }
                v.kept.clear();
            }
            v.state = next;
            v.recent.add(claimed);
        }
        v.place_kept();
        v.reset_counters();
        result.count = v.count();
        result.recent = std::uint32_t(v.recent.count());
        im.guid = hex_guid(next->header().mailbox_guid);

        // The mailbox-list index answers STATUS without opening the mailbox
        // while this stamp stays the same; written when the mailbox closes
        // (Impl::unrecorded_status).
        std::string stamp = index::change_stamp(im.index->index->options().dir) + "|" + im.backend->change_stamp();
        // STATUS RECENT counts what no session has claimed, whoever asks
        // (Dovecot 2.3 answers so); this session's own \Recent stays out.
        MailboxStatus shared = status(status_all);
        shared.recent = unclaimed_count;
        im.unrecorded_status.emplace(std::move(shared), std::move(stamp));
        return result;
    } catch (const std::bad_alloc&) {
        return out_of_memory("syncing mailbox " + impl_->resolved.name);
    }
}

Result<Message> Mailbox::message_by_uid(Uid uid) {
    Seq seq = impl_->view.seq(uid);
    if (seq == 0)
        return Status::not_found("mailbox " + impl_->resolved.name + ": no message with UID " + std::to_string(uid));
    return Message(this, seq);
}

MailboxStatus Mailbox::status(std::uint32_t items) const {
    const View& v = impl_->view;
    MailboxStatus st;
    st.messages = v.count();
    st.recent = v.recent_count();
    st.uidnext = v.uidnext();
    st.uidvalidity = v.uidvalidity();
    st.highest_modseq = v.highest_modseq();
    st.guid = impl_->guid;
    if (items & (status_unseen | status_first_unseen)) {
        st.unseen = v.unseen_count();
        st.first_unseen = v.first_unseen();
    }
    if (items & (status_size | status_deleted)) {
        const auto& vi = impl_->view_impl;
        for (Seq s = 1; s <= vi.count(); ++s) {
            const auto* r = vi.at(s);
            st.size += r->virtual_size;
            if (r->flags & flag_deleted)
                ++st.deleted;
        }
    }
    return st;
}

Result<UidSet> Mailbox::expunged_since(ModSeq since, const UidSet* within) const {
    const auto& state = impl_->state();
    auto gone = state.expunged_since(since);
    if (!gone)
        return Status::invalid("mailbox " + impl_->resolved.name + ": the expunge history does not reach back to modseq " +
                               std::to_string(since) + "; a full resync is needed");
    if (!within)
        return std::move(*gone);
    UidSet out;
    for (const auto& r : gone->ranges()) {
        for (const auto& w : within->ranges()) {
            Uid first = std::max(r.first, w.first);
            Uid last = std::min(r.last, w.last);
            if (first <= last)
                out.add(first, last);
        }
    }
    return out;
}

std::vector<std::string> Mailbox::watch_paths() const {
    std::vector<std::string> paths;
    {
        std::lock_guard lock(impl_->index->mutex);
        paths = impl_->index->index->watch_paths();
    }
    for (auto& p : impl_->backend->watch_paths())
        paths.push_back(std::move(p));
    return paths;
}

Transaction Mailbox::begin() { return make_transaction(*impl_); }

} // namespace mailstore::storage
