// NOTIFY (RFC 5465).
#include "session/notify.hpp"

#include "session/context.hpp"

namespace imapproto::detail {

struct Notify::State {};

Notify::Notify() : state_(std::make_unique<State>()) {}
Notify::~Notify() = default;

bool Notify::active() const { return false; }
void Notify::after_sync(Context&, const mailstore::storage::SyncResult&) {}
void Notify::poll(Context&) {}
void Notify::on_select(Context&) {}

} // namespace imapproto::detail
