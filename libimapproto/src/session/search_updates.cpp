// ESEARCH/ESORT UPDATE contexts (RFC 5267 §4).
#include "session/search_updates.hpp"

#include "session/context.hpp"

namespace imapproto::detail {

struct SearchUpdates::State {};

SearchUpdates::SearchUpdates() : state_(std::make_unique<State>()) {}
SearchUpdates::~SearchUpdates() = default;

void SearchUpdates::after_sync(Context&, const mailstore::storage::SyncResult&) {}
void SearchUpdates::on_deselect() {}

} // namespace imapproto::detail
