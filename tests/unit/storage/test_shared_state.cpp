// Sessions of one process at the same index position share one IndexState
// (DESIGN.md: a 100k-message mailbox open in 100 idle sessions must not cost
// 100 copies).
#include "conformance.hpp"

#include "storage/mailbox_impl.hpp"

#include <algorithm>
#include <thread>

using namespace loft_test;

TEST_CASE("sessions at the same position share the IndexState object") {
    StorageFixture f(conformance_locations()[0]);
    std::vector<Mailbox> sessions;
    {
        auto writer = f.open();
        save_all(writer, {message_request(test_message(1)), message_request(test_message(2))});
    }
    for (int i = 0; i < 5; ++i)
        sessions.push_back(f.open("INBOX", OpenOptions{true, true}));
    for (auto& s : sessions)
        REQUIRE(s.sync().is_ok());
    const void* state = view_state_identity(sessions[0]);
    REQUIRE(state != nullptr);
    for (auto& s : sessions)
        CHECK(view_state_identity(s) == state);

    // A change moves a session that syncs to a new state; the others keep the
    // old one until they sync, then share again.
    auto writer = f.open("INBOX", OpenOptions{false, false});
    save_all(writer, {message_request(test_message(3))});
    REQUIRE(sessions[0].sync().is_ok());
    CHECK(view_state_identity(sessions[0]) != state);
    CHECK(view_state_identity(sessions[1]) == state);
    for (auto& s : sessions)
        REQUIRE(s.sync().is_ok());
    for (auto& s : sessions)
        CHECK(view_state_identity(s) == view_state_identity(sessions[0]));
    CHECK(sessions[4].view().count() == 3);
}

TEST_CASE("threads with their own sessions save, flag and sync one mailbox at once") {
    StorageFixture f(conformance_locations()[0], "mail_fsync = never\n");
    constexpr int threads = 4;
    constexpr int per_thread = 25;
    std::vector<std::vector<Uid>> saved(threads);
    std::vector<std::string> errors(threads);
    {
        std::vector<Mailbox> sessions;
        for (int i = 0; i < threads; ++i)
            sessions.push_back(f.open());
        std::vector<std::thread> workers;
        for (int i = 0; i < threads; ++i) {
            workers.emplace_back([&, i] {
                auto& mailbox = sessions[std::size_t(i)];
                std::string body = test_message(i);
                for (int n = 0; n < per_thread && errors[std::size_t(i)].empty(); ++n) {
                    auto t = mailbox.begin();
                    SaveRequest r;
                    r.data = body;
                    if (auto st = t.save(r); !st) {
                        errors[std::size_t(i)] = st.message();
                        break;
                    }
                    auto done = t.commit();
                    if (!done) {
                        errors[std::size_t(i)] = done.status().message();
                        break;
                    }
                    saved[std::size_t(i)].push_back(done->saved.at(0));
                    auto synced = mailbox.sync();
                    if (!synced) {
                        errors[std::size_t(i)] = synced.status().message();
                        break;
                    }
                    auto flag = mailbox.begin();
                    (void)flag.update_flags(UidSet::parse(std::to_string(done->saved.at(0))).value(),
                                            {FlagUpdate::Mode::add, flag_seen, {"t" + std::to_string(i)}, {}});
                    if (auto fl = flag.commit(); !fl)
                        errors[std::size_t(i)] = fl.status().message();
                }
            });
        }
        for (auto& w : workers)
            w.join();
    }
    for (const auto& e : errors)
        CHECK_MESSAGE(e.empty(), e);
    std::vector<Uid> all;
    for (const auto& s : saved)
        all.insert(all.end(), s.begin(), s.end());
    std::sort(all.begin(), all.end());
    REQUIRE(all.size() == std::size_t(threads * per_thread));
    for (std::size_t i = 0; i < all.size(); ++i)
        CHECK(all[i] == Uid(i + 1)); // unique, no gaps
    auto inbox = f.open();
    REQUIRE(inbox.view().count() == Seq(threads * per_thread));
    CHECK(inbox.view().unseen_count() == 0);
    for (int i = 0; i < threads; ++i) {
        Uid uid = saved[std::size_t(i)].front();
        CHECK(inbox.view().keywords(inbox.view().seq(uid)) == std::vector<std::string>{"t" + std::to_string(i)});
    }
}
