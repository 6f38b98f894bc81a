// NOTIFY (RFC 5465): which events the client asked for, for which
// mailboxes, and the unsolicited STATUS / LIST / FETCH responses that
// report them. The session calls the hooks below; the daemon learns which
// paths to watch from Session::notify_watch_paths() and wakes the session
// when one changes, also outside IDLE.
//
// How changes in other mailboxes are noticed: the client's filters are
// turned into a bounded set of mailboxes (kMaxWatchedMailboxes). For each
// one the session remembers the STATUS the client last heard; a poll asks
// User::status (answered from the mailbox-list index while nothing changed)
// and reports the differences. Mailbox creation, deletion and renames are
// found by comparing the mailbox list (names and GUIDs: a GUID under a new
// name is a rename), subscription changes by comparing the subscriptions.
#pragma once

#include "fetch/fetch_items.hpp"

#include <imapproto/export.hpp>

#include <mailstore/storage/mailbox.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace imapproto::detail {

class Context;

// The events of RFC 5465 §5 Loft reports.
enum NotifyEvent : unsigned {
    notify_message_new = 1,
    notify_message_expunge = 2,
    notify_flag_change = 4,
    notify_mailbox_name = 8,
    notify_subscription_change = 16,
    // Only with METADATA on (imap_metadata = yes): RFC 5465 §5.6, §5.7.
    notify_mailbox_metadata = 32,
    notify_server_metadata = 64,
};
inline constexpr unsigned kNotifyMessageEvents = notify_message_new | notify_message_expunge | notify_flag_change;

// The mailbox filters of RFC 5465 §6.
enum class NotifyFilter { selected, selected_delayed, inboxes, personal, subscribed, subtree, mailboxes };

// One event group other than SELECTED / SELECTED-DELAYED.
struct NotifyGroup {
    NotifyFilter filter = NotifyFilter::personal;
    std::vector<std::string> names; // subtree / mailboxes: UTF-8 names
    unsigned events = 0;            // NotifyEvent bits; 0 for NONE
};

// A parsed NOTIFY SET (commands/notify.cpp).
struct NotifyRequest {
    std::vector<NotifyGroup> groups;
    std::optional<NotifyFilter> selected; // SELECTED or SELECTED-DELAYED
    unsigned selected_events = 0;
    // MessageNew's fetch-att for the selected mailbox (none: nullptr).
    std::shared_ptr<const fetch::FetchRequest> fetch;
};

// More mailboxes than this under one NOTIFY SET is refused with
// NO [NOTIFICATIONOVERFLOW] (RFC 5465 §3.1: "too expensive"); a set that
// grows past it later ends with "* OK [NOTIFICATIONOVERFLOW]" (§5.8).
inline constexpr std::size_t kMaxWatchedMailboxes = 500;
// The mailbox list NOTIFY compares is bounded too: a user with more
// mailboxes than this gets NO / OK [NOTIFICATIONOVERFLOW] the same way.
inline constexpr std::size_t kMaxListedMailboxes = 5000;
// More untagged notifications than this from one poll: §5.8 overflow.
inline constexpr std::size_t kMaxNotificationsPerPoll = 2000;
// New messages in the selected mailbox that get the MessageNew FETCH in one
// update; beyond it the client has EXISTS and fetches itself (§5.8 spirit:
// the server does not pile up unbounded output).
inline constexpr std::size_t kMaxNewMessageFetches = 1000;

// How many times NOTIFY read the METADATA dict file in this process (a
// test seam: a poll whose file did not change must not read it). Exported
// (the library hides its internals) so the unit tests reach it.
IMAPPROTO_API std::uint64_t notify_metadata_reads();

class Notify {
public:
    Notify();
    ~Notify();
    Notify(const Notify&) = delete;
    Notify& operator=(const Notify&) = delete;

    // Whether a NOTIFY SET is in force (NOTIFY NONE turns it off).
    bool active() const;
    // NOTIFY SET: replaces what is watched; with `send_status`, an untagged
    // STATUS for each watched mailbox (§3.1). false when the mailboxes are
    // more than kMaxWatchedMailboxes (the command answers
    // NO [NOTIFICATIONOVERFLOW]; nothing changed).
    bool set(Context& ctx, NotifyRequest request, bool send_status);
    // NOTIFY NONE.
    void none();
    // FlagChange for the selected mailbox asked for: its FETCH responses
    // carry UID (§5.1).
    bool fetch_with_uid() const;
    // Called by Session::send_updates after the selected mailbox's updates.
    void after_sync(Context& ctx, const mailstore::storage::SyncResult& result);
    // The session was woken (a watched path changed) or a command ended:
    // report what changed in the other mailboxes the client watches.
    // `sync_selected`: between commands, also send the selected mailbox's
    // updates when the client asked for SELECTED / SELECTED-DELAYED events
    // (IDLE syncs the selected mailbox itself).
    void poll(Context& ctx, bool sync_selected = false);
    // The selection changed.
    void on_select(Context& ctx);
    // A command is about to run / has finished: changes this session makes
    // itself are not reported back to it (RFC 5465 §5), so what was pending
    // is reported first and what the command changed is absorbed after it.
    // `woken` is the session's flag, consumed only when it is acted on.
    void before_command(Context& ctx, std::atomic<bool>& woken);
    void after_command(Context& ctx, std::atomic<bool>& woken);

    // The paths to watch and their generation (Session::notify_watch_paths).
    const std::vector<std::string>& watch_paths() const;
    std::uint64_t generation() const;

    struct State; // notify.cpp
    State& state() { return *state_; }

private:
    std::unique_ptr<State> state_;
};

} // namespace imapproto::detail
