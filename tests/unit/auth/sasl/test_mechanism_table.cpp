#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;

TEST_CASE("table: every mechanism in order") {
    std::vector<std::string> expected = {"PLAIN",         "LOGIN",           "CRAM-MD5",           "DIGEST-MD5",
                                         "SCRAM-SHA-1",   "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
                                         "EXTERNAL",      "ANONYMOUS",       "APOP"};
    CHECK(sasl::known_mechanisms() == expected);
    TestBackend b;
    sasl::MechanismSettings s;
    for (const auto& name : expected) {
        CHECK(sasl::make_mechanism(name, b, s) != nullptr);
        auto info = sasl::mechanism_info(name);
        REQUIRE(info);
        CHECK(info->name == name);
    }
}

TEST_CASE("table: names are case-insensitive, unknown names give nothing") {
    TestBackend b;
    sasl::MechanismSettings s;
    CHECK(sasl::make_mechanism("scram-sha-256", b, s) != nullptr);
    CHECK(sasl::mechanism_info("cram-md5")->name == "CRAM-MD5");
    CHECK(sasl::make_mechanism("NTLM", b, s) == nullptr);
    CHECK(sasl::make_mechanism("", b, s) == nullptr);
    CHECK(sasl::make_mechanism("PLAIN ", b, s) == nullptr);
    CHECK_FALSE(sasl::mechanism_info("GSSAPI"));
    CHECK_FALSE(sasl::mechanism_info(""));
}

// The flags Dovecot 2.3.19 announces in its MECH lines:
//   MECH PLAIN plaintext / MECH LOGIN plaintext / MECH CRAM-MD5 dictionary active
//   MECH DIGEST-MD5 dictionary active mutual-auth / MECH SCRAM-SHA-1 mutual-auth
//   MECH ANONYMOUS anonymous / MECH EXTERNAL
TEST_CASE("table: security flags as Dovecot announces them") {
    auto flags = [](std::string_view name) {
        auto i = sasl::mechanism_info(name).value();
        std::string f;
        if (i.plaintext) f += "plaintext ";
        if (i.dictionary) f += "dictionary ";
        if (i.active) f += "active ";
        if (i.anonymous) f += "anonymous ";
        if (i.forward_secrecy) f += "forward-secrecy ";
        if (i.mutual_auth) f += "mutual-auth ";
        if (i.private_) f += "private ";
        return f;
    };
    CHECK(flags("PLAIN") == "plaintext ");
    CHECK(flags("LOGIN") == "plaintext ");
    CHECK(flags("CRAM-MD5") == "dictionary active ");
    CHECK(flags("DIGEST-MD5") == "dictionary active mutual-auth ");
    CHECK(flags("SCRAM-SHA-1") == "mutual-auth ");
    CHECK(flags("SCRAM-SHA-1-PLUS") == "mutual-auth ");
    CHECK(flags("SCRAM-SHA-256") == "mutual-auth ");
    CHECK(flags("SCRAM-SHA-256-PLUS") == "mutual-auth ");
    CHECK(flags("ANONYMOUS") == "anonymous ");
    CHECK(flags("EXTERNAL") == "");
    // MECH APOP private dictionary active (Dovecot 2.3.19 with apop in
    // auth_mechanisms).
    CHECK(flags("APOP") == "dictionary active private ");
}

TEST_CASE("every mechanism: out-of-order calls, oversized input, nothing after the end") {
    sasl::MechanismSettings s;
    for (const auto& name : sasl::known_mechanisms()) {
        CAPTURE(name);
        TestBackend b;
        b.users["user"] = "{PLAIN}pencil";
        {
            auto m = sasl::make_mechanism(name, b, s);
            auto st = m->step("", false, false);
            CHECK(st.kind == Step::Kind::failure);
            CHECK(st.verdict == Verdict::malformed);
            CHECK(st.error == "exchange not started");
            // The failed exchange stays failed.
            st = m->step("", true, false);
            CHECK(st.kind == Step::Kind::failure);
            CHECK(st.error == "exchange already finished");
        }
        {
            auto m = sasl::make_mechanism(name, b, s);
            auto st = m->step(std::string(sasl::max_client_input + 1, 'a'), true, true);
            CHECK(st.kind == Step::Kind::failure);
            CHECK(st.verdict == Verdict::malformed);
            CHECK(st.error == "client message too long");
            CHECK(b.calls == 0);
        }
        {
            auto m = sasl::make_mechanism(name, b, s);
            auto st = m->step("", true, false);
            REQUIRE(st.kind == Step::Kind::challenge);
            st = m->step("", true, false);
            CHECK(st.kind == Step::Kind::failure);
            CHECK(st.error == "exchange already started");
        }
    }
}
