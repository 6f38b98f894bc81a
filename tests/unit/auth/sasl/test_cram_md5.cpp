#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

#include <cctype>

using namespace sasl_test;
using namespace std::string_literals;

namespace {

sasl::MechanismSettings rfc2195_settings() {
    sasl::MechanismSettings s;
    s.hostname = "postoffice.reston.mci.net";
    s.fixed_nonce = "1896.697170952";
    return s;
}

} // namespace

// RFC 2195 §2: the challenge, the user and the digest of its example.
TEST_CASE("CRAM-MD5: RFC 2195 example against a stored plaintext and a {CRAM-MD5} context") {
    for (std::string stored : {"{PLAIN}tanstaaftanstaaf"s, "tanstaaftanstaaf"s,
                               // doveadm pw -s CRAM-MD5 -p tanstaaftanstaaf
                               "{CRAM-MD5}d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b"s}) {
        CAPTURE(stored);
        TestBackend b;
        b.users["tim"] = stored;
        auto s = rfc2195_settings();
        auto m = sasl::make_mechanism("CRAM-MD5", b, s);
        auto st = m->step("", true, false);
        REQUIRE(st.kind == Step::Kind::challenge);
        CHECK(st.data == "<1896.697170952@postoffice.reston.mci.net>");
        st = m->step("tim b913a602c7eda7a495b4e6e7334d3890", false, false);
        CHECK(st.kind == Step::Kind::success);
        CHECK(b.last_scheme == "CRAM-MD5");
        CHECK(b.logged_in == "tim");
        CHECK(m->step("tim b913a602c7eda7a495b4e6e7334d3890", false, false).kind == Step::Kind::failure);
    }
}

TEST_CASE("CRAM-MD5: a context doveadm wrote") {
    TestBackend b;
    // doveadm pw -s CRAM-MD5 -p pencil
    b.users["user"] = "{CRAM-MD5}7f47ace0e2af8f6cdeb72c03243a8c87834e19104164d6a42de72d243adb4080";
    sasl::MechanismSettings s;
    s.hostname = "mail.example.org";
    auto m = sasl::make_mechanism("CRAM-MD5", b, s);
    auto st = m->step("", true, false);
    REQUIRE(st.kind == Step::Kind::challenge);
    std::string ch = st.data;
    std::string digest = crypto::hex(crypto::hmac(crypto::Digest::md5, "pencil", ch));
    // Upper-case hex is accepted too.
    for (auto& c : digest)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(m->step("user " + digest, false, false).kind == Step::Kind::success);
}

TEST_CASE("CRAM-MD5: fresh challenges of the form <random.timestamp@hostname>") {
    TestBackend b;
    sasl::MechanismSettings s;
    s.hostname = "mail.example.org";
    auto a = sasl::make_mechanism("CRAM-MD5", b, s)->step("", true, false).data;
    auto c = sasl::make_mechanism("CRAM-MD5", b, s)->step("", true, false).data;
    CHECK(a != c);
    for (const auto& ch : {a, c}) {
        CAPTURE(ch);
        REQUIRE(ch.size() > 20);
        CHECK(ch.front() == '<');
        CHECK(ch.substr(ch.size() - 18) == "@mail.example.org>");
        auto dot = ch.find('.');
        REQUIRE(dot != std::string::npos);
        CHECK(ch.find_first_not_of("0123456789", 1) == dot);
        CHECK(ch.find_first_not_of("0123456789", dot + 1) == ch.size() - 18);
    }
}

TEST_CASE("CRAM-MD5: wrong digest, unknown user, hashed storage") {
    TestBackend b;
    b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
    b.users["hashed"] = "{SHA512-CRYPT}$6$F.MdVe2K508lEbne$QlisKgy8vaZf06p/l.JAjOtM/n5VBfbCEhUGaA6XPrBGla8aCOn/wnys5TZgL.a/5w2DlyUUU9J0WtlL5IIk3/";
    auto s = rfc2195_settings();
    auto run = [&](std::string_view answer) {
        auto m = sasl::make_mechanism("CRAM-MD5", b, s);
        m->step("", true, false);
        return m->step(answer, false, false);
    };
    auto st = run("tim b913a602c7eda7a495b4e6e7334d3891");
    CHECK(st.verdict == Verdict::mismatch);
    st = run("nobody b913a602c7eda7a495b4e6e7334d3890");
    CHECK(st.verdict == Verdict::unknown_user);
    st = run("hashed b913a602c7eda7a495b4e6e7334d3890");
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::unusable);
}

TEST_CASE("CRAM-MD5: malformed answers") {
    struct Case {
        std::string answer, error;
    };
    std::vector<Case> cases = {
        {"", "CRAM-MD5 response without a space"},
        {"timb913a602c7eda7a495b4e6e7334d3890", "CRAM-MD5 response without a space"},
        {" b913a602c7eda7a495b4e6e7334d3890", "CRAM-MD5 response with an empty user name"},
        {"t\0m b913a602c7eda7a495b4e6e7334d3890"s, "CRAM-MD5 user name with a NUL"},
        {"tim b913a602c7eda7a495b4e6e7334d389", "CRAM-MD5 digest is not 32 hex digits"},
        {"tim b913a602c7eda7a495b4e6e7334d38900", "CRAM-MD5 digest is not 32 hex digits"},
        {"tim b913a602c7eda7a495b4e6e7334d389g", "CRAM-MD5 digest is not 32 hex digits"},
        {"tim ", "CRAM-MD5 digest is not 32 hex digits"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.answer);
        TestBackend b;
        b.users["tim"] = "{PLAIN}tanstaaftanstaaf";
        auto s = rfc2195_settings();
        auto m = sasl::make_mechanism("CRAM-MD5", b, s);
        m->step("", true, false);
        auto st = m->step(c.answer, false, false);
        CHECK(st.kind == Step::Kind::failure);
        CHECK(st.verdict == Verdict::malformed);
        CHECK(st.error == c.error);
        CHECK(b.calls == 0);
    }
    // The server goes first: data before the challenge is refused.
    TestBackend b;
    auto s = rfc2195_settings();
    auto st = sasl::make_mechanism("CRAM-MD5", b, s)->step("tim b913a602c7eda7a495b4e6e7334d3890", true, true);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "CRAM-MD5 does not take an initial response");
    // An empty initial response is the same as none.
    st = sasl::make_mechanism("CRAM-MD5", b, s)->step("", true, true);
    CHECK(st.kind == Step::Kind::challenge);
}
