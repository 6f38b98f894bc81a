// Sessions of one process at the same index position share one IndexState
// (DESIGN.md: a 100k-message mailbox open in 100 idle sessions must not cost
// 100 copies).
#include "conformance.hpp"

#include "storage/mailbox_impl.hpp"

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
