// The states a process keeps after their last user closed them (indexes
// in mailbox.cpp, Maildir folder states in maildir_backend.cpp), so that
// the next delivery to the same mailbox reads only what changed since.
// Bounded three ways (docs/storage.md, "Kept state"): a count, a byte
// budget over their estimated memory (the least recently used beyond it
// are dropped), and an idle time (a state unused for longer is dropped at
// the next open of any mailbox). Only touched under its registry's mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mailstore::storage {

// A state unused for this long is not kept.
inline constexpr std::chrono::seconds kept_idle_limit{60};

template <typename T>
struct KeptState {
    std::shared_ptr<T> state;
    std::chrono::steady_clock::time_point last_used{};
    std::size_t bytes = 0; // the estimate when last measured
};

template <typename T>
class KeptStates {
public:
    KeptStates(std::size_t max_count, std::size_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}

    bool contains(const std::shared_ptr<T>& state) const {
        for (const auto& k : list_)
            if (k.state == state)
                return true;
        return false;
    }
    void erase(const std::shared_ptr<T>& state) {
        for (auto it = list_.begin(); it != list_.end(); ++it)
            if (it->state == state) {
                list_.erase(it);
                return;
            }
    }

    // Makes `state` the most recently used, then trims: `estimate(T&)` gives
    // an idle state's bytes (SIZE_MAX when it cannot tell now: the last
    // estimate stands). States in use are counted with their last estimate
    // and not measured (their owners may be changing them).
    template <typename Estimate>
    void use(const std::shared_ptr<T>& state, Estimate estimate,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
        KeptState<T> entry{state, now, 0};
        for (auto it = list_.begin(); it != list_.end(); ++it)
            if (it->state == state) {
                entry.bytes = it->bytes;
                list_.erase(it);
                break;
            }
        list_.insert(list_.begin(), std::move(entry));
        trim(now, estimate);
    }

    std::size_t size() const { return list_.size(); }
    std::size_t bytes() const {
        std::size_t total = 0;
        for (const auto& k : list_)
            total += k.bytes;
        return total;
    }

private:
    template <typename Estimate>
    void trim(std::chrono::steady_clock::time_point now, Estimate estimate) {
        std::size_t total = 0;
        std::size_t kept = 0;
        for (auto it = list_.begin(); it != list_.end();) {
            // Only the list holds an idle state: nobody can start using it
            // without the registry's mutex, which the caller holds.
            const bool is_idle = it->state.use_count() == 1;
            if (is_idle) {
                const std::size_t b = estimate(*it->state);
                if (b != SIZE_MAX)
                    it->bytes = b;
            }
            const bool first = it == list_.begin(); // the one being opened stays
            if (!first && (kept >= max_count_ || total + it->bytes > max_bytes_ ||
                           (is_idle && now - it->last_used > kept_idle_limit))) {
                it = list_.erase(it);
                continue;
            }
            total += it->bytes;
            ++kept;
            ++it;
        }
    }

    std::size_t max_count_;
    std::size_t max_bytes_;
    std::vector<KeptState<T>> list_; // most recently used first
};

} // namespace mailstore::storage
