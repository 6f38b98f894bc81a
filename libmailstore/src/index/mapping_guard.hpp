// Read-only file mappings that survive the file being truncated under them.
//
// Touching a page of a mapping beyond the end of a file that was truncated
// after mmap() raises SIGBUS, and MAP_PRIVATE does not prevent it. A user can
// truncate files of their own Maildir (or index) while a worker that serves
// many users has them mapped: that must not kill the worker. A registered
// mapping is guarded: a SIGBUS inside it replaces the faulting page with a
// page of zeros, so the reader sees NUL bytes where the data vanished (a
// checksum or parser then rejects them) and the process carries on. A SIGBUS
// anywhere else is handed to the previous handler (or the default action).
#pragma once

#include <mailstore/export.hpp>

#include <cstddef>

namespace mailstore::index {

class MAILSTORE_INTERNAL_API GuardedMapping {
public:
    GuardedMapping() = default;
    // mmap(PROT_READ, MAP_PRIVATE) of `size` bytes of `fd` from offset 0,
    // registered with the SIGBUS guard. On failure (mmap failed, or the
    // guard's table is full) address() is null and error() says why.
    GuardedMapping(int fd, std::size_t size);
    GuardedMapping(GuardedMapping&& other) noexcept;
    GuardedMapping& operator=(GuardedMapping&& other) noexcept;
    GuardedMapping(const GuardedMapping&) = delete;
    GuardedMapping& operator=(const GuardedMapping&) = delete;
    ~GuardedMapping(); // unregisters, then unmaps

    const char* address() const { return static_cast<const char*>(address_); }
    std::size_t size() const { return size_; }
    int error() const { return error_; } // errno of the failure; ENOSPC: guard table full

private:
    void release();
    void* address_ = nullptr;
    std::size_t size_ = 0;
    int slot_ = -1;
    int error_ = 0;
};

} // namespace mailstore::index
