// The PAM thread: every PAM transaction of the process runs on one
// dedicated thread, fed by a bounded queue, and the caller waits for it at
// most a timeout. PAM modules may block for as long as they like (an LDAP or
// RADIUS server that does not answer, a pam_exec script that hangs); without
// this a stuck module would hold the auth pool thread that called it, and
// every later PAM login queued behind it, until all pool threads (and so all
// authentication, PAM or not) stood still.
//
// One thread, so transactions stay serialized: PAM modules are not all
// thread-safe (pam_unix keeps static state, as do some NSS modules).
#pragma once

#include <mailstore/export.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace mailstore::auth::system {

// One transaction: pam_start(service, user), pam_authenticate, pam_acct_mgmt,
// then pam_setcred / a session opened and closed when asked for.
struct PamTransaction {
    std::string service;
    std::string user;
    std::string password; // wiped by run_pam() once the transaction is over
    std::string rhost;    // PAM_RHOST when not empty
    bool setcred = false;
    bool session = false;
};

struct PamLimits {
    // How long the caller waits in all (queue and transaction).
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};
    // Transactions that may wait behind the running one.
    std::size_t max_queue = 16;
};

struct PamOutcome {
    enum class State {
        done,       // the transaction ran: rc, where, message
        timed_out,  // no answer within the timeout: error names the call that has not returned
        overloaded, // not queued (queue full, or a transaction is already overdue): error says why
    };
    State state = State::done;
    int rc = 0;          // PAM_SUCCESS or the failing call's code
    std::string where;   // "pam_authenticate() failed: Authentication failure" (rc != PAM_SUCCESS)
    std::string message; // the last PAM_ERROR_MSG / PAM_TEXT_INFO a module sent
    std::string error;   // timed_out / overloaded
};

// Runs `t` on the PAM thread (started on first use; it lives as long as the
// process) and waits for it for at most limits.timeout. A transaction whose
// caller gave up while it was still queued is dropped unrun; one already
// running is left to finish (PAM calls cannot be interrupted), and while it
// is overdue new transactions fail at once instead of queuing behind it.
PamOutcome run_pam(PamTransaction t, const PamLimits& limits);

// For tests: transactions waiting in the queue, and whether one is running.
struct PamThreadState {
    std::size_t queued = 0;
    bool running = false;
};
MAILSTORE_INTERNAL_API PamThreadState pam_thread_state();

} // namespace mailstore::auth::system
