// ESEARCH/ESORT UPDATE contexts (RFC 5267 §4, CONTEXT=SEARCH and
// CONTEXT=SORT): searches a client asked the server to keep up to date.
// After every sync of the selected mailbox the session calls after_sync(),
// which re-evaluates the open contexts over the messages that changed and
// sends "* ESEARCH (TAG "t") UID ADDTO (...) REMOVETO (...)". Contexts
// belong to the selected mailbox: deselecting drops them. Their number and
// the memory their results hold are bounded.
#pragma once

#include <mailstore/storage/mailbox.hpp>

#include <memory>

namespace imapproto::detail {

class Context;

class SearchUpdates {
public:
    SearchUpdates();
    ~SearchUpdates();
    SearchUpdates(const SearchUpdates&) = delete;
    SearchUpdates& operator=(const SearchUpdates&) = delete;

    // Called by Session::send_updates after the standard untagged updates.
    void after_sync(Context& ctx, const mailstore::storage::SyncResult& result);
    // The selection ended (CLOSE, UNSELECT, SELECT of another mailbox,
    // logout): every context is dropped.
    void on_deselect();

    struct State; // search_updates.cpp
    State& state() { return *state_; }

private:
    std::unique_ptr<State> state_;
};

} // namespace imapproto::detail
