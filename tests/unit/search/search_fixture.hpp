// A user with one Maildir in a temporary directory, for the search tests:
// messages are saved through the storage API and read back through a real
// View, so UIDs, flags and dates are what the index really holds.
#pragma once

#include "../test_support.hpp"

#include <mailstore/config.hpp>
#include <mailstore/search.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <optional>
#include <string>
#include <vector>

namespace search_test {

using namespace mailstore;
using namespace mailstore::storage;

struct SearchFixture {
    loft_test::TempDir dir{"loft-search"};
    std::optional<config::Config> config;
    std::optional<User> user;
    std::optional<Mailbox> box;

    SearchFixture() {
        auto loaded = config::Config::load_string("mail_location = maildir:" + dir.str() + "/Maildir\nmail_fsync = never\n");
        REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
        config = std::move(loaded.value());
        UserSettings settings;
        settings.username = "alice";
        settings.home = dir.str();
        auto opened = User::open(*config, settings);
        REQUIRE_MESSAGE(opened.is_ok(), opened.status().message());
        user = std::move(opened.value());
        reopen();
    }

    void reopen(OpenOptions options = {}) {
        box.reset();
        auto mailbox = Mailbox::open(*user, "INBOX", options);
        REQUIRE_MESSAGE(mailbox.is_ok(), mailbox.status().message());
        box = std::move(mailbox.value());
    }

    // Saves one message and syncs the view; returns its UID.
    Uid add(std::string_view data, MailFlags flags = 0, std::vector<std::string> keywords = {},
            std::optional<std::int64_t> internal_date = std::nullopt) {
        auto t = box->begin();
        SaveRequest req;
        req.data = data;
        req.flags = flags;
        req.keywords = std::move(keywords);
        req.internal_date = internal_date;
        auto st = t.save(req);
        REQUIRE_MESSAGE(st.is_ok(), st.message());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        REQUIRE(done->saved.size() == 1);
        sync();
        return done->saved[0];
    }

    // `n` small messages; returns their UIDs.
    std::vector<Uid> add_many(int n) {
        std::vector<Uid> uids;
        for (int i = 0; i < n; ++i)
            uids.push_back(add("Subject: m" + std::to_string(i + 1) + "\r\n\r\nbody\r\n"));
        return uids;
    }

    void expunge(const UidSet& uids) {
        auto t = box->begin();
        REQUIRE(t.expunge(uids).is_ok());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        sync();
    }

    void sync() {
        auto r = box->sync();
        REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    }

    const View& view() const { return box->view(); }
};

inline UidSet uids_of(std::initializer_list<std::pair<Uid, Uid>> ranges) {
    UidSet s;
    for (auto [a, b] : ranges)
        s.add(a, b);
    return s;
}

} // namespace search_test
