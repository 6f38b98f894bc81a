// ESEARCH/ESORT UPDATE contexts (RFC 5267 §4, CONTEXT=SEARCH and
// CONTEXT=SORT): searches a client asked the server to keep up to date.
// After every sync of the selected mailbox the session calls after_sync(),
// which re-evaluates the open contexts over the messages that are new or
// changed (never the whole mailbox) and sends
// "* ESEARCH (TAG "t") UID REMOVEFROM (0 7) ADDTO (0 9:10)". Removals of
// expunged messages go out from before_expunges(), ahead of the EXPUNGE
// responses (RFC 5267 §4.3.4). Contexts belong to the selected mailbox:
// deselecting drops them. Their number and the memory their results hold
// are bounded (kMaxContexts, kMaxContextResults).
#pragma once

#include "commands/search_result.hpp"

#include <mailstore/search.hpp>
#include <mailstore/sort.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto::detail {

class Context;

// What a searching command hands over to keep its result up to date.
struct SearchContextSpec {
    // The search program. Sequence-number keys and "$" are resolved to
    // UIDs by add_context (RFC 5267 §4.3: they are evaluated when the
    // command is received; later changes to them notify nothing).
    mailstore::search::Program program;
    SearchReturn ret;
    bool uid = false; // UID SEARCH / UID SORT: updates carry UIDs, else sequence numbers (§4.3.2)
    // CONTEXT=SORT: the SORT criteria (ties by sequence number, RFC 5256
    // §3); empty for SEARCH, whose context positions are 0 (mailbox order).
    std::vector<mailstore::search::SortCriterion> sort;
};

class SearchUpdates {
public:
    // At most this many updating contexts per session; one more gets
    // "* NO [NOUPDATE "tag"]" (RFC 5267 §4.3.1).
    static constexpr std::size_t kMaxContexts = 10;
    // At most this many messages in one context's result (4 bytes each
    // for SORT, ranges of UIDs for SEARCH); a larger result gets NOUPDATE.
    static constexpr std::size_t kMaxContextResults = 100000;

    SearchUpdates();
    ~SearchUpdates();
    SearchUpdates(const SearchUpdates&) = delete;
    SearchUpdates& operator=(const SearchUpdates&) = delete;

    // Whether `tag` names an open context: a searching command with UPDATE
    // and that tag must answer BAD "Tag reuse" (RFC 5267 §4.3) before it
    // runs.
    bool has_context(std::string_view tag) const;

    // Called by SEARCH/SORT with RETURN (UPDATE ...) after writing the
    // ESEARCH response and before the tagged OK. `result` is what the
    // command found, sequence numbers of the current view in the requested
    // order. Keeps the context and returns true; at a limit, writes
    // "* NO [NOUPDATE "tag"] ..." and returns false (the command still
    // answers OK: the other return options were honoured).
    bool add_context(Context& ctx, std::string tag, SearchContextSpec spec,
                     const std::vector<mailstore::storage::Seq>& result);

    // CANCELUPDATE: ends the context of `tag`; false when there is none.
    bool cancel(std::string_view tag);

    // Number of open contexts (tests, limits).
    std::size_t size() const;

    // Called by Session::send_updates after a sync, before it writes
    // EXPUNGE/VANISHED: "REMOVEFROM" for results that were expunged, while
    // their sequence numbers are still the client's.
    void before_expunges(Context& ctx, const mailstore::storage::SyncResult& result);
    // Called by Session::send_updates after the standard untagged updates:
    // new and changed messages are evaluated against each context.
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
