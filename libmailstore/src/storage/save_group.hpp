// Group commit of saves (docs/storage.md, "Group commit"): transactions
// that only save new messages into one mailbox and meet at its index are
// committed together by whichever of them gets the index first (the
// leader). The leader renames every member's file, syncs the directory once
// and appends and flushes all their dovecot-uidlist lines with one
// fdatasync; every member returns only after the flush that covers its
// messages, so each is still durable before its caller answers (LMTP 250,
// APPEND OK). Many deliveries to one user cost one directory fsync and one
// uidlist flush per group instead of one each.
#pragma once

#include "index/mail_index.hpp"
#include "storage/backend.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace mailstore::storage {

class Mailbox;

// A transaction waiting in a SaveGroupQueue. Filled by the leader while the
// member's own thread waits.
struct SaveGroupMember;

// The members waiting for one index (a member of SharedIndex). `mutex` is
// never held while the index's own mutex is taken, nor across I/O.
struct SaveGroupQueue {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<SaveGroupMember*> waiting; // FIFO
    bool leader_active = false;
    // Tests only: called by a leader at "lead" (under the index's mutex,
    // its batch taken; an error there is thrown as an exception, standing
    // in for a failing driver) and at "numbered" (inside the index commit, after the
    // driver numbered the saves; an error fails that commit). Set before
    // any committer starts.
    std::function<Status(const char* point)> test_fault;
    // Statistics (tests and the benchmark notes): groups committed and the
    // saves they held.
    std::uint64_t groups = 0;
    std::uint64_t grouped_saves = 0;
};

// Saves per group at most: bounds the uidlist append, the index log record
// and how long a leader works for others.
inline constexpr std::size_t max_group_saves = 64;

} // namespace mailstore::storage
