// Shared set-up of the framework tests: a temp dir holding passwd-files and
// a config text, turned into a real Authenticator with the real drivers.
#pragma once

#include "../../test_support.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <doctest/doctest.h>

#include <string>

namespace fw_test {

using mailstore::auth::AuthReply;
using mailstore::auth::Authenticator;
using mailstore::auth::ClientInfo;
using mailstore::auth::LookupResult;

inline ClientInfo client(std::string rip = "192.0.2.7", bool secured = true) {
    ClientInfo c;
    c.service = "imap";
    c.remote_ip = std::move(rip);
    c.local_ip = "198.51.100.1";
    c.secured = secured;
    return c;
}

// passdb/userdb blocks written as config text.
inline std::string block(std::string_view type, std::string_view driver, std::string_view args,
                         std::string_view extra = {}) {
    std::string s = std::string(type) + " {\n  driver = " + std::string(driver) + "\n";
    if (!args.empty())
        s += "  args = " + std::string(args) + "\n";
    s += std::string(extra);
    s += "}\n";
    return s;
}

struct Env {
    loft_test::TempDir dir{"loft-authfw"};

    std::string file(const std::string& name, std::string_view text) const { return dir.write(name, text); }

    mailstore::Result<Authenticator> try_make(const std::string& conf) const {
        auto cfg = mailstore::config::Config::load_string(conf, "test.conf", dir.str());
        REQUIRE_MESSAGE(cfg.is_ok(), cfg.status().message());
        return Authenticator::create(*cfg);
    }
    Authenticator make(const std::string& conf) const {
        auto a = try_make(conf);
        REQUIRE_MESSAGE(a.is_ok(), a.status().message());
        return std::move(a).value();
    }
};

// Sends info lines to a file for the lifetime of the object, so a test can
// read the exact lines; restores stderr logging afterwards.
struct LogCapture {
    std::string path;
    explicit LogCapture(const Env& env, bool auth_verbose = false) : path(env.dir.str() + "/auth.log") {
        mailstore::log::LogSettings s;
        s.set_log_path(path).set_log_timestamp("").set_auth_verbose(auth_verbose);
        REQUIRE(mailstore::log::configure(s).is_ok());
    }
    ~LogCapture() { (void)mailstore::log::configure(mailstore::log::LogSettings()); }
    std::string text() const {
        mailstore::log::flush();
        return loft_test::slurp(path);
    }
};

} // namespace fw_test
