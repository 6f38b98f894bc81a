// The storage conformance suite's fixture: a user whose mail_location is
// one of the locations every driver must pass with, in a temporary
// directory. Written only against the public headers.
#pragma once

#include "../test_support.hpp"

#include <mailstore/config.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <functional>
#include <string>
#include <vector>

namespace loft_test {

using namespace mailstore;
using namespace mailstore::storage;

// mail_location templates; "%T" is replaced with the temporary directory.
inline const std::vector<std::string>& conformance_locations() {
    static const std::vector<std::string> locations = {
        "maildir:%T/Maildir",
        "maildir:%T/Maildir:LAYOUT=fs",
        "maildir:%T/Maildir:INDEX=%T/index",
    };
    return locations;
}

struct StorageFixture {
    TempDir dir{"loft-storage"};
    std::string location;
    std::optional<config::Config> config;
    std::optional<User> user;

    explicit StorageFixture(const std::string& location_template, const std::string& extra_config = "") {
        location = location_template;
        for (auto pos = location.find("%T"); pos != std::string::npos; pos = location.find("%T"))
            location.replace(pos, 2, dir.str());
        auto loaded = config::Config::load_string("mail_location = " + location + "\n" + extra_config);
        REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
        config = std::move(loaded.value());
        UserSettings settings;
        settings.username = "alice";
        settings.home = dir.str();
        auto opened = User::open(*config, settings);
        REQUIRE_MESSAGE(opened.is_ok(), opened.status().message());
        user = std::move(opened.value());
    }

    Mailbox open(const std::string& name = "INBOX", OpenOptions options = {}) {
        auto mailbox = Mailbox::open(*user, name, options);
        REQUIRE_MESSAGE(mailbox.is_ok(), mailbox.status().message());
        return std::move(mailbox.value());
    }
};

// Runs `body` once per conformance location, each in a fresh directory.
inline void for_each_location(const std::function<void(StorageFixture&)>& body, const std::string& extra_config = "") {
    for (const auto& location : conformance_locations()) {
        CAPTURE(location);
        StorageFixture fixture(location, extra_config);
        body(fixture);
    }
}

// Saves `messages` in one transaction and returns their UIDs.
inline std::vector<Uid> save_all(Mailbox& mailbox, const std::vector<SaveRequest>& messages) {
    auto t = mailbox.begin();
    for (const auto& m : messages) {
        auto st = t.save(m);
        REQUIRE_MESSAGE(st.is_ok(), st.message());
    }
    auto done = t.commit();
    REQUIRE_MESSAGE(done.is_ok(), done.status().message());
    REQUIRE(done->saved.size() == messages.size());
    return done->saved;
}

inline SaveRequest message_request(const std::string& data, MailFlags flags = 0,
                                   std::vector<std::string> keywords = {}) {
    SaveRequest r;
    r.data = data;
    r.flags = flags;
    r.keywords = std::move(keywords);
    return r;
}

inline std::string test_message(int n, const std::string& eol = "\n") {
    return "From: a@example.org" + eol + "Subject: message " + std::to_string(n) + eol + eol + "Body " +
           std::to_string(n) + eol;
}

} // namespace loft_test
