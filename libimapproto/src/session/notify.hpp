// NOTIFY (RFC 5465): which events the client asked for, for which
// mailboxes, and the unsolicited STATUS / LIST / FETCH responses that
// report them. The session calls the hooks below; the daemon learns which
// paths to watch from Session::notify_watch_paths() and wakes the session
// when one changes, also outside IDLE.
#pragma once

#include <mailstore/storage/mailbox.hpp>

#include <memory>
#include <string>
#include <vector>

namespace imapproto::detail {

class Context;

class Notify {
public:
    Notify();
    ~Notify();
    Notify(const Notify&) = delete;
    Notify& operator=(const Notify&) = delete;

    // Whether a NOTIFY SET is in force (NOTIFY NONE turns it off).
    bool active() const;
    // Called by Session::send_updates after the selected mailbox's updates.
    void after_sync(Context& ctx, const mailstore::storage::SyncResult& result);
    // The session was woken (a watched path changed) or a command ended:
    // report what changed in the other mailboxes the client watches.
    void poll(Context& ctx);
    // The selection changed.
    void on_select(Context& ctx);

    struct State; // notify.cpp
    State& state() { return *state_; }

private:
    std::unique_ptr<State> state_;
};

} // namespace imapproto::detail
