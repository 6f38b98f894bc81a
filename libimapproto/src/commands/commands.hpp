// The IMAP commands (internal): one file per command under src/commands/,
// each defining the start function declared here; registry.cpp maps names
// to them with the states they are allowed in and the untagged updates that
// may follow them.
//
// A start function parses the command's arguments (finish_bad on a syntax
// error), does the work and either finishes (returns nullptr after
// finish_*) or returns a CommandRun the session resumes (streamed FETCH,
// AUTHENTICATE, IDLE, ...).
#pragma once

#include "session/context.hpp"

#include <memory>
#include <string_view>

namespace imapproto::detail {

using StartFn = std::unique_ptr<CommandRun> (*)(Context& ctx, const Command& cmd);

enum StateMask : unsigned {
    in_not_authenticated = 1,
    in_authenticated = 2,
    in_selected = 4,
    in_any = 7,
    in_logged_in = 6,
};

struct CommandSpec {
    std::string_view name; // upper case
    unsigned states;       // StateMask bits
    bool has_uid_form;     // "UID <name>" is allowed
    // The policy of the plain form; UID forms always get UpdatePolicy::full
    // (RFC 3501 §7.4.1 forbids EXPUNGE only after FETCH, STORE, SEARCH).
    UpdatePolicy updates;
    StartFn start;
};

// nullptr for an unknown command.
const CommandSpec* find_command(std::string_view upper_name);

// --- any state (src/commands/{capability,noop,logout,id,enable}.cpp) ---
std::unique_ptr<CommandRun> cmd_capability(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_noop(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_logout(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_id(Context&, const Command&);
// --- not authenticated (starttls, authenticate, login) ---
std::unique_ptr<CommandRun> cmd_starttls(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_authenticate(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_login(Context&, const Command&);
// --- authenticated ---
std::unique_ptr<CommandRun> cmd_enable(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_select(Context&, const Command&);  // SELECT and EXAMINE (cmd.name says which)
std::unique_ptr<CommandRun> cmd_create(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_delete(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_rename(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_subscribe(Context&, const Command&); // SUBSCRIBE and UNSUBSCRIBE
std::unique_ptr<CommandRun> cmd_list(Context&, const Command&);      // LIST and LSUB
std::unique_ptr<CommandRun> cmd_namespace(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_status(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_append(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_idle(Context&, const Command&);
// IDLE already running (a hibernated session restored): waits for DONE
// without sending "+ idling" again.
std::unique_ptr<CommandRun> idle_running();
std::unique_ptr<CommandRun> cmd_compress(Context&, const Command&);
// --- selected ---
std::unique_ptr<CommandRun> cmd_check(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_close(Context&, const Command&);   // CLOSE and UNSELECT
std::unique_ptr<CommandRun> cmd_expunge(Context&, const Command&); // EXPUNGE and UID EXPUNGE
std::unique_ptr<CommandRun> cmd_search(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_fetch(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_store(Context&, const Command&);
std::unique_ptr<CommandRun> cmd_copy(Context&, const Command&);    // COPY and MOVE
std::unique_ptr<CommandRun> cmd_replace(Context&, const Command&); // REPLACE (RFC 8508)
// --- extensions ---
std::unique_ptr<CommandRun> cmd_sort(Context&, const Command&);         // SORT (RFC 5256, 5267, 5957)
std::unique_ptr<CommandRun> cmd_thread(Context&, const Command&);       // THREAD (RFC 5256)
std::unique_ptr<CommandRun> cmd_cancelupdate(Context&, const Command&); // CANCELUPDATE (RFC 5267)
std::unique_ptr<CommandRun> cmd_notify(Context&, const Command&);       // NOTIFY (RFC 5465)
std::unique_ptr<CommandRun> cmd_getmetadata(Context&, const Command&);  // GETMETADATA (RFC 5464)
std::unique_ptr<CommandRun> cmd_setmetadata(Context&, const Command&);  // SETMETADATA (RFC 5464)
std::unique_ptr<CommandRun> cmd_genurlauth(Context&, const Command&);   // GENURLAUTH (RFC 4467)
std::unique_ptr<CommandRun> cmd_resetkey(Context&, const Command&);     // RESETKEY (RFC 4467)
std::unique_ptr<CommandRun> cmd_urlfetch(Context&, const Command&);     // URLFETCH (RFC 4467)

} // namespace imapproto::detail
