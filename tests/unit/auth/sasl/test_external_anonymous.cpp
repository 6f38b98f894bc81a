#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;
using namespace std::string_literals;

TEST_CASE("EXTERNAL: the certificate's user, empty or equal authzid") {
    TestBackend b;
    b.info.cert_username = "alice@example.org";
    sasl::MechanismSettings s;
    auto st = sasl::make_mechanism("EXTERNAL", b, s)->step("", true, true);
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.logged_in == "alice@example.org");
    CHECK(b.last_authzid.empty());

    b.logged_in.clear();
    st = sasl::make_mechanism("EXTERNAL", b, s)->step("alice@example.org", true, true);
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.logged_in == "alice@example.org");

    // Without an initial response: an empty challenge, then the authzid.
    auto m = sasl::make_mechanism("EXTERNAL", b, s);
    st = m->step("", true, false);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data.empty());
    CHECK(m->step("", false, false).kind == Step::Kind::success);
    CHECK(m->step("", false, false).kind == Step::Kind::failure);
}

TEST_CASE("EXTERNAL: refused without a certificate or for another authzid") {
    TestBackend b;
    sasl::MechanismSettings s;
    auto st = sasl::make_mechanism("EXTERNAL", b, s)->step("", true, true);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::refused);
    CHECK(st.error == "EXTERNAL without a client certificate user");

    b.info.cert_username = "alice@example.org";
    st = sasl::make_mechanism("EXTERNAL", b, s)->step("bob@example.org", true, true);
    CHECK(st.verdict == Verdict::refused);
    CHECK(st.error == "EXTERNAL authzid differs from the certificate user");
    st = sasl::make_mechanism("EXTERNAL", b, s)->step("alice@example.org\0"s, true, true);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "EXTERNAL authzid with a NUL");
    CHECK(b.calls == 0);

    b.finish = Verdict::refused; // e.g. nologin for the user
    st = sasl::make_mechanism("EXTERNAL", b, s)->step("", true, true);
    CHECK(st.verdict == Verdict::refused);
    CHECK(b.last_authcid == "alice@example.org");
}

TEST_CASE("ANONYMOUS: logs in as auth_anonymous_username, trace ignored") {
    TestBackend b;
    sasl::MechanismSettings s;
    s.anonymous_username = "guest";
    for (std::string trace : {""s, "sirhc"s, "user@example.org"s, std::string(255, 'x'),
                              // 255 characters of two bytes each
                              [] {
                                  std::string t;
                                  for (int i = 0; i < 255; ++i)
                                      t += "\xc3\xa9";
                                  return t;
                              }()}) {
        CAPTURE(trace);
        b.logged_in.clear();
        auto st = sasl::make_mechanism("ANONYMOUS", b, s)->step(trace, true, true);
        CHECK(st.kind == Step::Kind::success);
        CHECK(b.logged_in == "guest");
    }
    s.anonymous_username.clear();
    CHECK(sasl::make_mechanism("ANONYMOUS", b, s)->step("x", true, true).kind == Step::Kind::success);
    CHECK(b.logged_in == "anonymous");

    auto m = sasl::make_mechanism("ANONYMOUS", b, s);
    CHECK(m->step("", true, false).kind == Step::Kind::challenge);
    CHECK(m->step("trace", false, false).kind == Step::Kind::success);
}

TEST_CASE("ANONYMOUS: over-long or invalid traces") {
    std::vector<std::string> bad = {
        std::string(256, 'x'),
        "a\0b"s,
        "line\nbreak",
        "\x7f",
        "\xc3",         // truncated sequence
        "\xc0\xaf",     // overlong '/'
        "\xed\xa0\x80", // surrogate
        "\xf4\x90\x80\x80",
        "\xff",
        "\x80",
    };
    for (const auto& t : bad) {
        CAPTURE(t);
        TestBackend b;
        sasl::MechanismSettings s;
        auto st = sasl::make_mechanism("ANONYMOUS", b, s)->step(t, true, true);
        CHECK(st.kind == Step::Kind::failure);
        CHECK(st.verdict == Verdict::malformed);
        CHECK(st.error == "ANONYMOUS trace is not 0..255 characters of UTF-8 text");
        CHECK(b.calls == 0);
    }
    TestBackend b;
    b.finish = Verdict::refused;
    sasl::MechanismSettings s;
    CHECK(sasl::make_mechanism("ANONYMOUS", b, s)->step("", true, true).verdict == Verdict::refused);
}
