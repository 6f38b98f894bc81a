// SASL mechanism x stored password scheme: which combinations log in and
// which cannot work (Verdict::unusable), with every stored value a real hash
// from hash_password() in that scheme.
#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace sasl_test;

namespace {

const std::string password = "pencil";
const std::string user = "user@example.org";

// Runs `mech` for `user` with the right password; the step's final kind
// and verdict.
Step login(const std::string& mech, TestBackend& b) {
    sasl::MechanismSettings s;
    s.realms = {"example.org"};
    b.info.service = "imap";
    auto m = sasl::make_mechanism(mech, b, s);
    if (mech == "PLAIN")
        return m->step(std::string(1, '\0') + user + std::string(1, '\0') + password, true, true);
    if (mech == "LOGIN") {
        m->step(user, true, true);
        return m->step(password, false, false);
    }
    auto st = m->step("", true, false);
    if (mech == "CRAM-MD5")
        return m->step(user + " " + crypto::hex(crypto::hmac(crypto::Digest::md5, password, st.data)), false, false);
    if (mech == "DIGEST-MD5") {
        std::string nonce = digest_directive(st.data, "nonce");
        std::string uri = "imap/mail.example.org";
        st = m->step("username=\"user\",realm=\"example.org\",nonce=\"" + nonce +
                         "\",cnonce=\"c\",nc=00000001,qop=auth,digest-uri=\"" + uri + "\",response=" +
                         digest_md5_kd("user", "example.org", password, nonce, "c", "", uri, "AUTHENTICATE"),
                     false, false);
        if (st.kind != Step::Kind::challenge)
            return st;
        return m->step("", false, false);
    }
    // SCRAM-SHA-1, SCRAM-SHA-256
    auto d = mech == "SCRAM-SHA-1" ? crypto::Digest::sha1 : crypto::Digest::sha256;
    std::string bare = "n=" + user + ",r=matrixnonce";
    st = m->step("n,," + bare, false, false);
    if (st.kind != Step::Kind::challenge)
        return st;
    return m->step(scram_client_final(d, password, bare, st.data, "n,,").message, false, false);
}

} // namespace

TEST_CASE("matrix: mechanism x stored scheme") {
    const std::vector<std::string> schemes = {
        "PLAIN",       "CLEARTEXT",  "PLAIN.B64",    "CRAM-MD5",     "DIGEST-MD5",     "SCRAM-SHA-1",
        "SCRAM-SHA-256", "CRYPT",    "MD5-CRYPT",    "SHA256-CRYPT", "SHA512-CRYPT",   "BLF-CRYPT",
        "PLAIN-MD5",   "LDAP-MD5",   "SMD5",         "SHA",          "SSHA",           "SHA256",
        "SSHA256",     "SHA512",     "SSHA512",      "SHA256.HEX",   "PBKDF2",         "ARGON2I",
        "ARGON2ID",
    };
    const std::set<std::string> plaintext = {"PLAIN", "CLEARTEXT", "PLAIN.B64"};
    // The schemes that can serve each challenge-response mechanism besides
    // a stored plaintext.
    const std::vector<std::pair<std::string, std::string>> own = {
        {"CRAM-MD5", "CRAM-MD5"},
        {"DIGEST-MD5", "DIGEST-MD5"},
        {"SCRAM-SHA-1", "SCRAM-SHA-1"},
        {"SCRAM-SHA-256", "SCRAM-SHA-256"},
    };
    for (const auto& scheme : schemes) {
        auto stored = hash_password(scheme, password, user);
        REQUIRE_MESSAGE(stored, scheme << ": " << stored.status().message());
        for (std::string mech : {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}) {
            CAPTURE(scheme);
            CAPTURE(mech);
            bool works = mech == "PLAIN" || mech == "LOGIN" || plaintext.count(scheme) > 0;
            for (const auto& [m, s] : own)
                works = works || (m == mech && s == scheme);
            TestBackend b;
            b.users[user] = *stored;
            auto st = login(mech, b);
            if (works) {
                CHECK(st.kind == Step::Kind::success);
                CHECK(b.logged_in == user);
            } else {
                CHECK(st.kind == Step::Kind::failure);
                CHECK(st.verdict == Verdict::unusable);
                CHECK(b.logged_in.empty());
            }
            // The wrong password never works.
            if (works && (mech == "PLAIN" || mech == "LOGIN")) {
                TestBackend w;
                w.users[user] = *stored;
                sasl::MechanismSettings s;
                auto m = sasl::make_mechanism("PLAIN", w, s);
                CHECK(m->step(std::string(1, '\0') + user + std::string(1, '\0') + "pencil2", true, true).verdict == Verdict::mismatch);
            }
        }
    }
}
