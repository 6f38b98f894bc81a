// Transaction: saves are written at once (outside every lock); commit()
// makes them visible and applies flag changes and expunges inside one index
// commit, so other sessions see all of it or nothing.
#include "storage/mailbox_impl.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <new>
#include <strings.h>

namespace mailstore::storage {

Status validate_keyword(std::string_view keyword) {
    if (keyword.empty())
        return Status::invalid("empty keyword");
    if (keyword.size() > max_keyword_length)
        return Status::invalid("keyword longer than " + std::to_string(max_keyword_length) + " bytes");
    if (keyword[0] == '\\')
        return Status::invalid("keyword " + std::string(keyword) + ": only system flags start with '\\'");
    for (unsigned char c : keyword) {
        // RFC 3501 9: atom-specials and 8-bit characters are not allowed.
        if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
            c == '\\' || c == ']')
            return Status::invalid("keyword contains a character IMAP does not allow in an atom");
    }
    return Status::ok();
}

namespace {

Status validate_keywords(const std::vector<std::string>& keywords) {
    for (const auto& k : keywords)
        if (auto st = validate_keyword(k); !st)
            return st;
    return Status::ok();
}

// The UIDs of `set` present in `state`, ascending.
std::vector<Uid> present_uids(const index::IndexState& state, const UidSet& set) {
    std::vector<Uid> out;
    for (const auto& r : set.ranges()) {
        for (std::uint32_t i = state.lower_bound(r.first); i < state.count(); ++i) {
            Uid uid = state.at(i).uid;
            if (uid > r.last)
                break;
            out.push_back(uid);
        }
    }
    return out;
}

// Id of an existing keyword (case-insensitive), without adding it.
std::optional<std::uint32_t> existing_keyword(const index::IndexState& state, std::string_view name) {
    const auto& all = state.header().keywords;
    for (std::uint32_t i = 0; i < all.size(); ++i)
        if (all[i].size() == name.size() && strncasecmp(all[i].data(), name.data(), name.size()) == 0)
            return i;
    return std::nullopt;
}

// Ids of `names`, adding new ones to the mailbox (bounded).
Result<std::vector<std::uint32_t>> keyword_ids(index::WriteContext& ctx, const std::vector<std::string>& names) {
    std::vector<std::uint32_t> ids;
    for (const auto& name : names) {
        if (!existing_keyword(ctx.current(), name) &&
            ctx.current().header().keywords.size() >= max_keywords_per_mailbox)
            return Status::invalid("mailbox already has " + std::to_string(max_keywords_per_mailbox) +
                                   " keywords; keyword " + name + " not added");
        ids.push_back(ctx.keyword_id(name));
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

} // namespace

class Transaction::Impl {
public:
    // The Mailbox's Impl, not the Mailbox: it stays put when the Mailbox
    // object is moved.
    Mailbox::Impl* mailbox = nullptr;
    std::vector<std::unique_ptr<PendingSave>> saves;
    std::vector<Uid> copy_src; // per save: the source UID of a copy, 0 for save()
    std::vector<std::pair<Mailbox::Impl*, UidSet>> moves;
    std::vector<std::pair<UidSet, FlagUpdate>> updates;
    UidSet expunges;
    UidSet expunges_if_deleted; // only those still \Deleted at commit

    ~Impl() { abort(); }
    void abort() {
        if (!saves.empty())
            mailbox->backend->abort_saves(saves);
        saves.clear();
        copy_src.clear();
        moves.clear();
        updates.clear();
        expunges = UidSet();
        expunges_if_deleted = UidSet();
    }
    Status add_save(const SaveRequest& request, Uid source_uid);
    Status copy(Mailbox& source, const UidSet& uids, UidSet* copied);
    Status apply_updates(index::WriteContext& ctx, UidSet& modified);
};

Transaction make_transaction(Mailbox::Impl& mailbox) {
    auto impl = std::make_unique<Transaction::Impl>();
    impl->mailbox = &mailbox;
    return Transaction(std::move(impl));
}

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;

Status Transaction::Impl::add_save(const SaveRequest& request, Uid source_uid) {
    auto& mb = *mailbox;
    if (mb.options.read_only)
        return Status::error(Status::Code::permission_denied, "mailbox " + mb.resolved.name + " is open read-only");
    auto prepared = mb.backend->prepare_save(request);
    if (!prepared)
        return prepared.status();
    saves.push_back(std::move(prepared.value()));
    copy_src.push_back(source_uid);
    return Status::ok();
}

Status Transaction::save(const SaveRequest& request) {
    if (request.data.empty() && request.fd < 0)
        return Status::invalid("cannot save an empty message");
    if (auto st = validate_keywords(request.keywords); !st)
        return st;
    try {
        SaveRequest req = request;
        req.flags &= all_mail_flags;
        return impl_->add_save(req, 0);
    } catch (const std::bad_alloc&) {
        return Status::io("saving a message: out of memory");
    }
}

Status Transaction::Impl::copy(Mailbox& source, const UidSet& uids, UidSet* copied) {
    auto& mb = *mailbox;
    if (mb.options.read_only)
        return Status::error(Status::Code::permission_denied, "mailbox " + mb.resolved.name + " is open read-only");
    auto& src = source.impl();
    const auto& state = src.state();
    // Ascending source UIDs: the order COPYUID reports (RFC 4315 3).
    for (Uid uid : present_uids(state, uids)) {
        const auto& record = state.at(*state.find(uid));
        auto names = keyword_names_of(state, record);
        std::unique_ptr<PendingSave> pending;
        if (mb.resolved.settings.copy_with_hardlinks) {
            auto linked = mb.backend->prepare_copy(*src.backend, uid, record);
            if (!linked && linked.status().code() != Status::Code::not_found)
                return linked.status();
            if (linked)
                pending = std::move(linked.value());
            else
                continue; // expunged meanwhile: nothing to copy (RFC 2180 4.4.1)
        }
        if (!pending) {
            auto data = src.backend->open_message(uid);
            if (!data) {
                if (data.status().code() == Status::Code::not_found)
                    continue;
                return data.status();
            }
            SaveRequest req;
            req.data = data->bytes();
            if (req.data.empty())
                continue;
            req.flags = record.flags;
            req.keywords = names;
            req.internal_date = record.received_date;
            auto prepared = mb.backend->prepare_save(req);
            if (!prepared)
                return prepared.status();
            pending = std::move(prepared.value());
        }
        pending->flags = record.flags;
        pending->keywords = std::move(names);
        // The copy is the same message: it keeps the source's GUID (Maildir:
        // a G field in dovecot-uidlist, as Dovecot writes for a GUID that is
        // not the file name), so its RFC 8474 EMAILID is the source's
        // (§5.1: the same EMAILID for both messages of a COPYUID pair, after
        // COPY and MOVE alike).
        if (pending->guid.empty()) {
            if (auto guid = src.backend->message_guid(uid); guid && !guid->empty())
                pending->guid = std::move(*guid);
        }
        if (pending->received_date == 0)
            pending->received_date = record.received_date;
        saves.push_back(std::move(pending));
        copy_src.push_back(uid);
        if (copied)
            copied->add(uid);
    }
    return Status::ok();
}

Status Transaction::copy(Mailbox& source, const UidSet& uids) {
    try {
        return impl_->copy(source, uids, nullptr);
    } catch (const std::bad_alloc&) {
        return Status::io("copying messages: out of memory");
    }
}

Status Transaction::move(Mailbox& source, const UidSet& uids) {
    try {
        if (source.read_only())
            return Status::error(Status::Code::permission_denied,
                                 "mailbox " + source.name() + " is open read-only: cannot move out of it");
        UidSet copied;
        if (auto st = impl_->copy(source, uids, &copied); !st)
            return st;
        if (!copied.empty())
            impl_->moves.emplace_back(&source.impl(), std::move(copied));
        return Status::ok();
    } catch (const std::bad_alloc&) {
        return Status::io("moving messages: out of memory");
    }
}

Status Transaction::update_flags(const UidSet& uids, const FlagUpdate& update) {
    if (impl_->mailbox->options.read_only)
        return Status::error(Status::Code::permission_denied,
                             "mailbox " + impl_->mailbox->resolved.name + " is open read-only");
    if (auto st = validate_keywords(update.keywords); !st)
        return st;
    try {
        FlagUpdate u = update;
        u.flags &= all_mail_flags;
        impl_->updates.emplace_back(uids, std::move(u));
        return Status::ok();
    } catch (const std::bad_alloc&) {
        return Status::io("updating flags: out of memory");
    }
}

Status Transaction::expunge(const UidSet& uids) {
    if (impl_->mailbox->options.read_only)
        return Status::error(Status::Code::permission_denied,
                             "mailbox " + impl_->mailbox->resolved.name + " is open read-only");
    try {
        impl_->expunges.add(uids);
        return Status::ok();
    } catch (const std::bad_alloc&) {
        return Status::io("expunging: out of memory");
    }
}

Status Transaction::expunge_deleted(const UidSet& uids) {
    if (impl_->mailbox->options.read_only)
        return Status::error(Status::Code::permission_denied,
                             "mailbox " + impl_->mailbox->resolved.name + " is open read-only");
    try {
        impl_->expunges_if_deleted.add(uids);
        return Status::ok();
    } catch (const std::bad_alloc&) {
        return Status::io("expunging: out of memory");
    }
}

// Flag updates against the newest state, under the index lock: UNCHANGEDSINCE
// is compared with the modseq every other writer has left (RFC 7162 3.2).
Status Transaction::Impl::apply_updates(index::WriteContext& ctx, UidSet& modified) {
    auto& mb = *mailbox;
    for (const auto& [set, update] : updates) {
        std::vector<std::uint32_t> ids;
        if (update.mode == FlagUpdate::Mode::remove) {
            for (const auto& k : update.keywords)
                if (auto id = existing_keyword(ctx.current(), k))
                    ids.push_back(*id);
        } else {
            auto got = keyword_ids(ctx, update.keywords);
            if (!got)
                return got.status();
            ids = std::move(got.value());
        }
        for (Uid uid : present_uids(ctx.current(), set)) {
            const auto& state = ctx.current();
            auto pos = state.find(uid);
            if (!pos)
                continue;
            index::Record record = state.at(*pos);
            if (update.unchanged_since && record.modseq > *update.unchanged_since) {
                modified.add(uid);
                continue;
            }
            auto old_ids = state.keyword_ids(record);
            std::sort(old_ids.begin(), old_ids.end());
            MailFlags flags = record.flags;
            std::vector<std::uint32_t> new_ids;
            switch (update.mode) {
            case FlagUpdate::Mode::add:
                flags |= update.flags;
                std::set_union(old_ids.begin(), old_ids.end(), ids.begin(), ids.end(), std::back_inserter(new_ids));
                break;
            case FlagUpdate::Mode::remove:
                flags &= MailFlags(~update.flags);
                std::set_difference(old_ids.begin(), old_ids.end(), ids.begin(), ids.end(),
                                    std::back_inserter(new_ids));
                break;
            case FlagUpdate::Mode::replace:
                flags = update.flags;
                new_ids = ids;
                break;
            }
            if (flags == record.flags && new_ids == old_ids)
                continue; // unchanged: no new modseq
            std::vector<std::string> names;
            const auto& all = state.header().keywords;
            for (auto id : new_ids)
                if (id < all.size())
                    names.push_back(all[id]);
            if (auto st = mb.backend->apply_flags(uid, flags, names, ctx); !st)
                return st;
            if (auto st = ctx.set_flags(uid, flags, new_ids); !st)
                return st;
        }
    }
    return Status::ok();
}

Result<CommitResult> Transaction::commit() {
    Impl& t = *impl_;
    auto& mb = *t.mailbox;
    try {
        CommitResult result;
        result.uidvalidity = mb.view.uidvalidity();
        bool any = !t.saves.empty() || !t.updates.empty() || !t.expunges.empty() ||
                   !t.expunges_if_deleted.empty();
        if (!any) {
            t.abort();
            return result;
        }
        std::vector<Uid> uids;
        UidSet modified;
        UidSet expunged;
        bool saves_done = false;
        auto commit_all = [&](index::WriteContext& ctx) -> Status {
            uids.clear();
            modified = UidSet();
            expunged = UidSet();
            const auto& cur = ctx.current();
            if (cur.header().uidvalidity == 0 || mb.backend->needs_sync(cur)) {
                if (auto st = mb.backend->sync(ctx, false); !st)
                    return st;
            }
            if (!t.saves.empty()) {
                auto saved = mb.backend->commit_saves(t.saves, ctx);
                if (!saved)
                    return saved.status();
                saves_done = true;
                uids = std::move(saved.value());
            }
            if (auto st = t.apply_updates(ctx, modified); !st)
                return st;
            // Decided against the newest state, before anything is removed:
            // another session may have undeleted a message since our sync.
            std::vector<Uid> doomed = present_uids(ctx.current(), t.expunges);
            for (Uid uid : present_uids(ctx.current(), t.expunges_if_deleted)) {
                const auto& state = ctx.current();
                auto pos = state.find(uid);
                if (pos && (state.at(*pos).flags & flag_deleted))
                    doomed.push_back(uid);
            }
            std::sort(doomed.begin(), doomed.end());
            doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
            for (Uid uid : doomed) {
                if (auto st = mb.backend->expunge(uid, ctx); !st)
                    return st;
                if (auto st = ctx.expunge(uid); !st)
                    return st;
                expunged.add(uid);
            }
            mb.flush_pending(ctx);
            return Status::ok();
        };
        // Saves alone (an LMTP delivery, an APPEND) join the deliveries
        // waiting for this index and share their flushes (save_group.hpp).
        const bool only_saves = t.updates.empty() && t.expunges.empty() && t.expunges_if_deleted.empty() &&
                                t.moves.empty() && std::all_of(t.copy_src.begin(), t.copy_src.end(),
                                                               [](Uid src) { return src == 0; });
        std::uint32_t grouped_uidvalidity = 0;
        auto info = only_saves ? commit_saves_grouped(mb, t.saves, uids, grouped_uidvalidity, saves_done)
                               : mb.commit(commit_all);
        std::vector<std::string> saved_files;
        if (saves_done)
            for (std::size_t i = 0; i < t.saves.size() && i < t.copy_src.size(); ++i)
                if (t.copy_src[i] == 0)
                    saved_files.push_back(t.saves[i]->stored_path());
        if (saves_done)
            t.saves.clear(); // visible in the driver's files now; never remove them
        if (!info) {
            t.abort();
            return info.status();
        }
        result.uidvalidity = grouped_uidvalidity != 0 ? grouped_uidvalidity : info->state->header().uidvalidity;
        result.modseq = info->modseq;
        result.modified = std::move(modified);
        result.expunged = std::move(expunged);
        result.saved_files = std::move(saved_files);
        for (std::size_t i = 0; i < uids.size() && i < t.copy_src.size(); ++i) {
            if (t.copy_src[i] == 0) {
                result.saved.push_back(uids[i]);
            } else {
                result.copy_src.push_back(t.copy_src[i]);
                result.copy_dst.push_back(uids[i]);
            }
        }
        auto moves = std::move(t.moves);
        t.abort();
        // MOVE: the copies are committed; now expunge the originals, each
        // source in its own commit (RFC 6851 3.3 allows the two steps).
        for (auto& [source, set] : moves) {
            auto expunge = make_transaction(*source);
            if (auto st = expunge.expunge(set); !st)
                return st;
            auto done = expunge.commit();
            if (!done) {
                log::write(log::Level::error, log::Category::mail, "",
                           "mailbox " + source->resolved.name + ": moved messages copied but not expunged: " +
                               done.status().message());
                return done.status();
            }
        }
        return result;
    } catch (const std::bad_alloc&) {
        t.abort();
        return Status::io("committing a transaction: out of memory");
    }
}

void Transaction::rollback() {
    if (impl_)
        impl_->abort();
}

} // namespace mailstore::storage
