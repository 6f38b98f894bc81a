// Process-wide functions: version, status names, freeing, logging.
#include "errors.hpp"

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/version.hpp>

#include <loft/mailstore.h>

#include <cstdlib>

using loft_c::fail;
using loft_c::guarded;

extern "C" {

const char* loft_strerror(loft_status status) {
    switch (status) {
    case LOFT_OK:
        return "success";
    case LOFT_EINVAL:
        return "invalid argument";
    case LOFT_ENOTFOUND:
        return "not found";
    case LOFT_EEXIST:
        return "already exists";
    case LOFT_EPERM:
        return "permission denied";
    case LOFT_EQUOTA:
        return "quota exceeded";
    case LOFT_ETEMP:
        return "temporary failure";
    case LOFT_ENOMEM:
        return "out of memory";
    case LOFT_EIO:
        return "input/output error";
    case LOFT_ENOTSUP:
        return "not supported";
    case LOFT_EAUTH:
        return "authentication failed";
    case LOFT_EREJECTED:
        return "message rejected";
    case LOFT_EINTERNAL:
        return "internal error";
    }
    return "unknown error";
}

const char* loft_version(void) {
    return mailstore::version();
}

void loft_free(void* buffer) {
    std::free(buffer);
}

loft_status loft_log_configure(const char* config_path, const char* service) {
    return guarded([&]() -> loft_status {
        namespace mlog = mailstore::log;
        mlog::LogSettings settings;
        if (config_path == nullptr) {
            // Warnings and errors only: an embedding program's stderr is its
            // own, not a log of every opened mailbox.
            settings.set_info_log_path("/dev/null");
        } else {
            auto config = mailstore::config::Config::load_file(config_path);
            if (!config)
                return fail(config.status());
            settings = mlog::settings_from_config(*config, service != nullptr ? service : "");
        }
        if (auto st = mlog::configure(settings); !st)
            return fail(LOFT_EIO, st.message());
        return LOFT_OK;
    });
}

} // extern "C"
