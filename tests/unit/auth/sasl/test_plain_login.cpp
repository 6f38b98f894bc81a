#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;
using namespace std::string_literals;

namespace {

Step plain(TestBackend& b, std::string_view msg) {
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("PLAIN", b, s);
    return m->step(msg, true, true);
}

} // namespace

TEST_CASE("PLAIN: RFC 4616 message, with and without authzid") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    auto st = plain(b, "\0tim\0tanstaaftanstaaf"s);
    CHECK(st.kind == Step::Kind::success);
    CHECK(st.data.empty());
    CHECK(b.logged_in == "tim");
    CHECK(b.last_authzid.empty());

    // RFC 4616 §4: authzid "Ursel", authcid "Kurt" (Kurt a master user).
    b.users["Kurt"] = "{PLAIN}xipj3plmq";
    st = plain(b, "Ursel\0Kurt\0xipj3plmq"s);
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.last_authzid == "Ursel");
    CHECK(b.last_authcid == "Kurt");
    CHECK(b.logged_in == "Ursel");
}

TEST_CASE("PLAIN: wrong password, unknown user, backend down, refused") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    auto st = plain(b, "\0tim\0wrong"s);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::mismatch);
    st = plain(b, "\0nobody\0x"s);
    CHECK(st.verdict == Verdict::unknown_user);
    b.backend_down = true;
    st = plain(b, "\0tim\0tanstaaftanstaaf"s);
    CHECK(st.verdict == Verdict::temp_fail);
    b.backend_down = false;
    b.finish = Verdict::refused;
    st = plain(b, "\0tim\0tanstaaftanstaaf"s);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::refused);
}

TEST_CASE("PLAIN: no initial response gets an empty challenge") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("PLAIN", b, s);
    auto st = m->step("", true, false);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data.empty());
    st = m->step("\0tim\0tanstaaftanstaaf"s, false, false);
    CHECK(st.kind == Step::Kind::success);
    st = m->step("\0tim\0tanstaaftanstaaf"s, false, false);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.error == "exchange already finished");
}

TEST_CASE("PLAIN: malformed messages never reach the backend") {
    struct Case {
        std::string msg, error;
    };
    std::vector<Case> cases = {
        {"", "PLAIN message without NUL separators"},
        {"timtanstaaftanstaaf", "PLAIN message without NUL separators"},
        {"tim\0tanstaaf"s, "PLAIN message with one NUL separator"},
        {"\0tim\0pass\0"s, "PLAIN message with more than two NULs"},
        {"a\0b\0c\0d"s, "PLAIN message with more than two NULs"},
        {"\0\0pass"s, "PLAIN message with an empty authcid"},
        {"\0tim\0"s, "PLAIN message with an empty password"},
        {std::string(sasl::max_client_input + 1, '\0'), "client message too long"},
    };
    for (const auto& c : cases) {
        TestBackend b;
        b.users["tim"] = "{PLAIN}pass";
        auto st = plain(b, c.msg);
        CHECK(st.kind == Step::Kind::failure);
        CHECK(st.verdict == Verdict::malformed);
        CHECK(st.error == c.error);
        CHECK(b.calls == 0);
    }
    // The longest accepted message (a long authzid: the password schemes
    // bound passwords on their own).
    TestBackend b;
    b.users["tim"] = "{PLAIN}pass";
    std::string authzid(sasl::max_client_input - 9, 'z');
    auto st = plain(b, authzid + "\0tim\0pass"s);
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.logged_in == authzid);
}

TEST_CASE("LOGIN: Username: and Password: challenges") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("LOGIN", b, s);
    auto st = m->step("", true, false);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data == "Username:");
    st = m->step("tim", false, false);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data == "Password:");
    st = m->step("tanstaaftanstaaf", false, false);
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.logged_in == "tim");
    CHECK(m->step("x", false, false).kind == Step::Kind::failure);
}

TEST_CASE("LOGIN: initial response is the user name") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("LOGIN", b, s);
    auto st = m->step("tim", true, true);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data == "Password:");
    st = m->step("wrong", false, false);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::mismatch);

    // An empty initial response ("=" in IMAP) is no user name: ask for it.
    m = sasl::make_mechanism("LOGIN", b, s);
    st = m->step("", true, true);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data == "Username:");
    st = m->step("tim", false, false);
    CHECK(st.data == "Password:");
    CHECK(m->step("tanstaaftanstaaf", false, false).kind == Step::Kind::success);
}

TEST_CASE("LOGIN: malformed answers") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}x";
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("LOGIN", b, s);
    m->step("", true, false);
    auto st = m->step("", false, false);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "LOGIN with an empty user name");

    m = sasl::make_mechanism("LOGIN", b, s);
    st = m->step("t\0m"s, true, true);
    CHECK(st.error == "LOGIN user name with a NUL");

    m = sasl::make_mechanism("LOGIN", b, s);
    m->step("tim", true, true);
    st = m->step("x\0y"s, false, false);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "LOGIN password with a NUL");
    CHECK(b.calls == 0);
}
