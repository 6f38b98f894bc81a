// How the C API reports failure: a loft_status code plus a per-thread
// message (loft_last_error), and the guard that keeps C++ exceptions from
// crossing into C.
#pragma once

#include <mailstore/status.hpp>

#include <loft/mailstore.h>

#include <exception>
#include <new>
#include <string>

namespace loft_c {

// Sets the thread's last-error message and returns `status`.
loft_status fail(loft_status status, std::string message);
// The code and message of a libmailstore Status (which must not be ok).
loft_status fail(const mailstore::Status& status);
// The loft_status a libmailstore Status code maps to.
loft_status map_code(mailstore::Status::Code code);
// Empties the thread's last-error message (a call is starting).
void clear_error();

// Runs `body` (returning a loft_status) with the last error cleared first,
// and turns any exception into a code: a C caller cannot catch one, and an
// exception unwinding through C frames is undefined behaviour.
template <class Body>
loft_status guarded(Body&& body) noexcept {
    try {
        clear_error();
        return body();
    } catch (const std::bad_alloc&) {
        return fail(LOFT_ENOMEM, "out of memory");
    } catch (const std::exception& e) {
        try {
            return fail(LOFT_EINTERNAL, std::string("internal error: ") + e.what());
        } catch (...) {
            return LOFT_EINTERNAL;
        }
    } catch (...) {
        return fail(LOFT_EINTERNAL, "internal error: unknown exception");
    }
}

// Makes an invalid-argument failure naming the NULL argument.
inline loft_status null_argument(const char* name) {
    return fail(LOFT_EINVAL, std::string(name) + " is NULL");
}

} // namespace loft_c
