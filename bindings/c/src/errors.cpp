#include "errors.hpp"

#include <utility>

namespace loft_c {

namespace {

// One per thread, so that concurrent calls on different handles never see
// each other's messages (the header promises loft_last_error is per thread).
thread_local std::string last_error;

} // namespace

loft_status fail(loft_status status, std::string message) {
    last_error = std::move(message);
    return status;
}

loft_status map_code(mailstore::Status::Code code) {
    using Code = mailstore::Status::Code;
    switch (code) {
    case Code::ok:
        return LOFT_OK;
    case Code::invalid_argument:
        return LOFT_EINVAL;
    case Code::not_found:
        return LOFT_ENOTFOUND;
    case Code::io_error:
        return LOFT_EIO;
    case Code::permission_denied:
        return LOFT_EPERM;
    case Code::already_exists:
        return LOFT_EEXIST;
    case Code::temporary_failure:
        return LOFT_ETEMP;
    case Code::internal:
        return LOFT_EINTERNAL;
    case Code::not_supported:
        return LOFT_ENOTSUP;
    }
    return LOFT_EINTERNAL;
}

loft_status fail(const mailstore::Status& status) {
    loft_status code = map_code(status.code());
    // An ok Status here is a bug in the binding; never report success for it.
    if (code == LOFT_OK)
        code = LOFT_EINTERNAL;
    return fail(code, status.message());
}

void clear_error() {
    last_error.clear();
}

} // namespace loft_c

// Never throws: c_str() of an existing string.
extern "C" const char* loft_last_error(void) {
    return loft_c::last_error.c_str();
}
