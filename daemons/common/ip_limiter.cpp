#include "ip_limiter.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loft {

namespace {
bool process_alive(std::uint32_t pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

std::size_t hash_ip(const IpAddress& ip) {
    std::size_t h = 1469598103934665603ull;
    for (auto b : ip.bytes)
        h = (h ^ b) * 1099511628211ull;
    return h;
}
} // namespace

IpLimiter::IpLimiter(const std::string& table_path, bool reset) : pid_(static_cast<std::uint32_t>(::getpid())) {
    map_size_ = kSlots * sizeof(Slot);
    if (!table_path.empty()) {
        int fd = ::open(table_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (reset)
                (void)::ftruncate(fd, 0);
            // A zero-filled slot is a free slot, so a fresh file needs no setup.
            if (::ftruncate(fd, static_cast<off_t>(map_size_)) == 0) {
                void* p = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p != MAP_FAILED)
                    slots_ = static_cast<Slot*>(p);
            }
            ::close(fd);
        }
    }
    if (!slots_) {
        void* p = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            slots_ = static_cast<Slot*>(p);
            local_ = true;
        }
    }
}

IpLimiter::~IpLimiter() {
    if (!slots_)
        return;
    if (!local_) {
        // Give our slots back so the counts drop at once, not when found dead.
        for (std::size_t i = 0; i < kSlots; ++i) {
            if (slots_[i].pid.load() == pid_) {
                slots_[i].count.store(0);
                slots_[i].pid.store(0);
            }
        }
    }
    ::munmap(slots_, map_size_);
}

unsigned IpLimiter::scan(const IpAddress& ip, long* own_slot, long* free_slot) {
    unsigned total = 0;
    std::size_t start = hash_ip(ip) % kSlots;
    for (std::size_t i = 0; i < kProbe; ++i) {
        std::size_t idx = (start + i) % kSlots;
        Slot& s = slots_[idx];
        std::uint32_t pid = s.pid.load(std::memory_order_acquire);
        if (pid == 0) {
            if (free_slot && *free_slot < 0)
                *free_slot = static_cast<long>(idx);
            continue;
        }
        if (std::memcmp(s.addr, ip.bytes.data(), 16) != 0)
            continue;
        if (pid == pid_) {
            if (own_slot)
                *own_slot = static_cast<long>(idx);
        } else if (!process_alive(pid)) {
            s.count.store(0);
            std::uint32_t expected = pid;
            s.pid.compare_exchange_strong(expected, 0);
            if (free_slot && *free_slot < 0)
                *free_slot = static_cast<long>(idx);
            continue;
        }
        total += s.count.load(std::memory_order_acquire);
    }
    return total;
}

bool IpLimiter::acquire(const std::string& ip_text, unsigned limit) {
    auto ip = parse_ip(ip_text);
    if (!ip || !slots_)
        return true; // unix sockets and the like are not counted
    std::lock_guard<std::mutex> lock(mutex_);
    long own = -1, free_slot = -1;
    unsigned total = scan(*ip, &own, &free_slot);
    if (limit != 0 && total >= limit)
        return false;
    // Claim a free slot; another process may race us for it, so retry a few.
    for (int attempt = 0; own < 0 && attempt < 8 && free_slot >= 0; ++attempt) {
        Slot& s = slots_[free_slot];
        std::uint32_t expected = 0;
        if (s.pid.compare_exchange_strong(expected, pid_)) {
            std::memcpy(s.addr, ip->bytes.data(), 16);
            s.count.store(0, std::memory_order_release);
            own = free_slot;
            break;
        }
        free_slot = -1;
        scan(*ip, nullptr, &free_slot);
    }
    if (own < 0)
        return true; // table neighbourhood full: fail open rather than refuse everyone
    // Count first, then check: two processes racing for the last place may
    // both back off, but the total never goes above the limit.
    slots_[own].count.fetch_add(1);
    if (limit != 0 && scan(*ip, nullptr, nullptr) > limit) {
        drop_one(own);
        return false;
    }
    return true;
}

void IpLimiter::drop_one(long own) {
    Slot& s = slots_[own];
    if (s.count.fetch_sub(1) <= 1) {
        s.count.store(0);
        s.pid.store(0, std::memory_order_release);
    }
}

void IpLimiter::release(const std::string& ip_text) {
    auto ip = parse_ip(ip_text);
    if (!ip || !slots_)
        return;
    std::lock_guard<std::mutex> lock(mutex_);
    long own = -1;
    scan(*ip, &own, nullptr);
    if (own >= 0)
        drop_one(own);
}

unsigned IpLimiter::count(const std::string& ip_text) {
    auto ip = parse_ip(ip_text);
    if (!ip || !slots_)
        return 0;
    std::lock_guard<std::mutex> lock(mutex_);
    return scan(*ip, nullptr, nullptr);
}

} // namespace loft
