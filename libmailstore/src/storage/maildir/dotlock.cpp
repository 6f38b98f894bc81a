#include "storage/maildir/uidlist.hpp"

namespace mailstore::storage::maildir {

Dotlock::Dotlock(Dotlock&& other) noexcept : lock_path_(std::move(other.lock_path_)) { other.lock_path_.clear(); }
Dotlock& Dotlock::operator=(Dotlock&& other) noexcept {
    if (this != &other) {
        release();
        lock_path_ = std::move(other.lock_path_);
        other.lock_path_.clear();
    }
    return *this;
}
Dotlock::~Dotlock() { release(); }
Result<Dotlock> Dotlock::acquire(const std::string&, std::chrono::milliseconds, std::chrono::seconds) { return Status::error(Status::Code::internal, "not implemented"); }
void Dotlock::release() { lock_path_.clear(); }

} // namespace mailstore::storage::maildir
