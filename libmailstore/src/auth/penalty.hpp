// The failure penalty: failures wait longer and longer for their answer
// (auth_failure_delay doubled per recent failure, up to kMaxPenaltyDelay).
// Failures are counted per remote address AND per (formatted) user name, and
// a failure waits the larger of the two delays: guessing one account from
// many addresses grows the user's penalty, guessing many accounts from one
// address grows the address's. Entries are forgotten after an hour without
// failures. A success clears only its user's entry, never the address's:
// otherwise one valid account at an address would reset the penalty of
// everything guessed from there between guesses. Bounded: at most
// kMaxPenaltyEntries addresses and as many users, the least recently
// failing one evicted first.
#pragma once

#include <mailstore/export.hpp>

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mailstore::auth {

inline constexpr std::chrono::milliseconds kMaxPenaltyDelay{15000};
inline constexpr std::chrono::seconds kPenaltyForget{3600};
inline constexpr std::size_t kMaxPenaltyEntries = 65536;

class MAILSTORE_INTERNAL_API PenaltyTable {
public:
    using Clock = std::chrono::steady_clock;

    // A failure from `ip` for `user` now, given `base` = auth_failure_delay:
    // records it in both tables and returns the larger of the two delays.
    // An empty `ip` (a local tool) or `user` (refused before a name was
    // known) is not counted in that table.
    std::chrono::milliseconds fail(std::string_view ip, std::string_view user, std::chrono::milliseconds base,
                                   Clock::time_point now = Clock::now());
    // The same for an address alone.
    std::chrono::milliseconds fail(std::string_view ip, std::chrono::milliseconds base,
                                   Clock::time_point now = Clock::now()) {
        return fail(ip, {}, base, now);
    }
    // A success for `user`: forget that user's failures.
    void clear_user(std::string_view user);
    // Forget the failures of an address (administrative; logins do not).
    void clear(std::string_view ip);
    // Recent failures recorded for `ip` / `user` (for tests and loftadm).
    unsigned failures(std::string_view ip, Clock::time_point now = Clock::now()) const;
    unsigned user_failures(std::string_view user, Clock::time_point now = Clock::now()) const;
    // Addresses in the table (users: user_count()).
    std::size_t size() const;
    std::size_t user_count() const;

    // The delay after `previous` failures: base, then doubling, capped at
    // max(kMaxPenaltyDelay, base). A zero base still grows from one second
    // once an address has failed before.
    static std::chrono::milliseconds delay_for(unsigned previous, std::chrono::milliseconds base);

private:
    // One bounded LRU table of failure counts, with its own lock.
    class Counts {
    public:
        // Records a failure; returns the failures recorded before it.
        unsigned bump(std::string_view key, Clock::time_point now);
        void erase(std::string_view key);
        unsigned get(std::string_view key, Clock::time_point now) const;
        std::size_t size() const;

    private:
        struct Entry {
            unsigned failures = 0;
            Clock::time_point last;
            std::list<std::string>::iterator order;
        };
        mutable std::mutex mutex_;
        std::unordered_map<std::string, Entry> entries_;
        std::list<std::string> order_; // front = most recent failure
    };
    Counts ips_, users_;
};

} // namespace mailstore::auth
