// The failure penalty: a remote address that keeps failing waits longer and
// longer for its answer (auth_failure_delay doubled per recent failure, up
// to kMaxPenaltyDelay). Forgotten after an hour without failures or after a
// success from that address. Bounded: at most kMaxPenaltyEntries addresses,
// the least recently failing one evicted first.
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

    // The delay for a failure from `ip` now, given `base` = auth_failure_delay,
    // and records the failure. An empty `ip` (a local tool) has no penalty.
    std::chrono::milliseconds fail(std::string_view ip, std::chrono::milliseconds base,
                                   Clock::time_point now = Clock::now());
    // A success from `ip`: forget its failures.
    void clear(std::string_view ip);
    // Recent failures recorded for `ip` (for tests and loftadm).
    unsigned failures(std::string_view ip, Clock::time_point now = Clock::now()) const;
    std::size_t size() const;

    // The delay after `previous` failures: base, then doubling, capped at
    // max(kMaxPenaltyDelay, base). A zero base still grows from one second
    // once an address has failed before.
    static std::chrono::milliseconds delay_for(unsigned previous, std::chrono::milliseconds base);

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

} // namespace mailstore::auth
