// Connections per client IP, counted across every worker process of a
// service. The counts live in a small file-backed shared memory table under
// base_dir that all workers map; each process owns the slots it created
// (one per IP it serves) and updates them atomically, and slots of a process
// that died are reclaimed by whoever finds them. When the table cannot be
// mapped, the count falls back to this process alone (logged).
#pragma once

#include "cidr.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace loft {

class IpLimiter {
public:
    // `table_path` empty: count within this process only. `reset`: start
    // from an empty table (a standalone process that owns the file).
    IpLimiter(const std::string& table_path, bool reset);
    ~IpLimiter();
    IpLimiter(const IpLimiter&) = delete;
    IpLimiter& operator=(const IpLimiter&) = delete;

    // Count one more connection from `ip` unless `limit` (0 = none) are
    // already open from it. false = refuse the connection.
    bool acquire(const std::string& ip, unsigned limit);
    // The connection counted by a successful acquire() ended.
    void release(const std::string& ip);
    // Connections from `ip` across all processes.
    unsigned count(const std::string& ip);
    bool shared() const { return slots_ != nullptr && !local_; }

    static constexpr std::size_t kSlots = 16384;
    static constexpr std::size_t kProbe = 64;

private:
    struct Slot {
        std::atomic<std::uint32_t> pid;
        std::atomic<std::uint32_t> count;
        std::uint8_t addr[16];
    };
    unsigned scan(const IpAddress& ip, long* own_slot, long* free_slot);
    // One connection fewer in our slot `own`; frees the slot at zero.
    void drop_one(long own);

    Slot* slots_ = nullptr;
    std::size_t map_size_ = 0;
    bool local_ = false; // slots_ is private memory, not a shared file
    std::uint32_t pid_;
    std::mutex mutex_; // serializes this process's own updates
};

} // namespace loft
