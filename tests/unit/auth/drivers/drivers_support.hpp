// Helpers for the driver tests: DriverArgs, requests and a log capture.
#pragma once

#include "../../test_support.hpp"
#include "auth/db/drivers.hpp"

#include <mailstore/log.hpp>

#include <doctest/doctest.h>

#include <string>

namespace drv_test {

inline mailstore::auth::DriverArgs args(std::string driver, std::string a) {
    mailstore::auth::DriverArgs d;
    d.driver = std::move(driver);
    d.args = std::move(a);
    d.where = {"/etc/loft/auth.conf", 12};
    d.log = mailstore::log::Logger("auth");
    return d;
}

inline mailstore::auth::AuthRequest request(std::string user) {
    mailstore::auth::AuthRequest r;
    r.user = user;
    r.original_user = std::move(user);
    r.client.service = "imap";
    r.client.remote_ip = "192.0.2.1";
    r.log = mailstore::log::Logger("auth");
    return r;
}

// Sends every line (debug and auth info included) to a file for the
// lifetime of the object; restores stderr logging afterwards.
struct LogCapture {
    std::string path;
    explicit LogCapture(const loft_test::TempDir& dir) : path(dir.str() + "/auth.log") {
        mailstore::log::LogSettings s;
        s.set_log_path(path).set_log_timestamp("").set_auth_verbose(true);
        REQUIRE(mailstore::log::configure(s).is_ok());
    }
    ~LogCapture() { (void)mailstore::log::configure(mailstore::log::LogSettings()); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    std::string text() const {
        mailstore::log::flush();
        return loft_test::slurp(path);
    }
};

inline std::string dump(const mailstore::auth::FieldList& f) {
    std::string out;
    for (const auto& [k, v] : f)
        out += "[" + k + "=" + v + "]";
    return out;
}

} // namespace drv_test
