// Group commit of save-only transactions (save_group.hpp). The leader is
// the member that finds no leader at work; it first takes the index's
// mutex (others queue meanwhile), then the queue's members, and commits
// their saves in one index commit through one commit_saves() call: the
// driver renames them all, fsyncs the directory once and appends all their
// uidlist lines with one flush. Members wait until the leader marks them
// done, which it does only after that commit returned, so no member
// answers before its message is durable.
#include "storage/mailbox_impl.hpp"

#include <algorithm>
#include <new>

namespace mailstore::storage {

struct SaveGroupMember {
    Mailbox::Impl* mailbox = nullptr;
    std::vector<std::unique_ptr<PendingSave>>* saves = nullptr;
    std::vector<Uid> uids;
    bool saves_done = false;
    Result<index::CommitInfo> info = Status::error(Status::Code::internal, "save group: not committed");
    bool done = false;
};

namespace {

// The commit of `batch` (the leader first) on the leader's backend and
// index; the caller holds the index's mutex. Results go into the members.
void commit_batch(Mailbox::Impl& leader, const std::vector<SaveGroupMember*>& batch) {
    std::vector<std::size_t> counts;
    counts.reserve(batch.size());
    for (auto* m : batch)
        counts.push_back(m->saves->size());
    bool numbered = false;
    std::vector<Uid> all_uids;
    auto info = leader.index->index->commit([&](index::WriteContext& ctx) -> Status {
        all_uids.clear();
        const auto& cur = ctx.current();
        if (cur.header().uidvalidity == 0 || leader.backend->needs_sync(cur)) {
            if (auto st = leader.backend->sync(ctx, false); !st)
                return st;
        }
        std::vector<std::unique_ptr<PendingSave>> all;
        std::size_t total = 0;
        for (std::size_t c : counts)
            total += c;
        all.reserve(total); // the moves below cannot fail half-way
        for (auto* m : batch)
            for (auto& s : *m->saves)
                all.push_back(std::move(s));
        auto saved = leader.backend->commit_saves(all, ctx);
        // Every save back to its own transaction, whatever happened: a
        // member that fails aborts (removes) its own files.
        std::size_t at = 0;
        for (std::size_t i = 0; i < batch.size(); ++i)
            for (std::size_t k = 0; k < counts[i]; ++k)
                (*batch[i]->saves)[k] = std::move(all[at++]);
        if (!saved)
            return saved.status();
        numbered = true;
        all_uids = std::move(saved.value());
        for (auto* m : batch)
            m->mailbox->flush_pending(ctx);
        return Status::ok();
    });
    std::size_t at = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto* m = batch[i];
        m->saves_done = numbered;
        m->uids.clear();
        for (std::size_t k = 0; k < counts[i] && at < all_uids.size(); ++k)
            m->uids.push_back(all_uids[at++]);
        m->info = info;
    }
}

} // namespace

Result<index::CommitInfo> commit_saves_grouped(Mailbox::Impl& mailbox,
                                               std::vector<std::unique_ptr<PendingSave>>& saves,
                                               std::vector<Uid>& uids, bool& saves_done) {
    SaveGroupQueue& q = mailbox.index->save_group;
    SaveGroupMember me;
    me.mailbox = &mailbox;
    me.saves = &saves;
    std::unique_lock qlock(q.mutex);
    q.waiting.push_back(&me);
    for (;;) {
        while (!me.done && q.leader_active)
            q.cv.wait(qlock);
        if (me.done)
            break;
        // Lead: the index first (without the queue's mutex), so that the
        // deliveries arriving while it is busy join this group.
        q.leader_active = true;
        qlock.unlock();
        // At most max_group_saves members (each has a save), reserved before
        // any member leaves the queue: nothing below throws before the
        // members are marked done.
        std::vector<SaveGroupMember*> batch;
        try {
            batch.reserve(max_group_saves);
        } catch (const std::bad_alloc&) {
            qlock.lock();
            q.leader_active = false;
            q.cv.notify_all();
            auto self = std::find(q.waiting.begin(), q.waiting.end(), &me);
            if (self != q.waiting.end())
                q.waiting.erase(self);
            return Status::io("committing saves: out of memory");
        }
        {
            std::lock_guard ilock(mailbox.index->mutex);
            std::size_t total = 0;
            {
                std::lock_guard again(q.mutex);
                auto self = std::find(q.waiting.begin(), q.waiting.end(), &me);
                if (self != q.waiting.end())
                    q.waiting.erase(self);
                batch.push_back(&me);
                total = saves.size();
                for (auto it = q.waiting.begin(); it != q.waiting.end();) {
                    if (total + (*it)->saves->size() > max_group_saves || batch.size() == max_group_saves) {
                        ++it;
                        continue;
                    }
                    total += (*it)->saves->size();
                    batch.push_back(*it);
                    it = q.waiting.erase(it);
                }
                ++q.groups;
                q.grouped_saves += total;
            }
            try {
                commit_batch(mailbox, batch);
            } catch (const std::bad_alloc&) {
                for (auto* m : batch)
                    m->info = Status::io("committing saves: out of memory");
            }
        }
        qlock.lock();
        for (auto* m : batch)
            m->done = true;
        q.leader_active = false;
        q.cv.notify_all();
    }
    uids = std::move(me.uids);
    saves_done = me.saves_done;
    return me.info;
}

} // namespace mailstore::storage
