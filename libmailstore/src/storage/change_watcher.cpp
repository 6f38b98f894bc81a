// ChangeWatcher: stub until the real implementation lands.
#include <mailstore/storage/mailbox.hpp>

namespace mailstore::storage {

class ChangeWatcher::Impl {};

ChangeWatcher& ChangeWatcher::instance() {
    static ChangeWatcher watcher;
    return watcher;
}
ChangeWatcher::ChangeWatcher() : impl_(std::make_unique<Impl>()) {}
ChangeWatcher::~ChangeWatcher() = default;
int ChangeWatcher::fd() const { return -1; }
void ChangeWatcher::dispatch() {}
ChangeWatcher::Handle::Handle(Handle&&) noexcept = default;
ChangeWatcher::Handle& ChangeWatcher::Handle::operator=(Handle&&) noexcept = default;
ChangeWatcher::Handle::~Handle() = default;
ChangeWatcher::Handle ChangeWatcher::watch(const Mailbox&, std::function<void()>) { return Handle(); }

} // namespace mailstore::storage
