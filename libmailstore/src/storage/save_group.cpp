// Group commit of save-only transactions (save_group.hpp). The leader is
// the member at the head of the queue when no leader is at work; it first
// takes the index's mutex (others queue meanwhile), then the queue's
// members in order, and commits their saves in one index commit through
// one commit_saves() call: the driver renames them all, fsyncs the
// directory once and appends all their uidlist lines with one flush.
// Members wait until the leader marks them done, which it does only after
// that commit returned, so no member answers before its message is
// durable. Whatever happens in the leader (an error, an exception), every
// member of its batch is marked done and the leadership is given up.
#include "storage/mailbox_impl.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

namespace mailstore::storage {

struct SaveGroupMember {
    Mailbox::Impl* mailbox = nullptr;
    std::vector<std::unique_ptr<PendingSave>>* saves = nullptr;
    std::vector<Uid> uids;
    std::uint32_t uidvalidity = 0;
    bool saves_done = false;
    Result<index::CommitInfo> info = Status::error(Status::Code::internal, "save group: not committed");
    bool done = false;
};

namespace {

Status fault(SaveGroupQueue& q, const char* point) {
    return q.test_fault ? q.test_fault(point) : Status::ok();
}

// The commit of `batch` (the leader first) on the leader's backend and
// index; the caller holds the index's mutex. Results go into the members.
void commit_batch(Mailbox::Impl& leader, const std::vector<SaveGroupMember*>& batch) {
    std::vector<std::size_t> counts;
    counts.reserve(batch.size());
    for (auto* m : batch)
        counts.push_back(m->saves->size());
    bool numbered = false;
    std::uint32_t uidvalidity = 0;
    std::vector<Uid> all_uids;
    auto apply = [&](index::WriteContext& ctx) -> Status {
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
        // Every save back to its own transaction, whatever happens (also an
        // exception from the driver): a member that fails aborts (removes)
        // its own files.
        struct GiveBack {
            const std::vector<SaveGroupMember*>& batch;
            const std::vector<std::size_t>& counts;
            std::vector<std::unique_ptr<PendingSave>>& all;
            ~GiveBack() {
                std::size_t at = 0;
                for (std::size_t i = 0; i < batch.size(); ++i)
                    for (std::size_t k = 0; k < counts[i] && at < all.size(); ++k)
                        (*batch[i]->saves)[k] = std::move(all[at++]);
            }
        };
        std::optional<Result<std::vector<Uid>>> saved;
        {
            GiveBack give_back{batch, counts, all};
            for (auto* m : batch)
                for (auto& s : *m->saves)
                    all.push_back(std::move(s));
            saved = leader.backend->commit_saves(all, ctx);
        }
        if (!*saved)
            return saved->status();
        numbered = true;
        uidvalidity = ctx.current().header().uidvalidity;
        all_uids = std::move(saved->value());
        if (auto st = fault(leader.index->save_group, "numbered"); !st)
            return st;
        for (auto* m : batch)
            m->mailbox->flush_pending(ctx);
        return Status::ok();
    };
    // No exception crosses the index commit (the index is left as after
    // any failed commit), so a failure after numbering is handled below.
    auto info = leader.index->index->commit([&](index::WriteContext& ctx) -> Status {
        try {
            return apply(ctx);
        } catch (const std::bad_alloc&) {
            return Status::io("committing saves: out of memory");
        } catch (const std::exception& e) {
            return Status::error(Status::Code::internal, std::string("committing saves: ") + e.what());
        } catch (...) {
            return Status::error(Status::Code::internal, "committing saves: unknown exception");
        }
    });
    if (!info && numbered) {
        // The files are in the mailbox and their uidlist lines are durable
        // (commit_saves returns only then): the Maildir and dovecot-uidlist
        // are the truth and the index catches up at its next sync. Failing
        // the deliveries now would make their senders deliver them again.
        log::write(log::Level::error, log::Category::mail, "",
                   "mailbox " + leader.resolved.name + ": " + std::to_string(all_uids.size()) +
                       " saved messages are stored but the index was not updated (the next sync adds them): " +
                       info.status().message());
        info = index::CommitInfo{0, leader.index->index->state()};
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto* m = batch[i];
        m->saves_done = numbered;
        m->uidvalidity = uidvalidity;
        m->uids.clear();
        for (std::size_t k = 0; k < counts[i] && at < all_uids.size(); ++k)
            m->uids.push_back(all_uids[at++]);
        m->info = info;
    }
}

// Commits `batch`; when the group failed before anything was numbered
// (e.g. one member's file could not be renamed: the driver put every file
// back), each member is committed alone, so one bad member fails alone.
void commit_group(Mailbox::Impl& leader, const std::vector<SaveGroupMember*>& batch) {
    commit_batch(leader, batch);
    // Not after a lock timeout: that would only make every member wait for
    // the lock again, one after the other.
    if (batch.size() < 2 || batch[0]->info || batch[0]->saves_done ||
        batch[0]->info.status().code() == Status::Code::temporary_failure)
        return;
    log::write(log::Level::warning, log::Category::mail, "",
               "mailbox " + leader.resolved.name + ": a group of " + std::to_string(batch.size()) +
                   " deliveries failed (" + batch[0]->info.status().message() + "); committing them one by one");
    std::vector<SaveGroupMember*> one(1);
    for (auto* m : batch) {
        one[0] = m;
        commit_batch(leader, one);
    }
}

} // namespace

Result<index::CommitInfo> commit_saves_grouped(Mailbox::Impl& mailbox,
                                               std::vector<std::unique_ptr<PendingSave>>& saves,
                                               std::vector<Uid>& uids, std::uint32_t& uidvalidity,
                                               bool& saves_done) {
    SaveGroupQueue& q = mailbox.index->save_group;
    SaveGroupMember me;
    me.mailbox = &mailbox;
    me.saves = &saves;
    std::unique_lock qlock(q.mutex);
    try {
        q.waiting.push_back(&me);
    } catch (const std::bad_alloc&) {
        return Status::io("committing saves: out of memory");
    }
    for (;;) {
        // First come, first led: only the head of the queue takes over.
        while (!me.done && (q.leader_active || q.waiting.front() != &me))
            q.cv.wait(qlock);
        if (me.done)
            break;
        // Lead: the index first (without the queue's mutex), so that the
        // deliveries arriving while it is busy join this group.
        q.leader_active = true;
        qlock.unlock();
        std::vector<SaveGroupMember*> batch;
        // On every way out of the leader's work, even an exception: each
        // member of the batch (and this one) is marked done, with an error
        // unless it got its result, and the next leader can start.
        struct Finish {
            SaveGroupQueue& q;
            std::unique_lock<std::mutex>& qlock;
            std::vector<SaveGroupMember*>& batch;
            SaveGroupMember& me;
            Status error = Status::error(Status::Code::internal, "committing saves: the group's leader failed");
            bool completed = false;
            ~Finish() {
                if (!qlock.owns_lock())
                    qlock.lock();
                auto self = std::find(q.waiting.begin(), q.waiting.end(), &me);
                if (self != q.waiting.end())
                    q.waiting.erase(self);
                if (std::find(batch.begin(), batch.end(), &me) == batch.end() && !completed)
                    me.info = error; // failed before it took itself
                for (auto* m : batch) {
                    if (!completed)
                        m->info = error;
                    m->done = true;
                }
                me.done = true;
                q.leader_active = false;
                q.cv.notify_all();
            }
        } finish{q, qlock, batch, me};
        try {
            // At most max_group_saves members (each has a save).
            batch.reserve(max_group_saves);
            std::lock_guard ilock(mailbox.index->mutex);
            {
                std::lock_guard again(q.mutex);
                auto self = std::find(q.waiting.begin(), q.waiting.end(), &me);
                if (self != q.waiting.end())
                    q.waiting.erase(self);
                batch.push_back(&me);
                std::size_t total = saves.size();
                // In queue order; the first member that does not fit starts
                // the next group (none is passed over by smaller ones).
                // Only transactions of the same user and mailbox share a
                // leader: its backend and settings commit them all.
                for (auto it = q.waiting.begin(); it != q.waiting.end();) {
                    SaveGroupMember* m = *it;
                    if (batch.size() == max_group_saves || total + m->saves->size() > max_group_saves)
                        break;
                    if (m->mailbox->user.username() != mailbox.user.username() ||
                        m->mailbox->resolved.namespace_index != mailbox.resolved.namespace_index ||
                        m->mailbox->resolved.name != mailbox.resolved.name) {
                        ++it;
                        continue;
                    }
                    total += m->saves->size();
                    batch.push_back(m);
                    it = q.waiting.erase(it);
                }
                ++q.groups;
                q.grouped_saves += total;
            }
            if (auto st = fault(q, "lead"); !st)
                throw std::runtime_error(st.message()); // a test's stand-in for a failing driver
            commit_group(mailbox, batch);
            finish.completed = true;
        } catch (const std::bad_alloc&) {
            finish.error = Status::io("committing saves: out of memory");
        } catch (const std::exception& e) {
            finish.error = Status::error(Status::Code::internal, std::string("committing saves: ") + e.what());
            log::write(log::Level::error, log::Category::mail, "",
                       "mailbox " + mailbox.resolved.name + ": " + finish.error.message());
        } catch (...) {
            finish.error = Status::error(Status::Code::internal, "committing saves: unknown exception");
            log::write(log::Level::error, log::Category::mail, "",
                       "mailbox " + mailbox.resolved.name + ": " + finish.error.message());
        }
    }
    uids = std::move(me.uids);
    uidvalidity = me.uidvalidity;
    saves_done = me.saves_done;
    return me.info;
}

} // namespace mailstore::storage
