// The SIGBUS guard of GuardedMapping (mapping_guard.hpp). The handler only
// uses async-signal-safe operations: atomic loads of a fixed table and mmap.
#include "index/mapping_guard.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>

#include <sys/mman.h>
#include <unistd.h>

namespace mailstore::index {
namespace {

// Mappings alive at once: one per message being read and one per index
// being loaded, per process. When full, callers fall back to reading.
constexpr int kSlots = 4096;

struct Slot {
    std::atomic<std::uintptr_t> begin{0};
    std::atomic<std::uintptr_t> end{0};
};
Slot slots[kSlots];

struct sigaction previous_action;
std::once_flag install_once;

void on_sigbus(int sig, siginfo_t* info, void* context) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (const Slot& slot : slots) {
        const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
        if (begin != 0 && address >= begin && address < slot.end.load(std::memory_order_acquire)) {
            const long page = ::sysconf(_SC_PAGESIZE);
            const std::uintptr_t start = address & ~static_cast<std::uintptr_t>(page - 1);
            // A zero page in place of the vanished one; the faulting read is
            // retried on return and sees NULs.
            if (::mmap(reinterpret_cast<void*>(start), static_cast<std::size_t>(page), PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
                return;
            break;
        }
    }
    // Not ours: whoever handled SIGBUS before us, else the default action
    // (the fault repeats on return and kills the process, as it would have).
    if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction != nullptr) {
        previous_action.sa_sigaction(sig, info, context);
        return;
    }
    if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
        previous_action.sa_handler != nullptr) {
        previous_action.sa_handler(sig);
        return;
    }
    ::signal(SIGBUS, SIG_DFL);
}

void install() {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_action);
}

int claim_slot(std::uintptr_t begin, std::uintptr_t end) {
    for (int i = 0; i < kSlots; ++i) {
        std::uintptr_t expected = 0;
        // end first would race with a handler reading a half-set slot; a
        // slot counts only once begin is set, so set end, then publish begin.
        if (slots[i].begin.load(std::memory_order_relaxed) != 0)
            continue;
        slots[i].end.store(end, std::memory_order_release);
        if (slots[i].begin.compare_exchange_strong(expected, begin, std::memory_order_acq_rel))
            return i;
    }
    return -1;
}

} // namespace

GuardedMapping::GuardedMapping(int fd, std::size_t size) {
    if (size == 0) {
        error_ = EINVAL;
        return;
    }
    std::call_once(install_once, install);
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
        error_ = errno;
        return;
    }
    const auto begin = reinterpret_cast<std::uintptr_t>(address);
    const int slot = claim_slot(begin, begin + size);
    if (slot < 0) {
        ::munmap(address, size);
        error_ = ENOSPC;
        return;
    }
    address_ = address;
    size_ = size;
    slot_ = slot;
}

GuardedMapping::GuardedMapping(GuardedMapping&& other) noexcept
    : address_(other.address_), size_(other.size_), slot_(other.slot_), error_(other.error_) {
    other.address_ = nullptr;
    other.slot_ = -1;
}

GuardedMapping& GuardedMapping::operator=(GuardedMapping&& other) noexcept {
    if (this != &other) {
        release();
        address_ = other.address_;
        size_ = other.size_;
        slot_ = other.slot_;
        error_ = other.error_;
        other.address_ = nullptr;
        other.slot_ = -1;
    }
    return *this;
}

GuardedMapping::~GuardedMapping() { release(); }

void GuardedMapping::release() {
    if (slot_ >= 0) {
        slots[slot_].begin.store(0, std::memory_order_release);
        slot_ = -1;
    }
    if (address_ != nullptr) {
        ::munmap(address_, size_);
        address_ = nullptr;
    }
}

} // namespace mailstore::index
