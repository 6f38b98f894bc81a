#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;
using namespace std::string_literals;

namespace {

// RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256): user "user",
// password "pencil", fixed nonces and salts.
struct Vector {
    const char* mech;
    const char* scheme;
    crypto::Digest digest;
    const char* client_first;
    const char* server_nonce;
    const char* salt_b64;
    const char* server_first;
    const char* client_final;
    const char* server_final;
};
const Vector rfc5802 = {"SCRAM-SHA-1", "SCRAM-SHA-1", crypto::Digest::sha1,
                        "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
                        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="};
const Vector rfc7677 = {
    "SCRAM-SHA-256", "SCRAM-SHA-256", crypto::Digest::sha256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="};

struct Scram {
    TestBackend b;
    sasl::MechanismSettings s;
    const Vector& v;
    std::unique_ptr<sasl::Mechanism> m;
    explicit Scram(const Vector& vec) : v(vec) {
        s.fixed_nonce = v.server_nonce;
        b.users["user"] = scram_stored(v.scheme, v.digest, "pencil", crypto::unbase64(v.salt_b64).value(), 4096);
        m = sasl::make_mechanism(v.mech, b, s);
    }
    // Through the server-first-message of the vector.
    void start() {
        auto st = m->step(v.client_first, true, true);
        REQUIRE(st.kind == Step::Kind::challenge);
        REQUIRE(st.data == v.server_first);
    }
    Step final_step(std::string_view msg) { return m->step(msg, false, false); }
};

void check_fails(const Step& st, Verdict verdict, std::string_view error, std::string_view server_error) {
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == verdict);
    CHECK(st.error == error);
    CHECK(st.data == server_error);
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
}

} // namespace

TEST_CASE("SCRAM: the RFC 5802 and RFC 7677 examples") {
    for (const Vector* v : {&rfc5802, &rfc7677}) {
        CAPTURE(v->mech);
        Scram t(*v);
        t.start();
        CHECK(t.b.last_scheme == v->scheme);
        CHECK(t.b.last_authcid == "user");
        auto st = t.final_step(v->client_final);
        CHECK(st.kind == Step::Kind::success);
        CHECK(st.data == v->server_final);
        CHECK(t.b.logged_in == "user");
        // The final message again: replay after success.
        st = t.final_step(v->client_final);
        CHECK(st.kind == Step::Kind::failure);
        CHECK(st.error == "exchange already finished");
    }
}

TEST_CASE("SCRAM: no initial response gets an empty challenge first") {
    Scram t(rfc7677);
    auto st = t.m->step("", true, false);
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(st.data.empty());
    st = t.m->step(rfc7677.client_first, false, false);
    CHECK(st.data == rfc7677.server_first);
    CHECK(t.final_step(rfc7677.client_final).kind == Step::Kind::success);
}

TEST_CASE("SCRAM: credentials doveadm wrote, and made from a plaintext") {
    for (std::string mech : {"SCRAM-SHA-1"s, "SCRAM-SHA-256"s}) {
        for (std::string stored :
             {"{PLAIN}pencil"s,
              mech == "SCRAM-SHA-1"
                  ? "{SCRAM-SHA-1}4096,S2cAL9Lqe+Xb5ETsfSWlfw==,D1dSjP4O5pHjsIxT+5j4iz1Ez1o=,NcMGbeunyJK+X0V7f63oOkvvBJk="s
                  : "{SCRAM-SHA-256}4096,3AUGCr+ZPXi9/hucWWT3kQ==,xQqissq59wPNJcp6ppkaW6/rhWI/f8OSqIoAT3wI4vQ=,"
                    "y2VUIyMCcCTncYlwpvmc1PF/7EsI0ZaUKm8+Hp3LvGM="s}) {
            CAPTURE(mech);
            CAPTURE(stored);
            auto d = mech == "SCRAM-SHA-1" ? crypto::Digest::sha1 : crypto::Digest::sha256;
            TestBackend b;
            b.users["user"] = stored;
            sasl::MechanismSettings s;
            auto m = sasl::make_mechanism(mech, b, s);
            std::string bare = "n=user,r=clientnonce123";
            auto st = m->step("n,," + bare, true, true);
            REQUIRE(st.kind == Step::Kind::challenge);
            std::string server_first = st.data;
            CHECK(scram_attr(server_first, 'r').substr(0, 14) == "clientnonce123");
            CHECK(scram_attr(server_first, 'r').size() == 14 + 24); // 18 random bytes in base64
            CHECK(scram_attr(server_first, 'i') == "4096");
            auto fin = scram_client_final(d, "pencil", bare, server_first, "n,,");
            st = m->step(fin.message, false, false);
            CHECK(st.kind == Step::Kind::success);
            CHECK(st.data == "v=" + fin.server_signature_b64);
        }
    }
}

TEST_CASE("SCRAM: wrong password, unknown user, hashed storage, refused after the proof") {
    Scram t(rfc5802);
    t.start();
    auto st = t.final_step(replace(rfc5802.client_final, "p=v0X8", "p=v1X8"));
    check_fails(st, Verdict::mismatch, "password mismatch", "e=invalid-proof");

    // An unknown user gets a server-first-message like anyone else and
    // fails at the proof; its salt stays the same between attempts.
    TestBackend b;
    sasl::MechanismSettings s;
    auto m1 = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    auto m2 = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    auto a = m1->step("n,,n=ghost,r=abc", true, true);
    auto c = m2->step("n,,n=ghost,r=abc", true, true);
    REQUIRE(a.kind == Step::Kind::challenge);
    CHECK(scram_attr(a.data, 's') == scram_attr(c.data, 's'));
    CHECK(scram_attr(a.data, 'i') == "4096");
    auto fin = scram_client_final(crypto::Digest::sha256, "pencil", "n=ghost,r=abc", a.data, "n,,");
    check_fails(m1->step(fin.message, false, false), Verdict::unknown_user, "unknown user", "e=invalid-proof");

    // A stored hash SCRAM cannot use: a challenge too, and the failure
    // only at the proof, with the wrong password's error.
    b.users["hashed"] = "{BLF-CRYPT}$2y$05$BLKYtl9xtaPztSugxGBKXOBTbrqmJy19Z8tbiWS4cky89OxNucZ5u";
    auto m = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    st = m->step("n,,n=hashed,r=abc", true, true);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(scram_attr(st.data, 'i') == "4096");
    fin = scram_client_final(crypto::Digest::sha256, "pencil", "n=hashed,r=abc", st.data, "n,,");
    check_fails(m->step(fin.message, false, false), Verdict::unusable,
                "the stored password scheme cannot be used with this mechanism", "e=invalid-proof");
    CHECK(b.logged_in.empty());

    b.backend_down = true;
    st = sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=abc", true, true);
    CHECK(st.verdict == Verdict::temp_fail);

    Scram r(rfc5802);
    r.b.finish = Verdict::refused;
    r.start();
    st = r.final_step(rfc5802.client_final);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::refused);
}

TEST_CASE("SCRAM: authzid in the GS2 header, escaped names") {
    TestBackend b;
    b.users["us,er=1"] = "{PLAIN}pencil";
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    std::string bare = "n=us=2Cer=3D1,r=nonce";
    auto st = m->step("n,a=ta=2Crget," + bare, true, true);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(b.last_authcid == "us,er=1");
    CHECK(b.last_authzid == "ta,rget");
    auto fin = scram_client_final(crypto::Digest::sha256, "pencil", bare, st.data, "n,a=ta=2Crget,");
    CHECK(m->step(fin.message, false, false).kind == Step::Kind::success);
    CHECK(b.logged_in == "ta,rget");
}

TEST_CASE("SCRAM: malformed client-first-messages") {
    struct Case {
        std::string msg, error, server_error;
    };
    std::vector<Case> cases = {
        {"", "SCRAM bad GS2 header", "e=other-error"},
        {"x,,n=user,r=abc", "SCRAM bad GS2 header", "e=other-error"},
        {"n", "SCRAM bad GS2 header", "e=other-error"},
        {"nn,n=user,r=abc", "SCRAM bad GS2 header", "e=other-error"},
        {"p,,n=user,r=abc", "SCRAM bad GS2 header", "e=other-error"},
        {"p=,,n=user,r=abc", "SCRAM bad GS2 header", "e=other-error"},
        {"n,", "SCRAM truncated GS2 header", "e=other-error"},
        {"n,a=user", "SCRAM truncated GS2 header", "e=other-error"},
        {"n,b=x,n=user,r=abc", "SCRAM bad GS2 authzid", "e=other-error"},
        {"n,a=,n=user,r=abc", "SCRAM bad authzid encoding", "e=invalid-username-encoding"},
        {"n,a=x=2D,n=user,r=abc", "SCRAM bad authzid encoding", "e=invalid-username-encoding"},
        {"n,,", "SCRAM username missing", "e=other-error"},
        {"n,,m=ext,n=user,r=abc", "SCRAM mandatory extension", "e=extensions-not-supported"},
        {"n,,r=abc,n=user", "SCRAM username missing", "e=other-error"},
        {"n,,n=us=er,r=abc", "SCRAM bad username encoding", "e=invalid-username-encoding"},
        {"n,,n=user=2", "SCRAM bad username encoding", "e=invalid-username-encoding"},
        {"n,,n=u\0er,r=abc"s, "SCRAM bad username encoding", "e=invalid-username-encoding"},
        {"n,,n=,r=abc", "SCRAM empty username", "e=other-error"},
        {"n,,n=user", "SCRAM nonce missing", "e=other-error"},
        {"n,,n=user,", "SCRAM nonce missing", "e=other-error"},
        {"n,,n=user,n=user,r=abc", "SCRAM nonce missing", "e=other-error"},
        {"n,,n=user,r=", "SCRAM nonce empty or not printable", "e=other-error"},
        {"n,,n=user,r=ab c", "SCRAM nonce empty or not printable", "e=other-error"},
        {"n,,n=user,r=ab\x7f", "SCRAM nonce empty or not printable", "e=other-error"},
        {"n,,n=user,r=ab\xc3\xa9", "SCRAM nonce empty or not printable", "e=other-error"},
        {"n,,n=user,r=" + std::string(513, 'x'), "SCRAM nonce too long", "e=other-error"},
        {"n,,n=user,r=abc,r=def", "SCRAM bad or duplicated attribute", "e=other-error"},
        {"n,,n=user,r=abc,n=x", "SCRAM bad or duplicated attribute", "e=other-error"},
        {"n,,n=user,r=abc,", "SCRAM bad or duplicated attribute", "e=other-error"},
        {"n,,n=user,r=abc,1=x", "SCRAM bad or duplicated attribute", "e=other-error"},
        {"n,,n=user,r=abc,xx", "SCRAM bad or duplicated attribute", "e=other-error"},
        {"n,,n=user,r=abc" + std::string(20, ','), "SCRAM too many attributes", "e=other-error"},
        // The final message first: a reordered exchange.
        {rfc7677.client_final, "SCRAM bad GS2 header", "e=other-error"},
        // Channel binding on the plain mechanism.
        {"p=tls-unique,,n=user,r=abc", "SCRAM channel binding without -PLUS", "e=channel-binding-not-supported"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.msg);
        TestBackend b;
        b.users["user"] = "{PLAIN}pencil";
        sasl::MechanismSettings s;
        auto st = sasl::make_mechanism("SCRAM-SHA-256", b, s)->step(c.msg, true, true);
        check_fails(st, Verdict::malformed, c.error, c.server_error);
        CHECK(b.calls == 0);
    }
    // Unknown extensions are allowed.
    TestBackend b;
    sasl::MechanismSettings s;
    CHECK(sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=abc,x=1,y=2", true, true).kind ==
          Step::Kind::challenge);
    CHECK(sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=" + std::string(512, 'x'), true, true).kind ==
          Step::Kind::challenge);
}

TEST_CASE("SCRAM: malformed and wrong client-final-messages") {
    const std::string f = rfc5802.client_final;
    struct Case {
        std::string msg, error, server_error;
    };
    std::vector<Case> cases = {
        {"", "SCRAM proof missing", "e=other-error"},
        {"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j", "SCRAM proof missing", "e=other-error"},
        {"c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "SCRAM final message without c= and r=", "e=other-error"},
        {"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
         "SCRAM final message without c= and r=", "e=other-error"},
        {replace(f, "c=biws", "c=biw*"), "SCRAM bad base64 in c=", "e=invalid-encoding"},
        {replace(f, "c=biws", "c=biw"), "SCRAM bad base64 in c=", "e=invalid-encoding"},
        {replace(f, "c=biws", "c=eSws"), "SCRAM channel binding mismatch", "e=channel-bindings-dont-match"},
        {replace(f, "c=biws", "c="), "SCRAM channel binding mismatch", "e=channel-bindings-dont-match"},
        {replace(f, "VvWVs7j,", "VvWVs7J,"), "SCRAM wrong nonce", "e=other-error"},
        {replace(f, "VvWVs7j,", "VvWVs7,"), "SCRAM wrong nonce", "e=other-error"},
        {replace(f, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j", "r=fyko+d2lbbFgONRv9qkxdawL"),
         "SCRAM wrong nonce", "e=other-error"},
        {replace(f, "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts"), "SCRAM bad base64 in p=",
         "e=invalid-encoding"},
        {replace(f, "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "p=v0X8v3Bz2T0CJGbJQyF0X+HI4T!="), "SCRAM bad base64 in p=",
         "e=invalid-encoding"},
        {replace(f, "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "p=v0X8v3Bz2T0CJGbJQyF0X+HI"), "SCRAM proof has the wrong length",
         "e=invalid-proof"},
        {replace(f, "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "p="), "SCRAM proof has the wrong length", "e=invalid-proof"},
        // Truncated: the proof cut off.
        {f.substr(0, f.size() - 10), "SCRAM bad base64 in p=", "e=invalid-encoding"},
        {f.substr(0, 20), "SCRAM proof missing", "e=other-error"},
        // Duplicated attributes.
        {replace(f, ",p=", ",c=biws,p="), "SCRAM bad or duplicated attribute", "e=other-error"},
        {replace(f, ",p=", ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=,p="), "SCRAM bad or duplicated attribute",
         "e=other-error"},
        {"c=biws,c=biws," + f.substr(7), "SCRAM final message without c= and r=", "e=other-error"},
        // The client-first-message again in place of the final one.
        {rfc5802.client_first, "SCRAM proof missing", "e=other-error"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.msg);
        Scram t(rfc5802);
        t.start();
        check_fails(t.final_step(c.msg), Verdict::malformed, c.error, c.server_error);
        CHECK(t.b.logged_in.empty());
    }
    // An extension before the proof is part of AuthMessage, so it is allowed
    // but changes the proof: the RFC's proof no longer matches.
    Scram t(rfc5802);
    t.start();
    check_fails(t.final_step(replace(f, ",p=", ",x=1,p=")), Verdict::mismatch, "password mismatch", "e=invalid-proof");
}

TEST_CASE("SCRAM: a nonce from another exchange is refused") {
    TestBackend b;
    b.users["user"] = "{PLAIN}pencil";
    sasl::MechanismSettings s;
    auto m1 = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    auto m2 = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    std::string bare = "n=user,r=abc";
    auto sf1 = m1->step("n,," + bare, true, true).data;
    auto sf2 = m2->step("n,," + bare, true, true).data;
    REQUIRE(sf1 != sf2);
    // A valid final message of exchange 1 replayed into exchange 2.
    auto fin1 = scram_client_final(crypto::Digest::sha256, "pencil", bare, sf1, "n,,");
    check_fails(m2->step(fin1.message, false, false), Verdict::malformed, "SCRAM wrong nonce", "e=other-error");
    CHECK(m1->step(fin1.message, false, false).kind == Step::Kind::success);
}

TEST_CASE("SCRAM: the y flag and channel binding downgrade") {
    TestBackend b;
    b.users["user"] = "{PLAIN}pencil";
    sasl::MechanismSettings s;
    // No -PLUS on offer: "y" is fine, and c= carries "y,,".
    auto m = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    auto st = m->step("y,,n=user,r=abc", true, true);
    REQUIRE(st.kind == Step::Kind::challenge);
    auto fin = scram_client_final(crypto::Digest::sha256, "pencil", "n=user,r=abc", st.data, "y,,");
    CHECK(m->step(fin.message, false, false).kind == Step::Kind::success);
    // -PLUS was offered: a client that says "y" saw a tampered list.
    s.plus_offered = true;
    st = sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("y,,n=user,r=abc", true, true);
    check_fails(st, Verdict::refused, "SCRAM channel binding downgrade", "e=server-does-support-channel-binding");
    CHECK(b.calls == 2); // still the first exchange's lookup and credentials_verified()
    CHECK(sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=abc", true, true).kind ==
          Step::Kind::challenge);
}

TEST_CASE("SCRAM-PLUS: tls-unique and tls-exporter channel binding") {
    for (std::string type : {"tls-unique"s, "tls-exporter"s}) {
        for (std::string mech : {"SCRAM-SHA-1-PLUS"s, "SCRAM-SHA-256-PLUS"s}) {
            CAPTURE(type);
            CAPTURE(mech);
            auto d = mech == "SCRAM-SHA-1-PLUS" ? crypto::Digest::sha1 : crypto::Digest::sha256;
            TestBackend b;
            b.users["user"] = "{PLAIN}pencil";
            b.info.channel_binding_type = type;
            b.info.channel_binding_data = type == "tls-unique" ? "\x01\x02\x03\x00\xff\x7f\x80\x90\xa0\xb0\xc0\xd0"s
                                                               : std::string(32, '\x42');
            sasl::MechanismSettings s;
            std::string gs2 = "p=" + type + ",,";
            std::string bare = "n=user,r=abc";
            auto m = sasl::make_mechanism(mech, b, s);
            auto st = m->step(gs2 + bare, true, true);
            REQUIRE(st.kind == Step::Kind::challenge);
            auto fin = scram_client_final(d, "pencil", bare, st.data, gs2 + b.info.channel_binding_data);
            st = m->step(fin.message, false, false);
            CHECK(st.kind == Step::Kind::success);
            CHECK(st.data == "v=" + fin.server_signature_b64);

            // The binding data of another TLS session.
            m = sasl::make_mechanism(mech, b, s);
            st = m->step(gs2 + bare, true, true);
            fin = scram_client_final(d, "pencil", bare, st.data, gs2 + b.info.channel_binding_data + "x");
            check_fails(m->step(fin.message, false, false), Verdict::malformed, "SCRAM channel binding mismatch",
                        "e=channel-bindings-dont-match");
            // Only the header, without the data.
            m = sasl::make_mechanism(mech, b, s);
            st = m->step(gs2 + bare, true, true);
            fin = scram_client_final(d, "pencil", bare, st.data, gs2);
            check_fails(m->step(fin.message, false, false), Verdict::malformed, "SCRAM channel binding mismatch",
                        "e=channel-bindings-dont-match");
        }
    }
}

TEST_CASE("SCRAM-PLUS: wrong flags and types") {
    TestBackend b;
    b.users["user"] = "{PLAIN}pencil";
    b.info.channel_binding_type = "tls-exporter";
    b.info.channel_binding_data = std::string(32, 'x');
    sasl::MechanismSettings s;
    auto run = [&](std::string_view msg) { return sasl::make_mechanism("SCRAM-SHA-256-PLUS", b, s)->step(msg, true, true); };
    check_fails(run("n,,n=user,r=abc"), Verdict::malformed, "SCRAM-PLUS without channel binding", "e=other-error");
    check_fails(run("y,,n=user,r=abc"), Verdict::malformed, "SCRAM-PLUS without channel binding", "e=other-error");
    check_fails(run("p=tls-unique,,n=user,r=abc"), Verdict::malformed,
                "SCRAM channel binding type tls-unique not available", "e=unsupported-channel-binding-type");
    check_fails(run("p=tls-server-end-point,,n=user,r=abc"), Verdict::malformed,
                "SCRAM channel binding type tls-server-end-point not available",
                "e=unsupported-channel-binding-type");
    check_fails(run("p=tls_exporter,,n=user,r=abc"), Verdict::malformed, "SCRAM bad GS2 header", "e=other-error");
    // No TLS session: nothing to bind to.
    b.info.channel_binding_type.clear();
    b.info.channel_binding_data.clear();
    check_fails(run("p=tls-exporter,,n=user,r=abc"), Verdict::malformed,
                "SCRAM channel binding type tls-exporter not available", "e=unsupported-channel-binding-type");
    CHECK(b.calls == 0);
}

TEST_CASE("SCRAM: malformed stored credentials are a temporary failure") {
    for (std::string stored :
         {"{SCRAM-SHA-256}4096,c2FsdA==,AAAA,AAAA"s, "{SCRAM-SHA-256}0,c2FsdA==,"s + std::string(44, 'A') + "," +
                                                         std::string(44, 'A'),
          "{SCRAM-SHA-256}4096,c2FsdA=="s, "{SCRAM-SHA-256}x,c2FsdA==,a,b"s}) {
        CAPTURE(stored);
        TestBackend b;
        b.users["user"] = stored;
        sasl::MechanismSettings s;
        auto st = sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=abc", true, true);
        CHECK(st.kind == Step::Kind::failure);
        // Either credentials_for() or the mechanism finds the value broken.
        CHECK(st.verdict == Verdict::temp_fail);
    }
}

namespace {

// The server-first-message for `user` from a fresh exchange over `b`.
std::string server_first_for(TestBackend& b, const sasl::MechanismSettings& s, std::string_view mech,
                             std::string_view user) {
    auto st = sasl::make_mechanism(mech, b, s)->step("n,,n=" + std::string(user) + ",r=abc", true, true);
    REQUIRE(st.kind == Step::Kind::challenge);
    return st.data;
}

} // namespace

TEST_CASE("SCRAM: the server-first-message does not tell users apart (RFC 5802 §9)") {
    for (std::string mech : {"SCRAM-SHA-1"s, "SCRAM-SHA-256"s}) {
        CAPTURE(mech);
        auto d = mech == "SCRAM-SHA-1" ? crypto::Digest::sha1 : crypto::Digest::sha256;
        TestBackend b;
        b.users["plain"] = "{PLAIN}pencil";
        b.users["crypt"] = "{SHA512-CRYPT}$6$MF6BzIyr82sVAjKQ$O1rYcQQbMGt8HR3ajEegjvK4sy"
                           "0nxBMs92F9EcXQ5tsx.N6e8pzBK3vDFLQTN0Q9aI3KdKtfcfzknTNfjf3A51"; // doveadm pw -s SHA512-CRYPT -p pencil
        b.users["blf"] = "{BLF-CRYPT}$2y$05$BLKYtl9xtaPztSugxGBKXOBTbrqmJy19Z8tbiWS4cky89OxNucZ5u";
        b.lookup_verdicts["denied"] = Verdict::refused;
        sasl::MechanismSettings s;
        s.fixed_nonce = "servernonce";

        // Each kind: the same message on every attempt (the salt does not
        // change), a 16-byte salt and the default count, like a user stored
        // with `doveadm pw -s SCRAM-*`.
        std::map<std::string, std::string> first;
        for (std::string user : {"plain"s, "crypt"s, "blf"s, "denied"s, "ghost"s, "ghost2"s}) {
            CAPTURE(user);
            first[user] = server_first_for(b, s, mech, user);
            CHECK(server_first_for(b, s, mech, user) == first[user]);
            CHECK(server_first_for(b, s, mech, user) == first[user]);
            CHECK(scram_attr(first[user], 'r') == "abcservernonce");
            CHECK(crypto::unbase64(scram_attr(first[user], 's')).value_or("").size() == 16);
            CHECK(scram_attr(first[user], 'i') == "4096");
            CHECK(first[user] == "r=abcservernonce,s=" + scram_attr(first[user], 's') + ",i=4096");
        }
        // The salt depends on nothing but the name: a user stored as
        // plaintext and an unknown user of the same name get the very same
        // message, as do a hashed one and an unknown one.
        TestBackend empty;
        for (std::string user : {"plain"s, "crypt"s, "blf"s, "denied"s})
            CHECK(server_first_for(empty, s, mech, user) == first[user]);
        // Different names, different salts (a salt shared by all unknown
        // names would give them away).
        CHECK(scram_attr(first["ghost"], 's') != scram_attr(first["ghost2"], 's'));
        CHECK(scram_attr(first["plain"], 's') != scram_attr(first["ghost"], 's'));
        // SCRAM-SHA-1 and SCRAM-SHA-256 salts are unrelated, as two stored
        // hashes' would be.
        std::string other = mech == "SCRAM-SHA-1" ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
        CHECK(scram_attr(server_first_for(b, s, other, "ghost"), 's') != scram_attr(first["ghost"], 's'));

        // All fail only at the proof, with the wrong password's message;
        // the verdict (for the log) still says why.
        struct Expect {
            std::string user;
            Verdict verdict;
            std::string error;
        };
        for (const Expect& e : {Expect{"crypt", Verdict::unusable, "the stored password scheme cannot be used with this mechanism"},
                                Expect{"blf", Verdict::unusable, "the stored password scheme cannot be used with this mechanism"},
                                Expect{"denied", Verdict::refused, "login refused"},
                                Expect{"ghost", Verdict::unknown_user, "unknown user"},
                                Expect{"plain", Verdict::mismatch, "password mismatch"}}) {
            CAPTURE(e.user);
            auto m = sasl::make_mechanism(mech, b, s);
            std::string bare = "n=" + e.user + ",r=abc";
            auto st = m->step("n,," + bare, true, true);
            REQUIRE(st.kind == Step::Kind::challenge);
            auto fin = scram_client_final(d, "wrong", bare, st.data, "n,,");
            check_fails(m->step(fin.message, false, false), e.verdict, e.error, "e=invalid-proof");
        }
        // The plaintext user logs in with the derived credentials.
        auto m = sasl::make_mechanism(mech, b, s);
        auto st = m->step("n,,n=plain,r=abc", true, true);
        auto fin = scram_client_final(d, "pencil", "n=plain,r=abc", st.data, "n,,");
        st = m->step(fin.message, false, false);
        CHECK(st.kind == Step::Kind::success);
        CHECK(st.data == "v=" + fin.server_signature_b64);
        CHECK(b.logged_in == "plain");
    }
}

TEST_CASE("SCRAM: users stored as SCRAM keep their own salt and count") {
    TestBackend b;
    b.users["user"] = scram_stored("SCRAM-SHA-256", crypto::Digest::sha256, "pencil", "0123456789", 10000);
    sasl::MechanismSettings s;
    s.fixed_nonce = "servernonce";
    CHECK(server_first_for(b, s, "SCRAM-SHA-256", "user") ==
          "r=abcservernonce,s=" + crypto::base64("0123456789") + ",i=10000");
    // The default lookup asks for the plaintext first, then for the scheme.
    CHECK(b.calls == 2);
    CHECK(b.last_scheme == "SCRAM-SHA-256");
    b.calls = 0;
    b.users["user"] = "{PLAIN}pencil";
    server_first_for(b, s, "SCRAM-SHA-256", "user");
    CHECK(b.calls == 1);
    CHECK(b.last_scheme == "PLAIN");
    b.calls = 0;
    server_first_for(b, s, "SCRAM-SHA-256", "ghost");
    CHECK(b.calls == 1);
}

TEST_CASE("SCRAM: scram_iterations for derived credentials is bounded") {
    struct Case {
        unsigned setting;
        std::string sent;
    };
    for (const Case& c : {Case{0, "4096"}, Case{5000, "5000"}, Case{4'000'000'000u, "1000000"}}) {
        CAPTURE(c.setting);
        TestBackend b;
        b.users["plain"] = "{PLAIN}pencil";
        sasl::MechanismSettings s;
        s.scram_iterations = c.setting;
        CHECK(scram_attr(server_first_for(b, s, "SCRAM-SHA-1", "plain"), 'i') == c.sent);
        CHECK(scram_attr(server_first_for(b, s, "SCRAM-SHA-1", "ghost"), 'i') == c.sent);
    }
    // The count the server uses is really that one: a login works.
    TestBackend b;
    b.users["plain"] = "{PLAIN}pencil";
    sasl::MechanismSettings s;
    s.scram_iterations = 5000;
    auto m = sasl::make_mechanism("SCRAM-SHA-256", b, s);
    auto st = m->step("n,,n=plain,r=abc", true, true);
    auto fin = scram_client_final(crypto::Digest::sha256, "pencil", "n=plain,r=abc", st.data, "n,,");
    CHECK(m->step(fin.message, false, false).kind == Step::Kind::success);
}

TEST_CASE("SCRAM: a temporary failure is answered at once") {
    TestBackend b;
    b.backend_down = true;
    sasl::MechanismSettings s;
    auto st = sasl::make_mechanism("SCRAM-SHA-256", b, s)->step("n,,n=user,r=abc", true, true);
    check_fails(st, Verdict::temp_fail, "temporary failure of the password database", "e=other-error");
}
