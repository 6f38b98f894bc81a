// The APOP mechanism (libmailstore/src/auth/sasl/apop.cpp) that POP3's APOP
// command uses: RFC 1939 §7's example, and what it refuses.
#include "../auth/sasl/sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;

namespace {

constexpr std::string_view kTimestamp = "<1896.697170952@dbc.mtview.ca.us>";

Step apop(TestBackend& b, std::string_view timestamp, std::string_view user, std::string_view digest) {
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("APOP", b, s);
    REQUIRE(m != nullptr);
    std::string data(timestamp);
    data += '\0';
    data.append(user);
    data += '\0';
    data.append(digest);
    return m->step(data, true, true);
}

} // namespace

TEST_CASE("RFC 1939 §7: mrose, tanstaaf and the example timestamp") {
    TestBackend b;
    // The connection the timestamp belongs to: the part after its last '.'.
    b.info.session_id = "697170952";
    b.users["mrose"] = "{PLAIN}tanstaaf";
    auto st = apop(b, kTimestamp, "mrose", "c4c9334bac560ecc979e58001b3e22fb");
    CHECK(st.kind == Step::Kind::success);
    CHECK(b.logged_in == "mrose");
    CHECK(b.last_scheme == "PLAIN");
}

TEST_CASE("APOP refusals") {
    TestBackend b;
    b.info.session_id = "697170952";
    b.users["mrose"] = "{PLAIN}tanstaaf";
    b.users["hashed"] = "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";
    // A wrong digest, another timestamp, an unknown user.
    CHECK(apop(b, kTimestamp, "mrose", "c4c9334bac560ecc979e58001b3e22fa").verdict == Verdict::mismatch);
    CHECK(apop(b, "<1.2@x>", "mrose", "c4c9334bac560ecc979e58001b3e22fb").verdict == Verdict::mismatch);
    CHECK(apop(b, kTimestamp, "nobody", "c4c9334bac560ecc979e58001b3e22fb").verdict == Verdict::unknown_user);
    // A hashed password cannot serve APOP.
    CHECK(apop(b, kTimestamp, "hashed", "c4c9334bac560ecc979e58001b3e22fb").kind == Step::Kind::failure);
    // Malformed client data.
    CHECK(apop(b, kTimestamp, "mrose", "xyz").verdict == Verdict::malformed);
    CHECK(apop(b, kTimestamp, "", "c4c9334bac560ecc979e58001b3e22fb").verdict == Verdict::malformed);
    CHECK(apop(b, "no-brackets", "mrose", "c4c9334bac560ecc979e58001b3e22fb").verdict == Verdict::malformed);
    CHECK(apop(b, kTimestamp, "mrose", "c4c9334bac560ecc979e58001b3e22fbzz").verdict == Verdict::malformed);
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("APOP", b, s);
    CHECK(m->step(std::string("only\0one", 8), true, true).verdict == Verdict::malformed);
    CHECK(b.logged_in.empty());
}

TEST_CASE("APOP: a timestamp of another connection is refused, even with its right digest") {
    TestBackend b;
    b.users["mrose"] = "{PLAIN}tanstaaf";
    const std::string digest = crypto::hex(crypto::md5("<1896.4242.SessA@host>tanstaaf"));
    b.info.session_id = "SessB";
    CHECK(apop(b, "<1896.4242.SessA@host>", "mrose", digest).verdict == Verdict::mismatch);
    // No session to bind to: refused too.
    b.info.session_id.clear();
    CHECK(apop(b, "<1896.4242.SessA@host>", "mrose", digest).verdict == Verdict::mismatch);
    CHECK(b.logged_in.empty());
    b.info.session_id = "SessA";
    CHECK(apop(b, "<1896.4242.SessA@host>", "mrose", digest).kind == Step::Kind::success);
    CHECK(b.logged_in == "mrose");
}

TEST_CASE("APOP is private: never announced") {
    auto info = sasl::mechanism_info("apop");
    REQUIRE(info);
    CHECK(info->private_);
}
