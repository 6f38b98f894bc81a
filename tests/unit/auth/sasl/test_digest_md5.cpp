#include "sasl_test_support.hpp"

#include <doctest/doctest.h>

using namespace sasl_test;
using namespace std::string_literals;

namespace {

const std::string rfc2831_response =
    "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,"
    "cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\","
    "response=d388dad90d4bbd760a152321f2143af7,qop=auth";

sasl::MechanismSettings rfc2831_settings() {
    sasl::MechanismSettings s;
    s.realms = {"elwood.innosoft.com"};
    s.fixed_nonce = "OA6MG9tEQGm2hh";
    return s;
}

struct Digest {
    TestBackend b;
    sasl::MechanismSettings s = rfc2831_settings();
    std::unique_ptr<sasl::Mechanism> m;
    Digest() {
        b.info.service = "imap";
        b.users["chris@elwood.innosoft.com"] = "{PLAIN}secret";
    }
    Step run(const std::string& response) {
        m = sasl::make_mechanism("DIGEST-MD5", b, s);
        auto st = m->step("", true, false);
        REQUIRE(st.kind == Step::Kind::challenge);
        return m->step(response, false, false);
    }
};

std::string replace(std::string s, std::string_view from, std::string_view to) {
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
}

} // namespace

// RFC 2831 §4: the IMAP example, with its response and rspauth.
TEST_CASE("DIGEST-MD5: RFC 2831 example, plaintext and {DIGEST-MD5} storage") {
    // doveadm pw -s DIGEST-MD5 -p secret -u chris@elwood.innosoft.com
    for (std::string stored : {"{PLAIN}secret"s, "{DIGEST-MD5}eb5a750053e4d2c34aa84bbc9b0b6ee7"s}) {
        CAPTURE(stored);
        Digest d;
        d.b.users["chris@elwood.innosoft.com"] = stored;
        d.m = sasl::make_mechanism("DIGEST-MD5", d.b, d.s);
        auto st = d.m->step("", true, false);
        REQUIRE(st.kind == Step::Kind::challenge);
        CHECK(st.data == "realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",charset=\"utf-8\","
                         "algorithm=\"md5-sess\"");
        st = d.m->step(rfc2831_response, false, false);
        REQUIRE(st.kind == Step::Kind::challenge);
        CHECK(st.data == "rspauth=ea40f60335c427b5527b84dbabcdfffd");
        CHECK(d.b.last_authcid == "chris@elwood.innosoft.com");
        CHECK(d.b.last_scheme == "DIGEST-MD5");
        st = d.m->step("", false, false);
        CHECK(st.kind == Step::Kind::success);
        CHECK(d.b.logged_in == "chris@elwood.innosoft.com");
        // Replaying the response after success fails.
        CHECK(d.m->step(rfc2831_response, false, false).kind == Step::Kind::failure);
    }
}

TEST_CASE("DIGEST-MD5: without auth_realms one empty realm, user without a domain") {
    TestBackend b;
    b.info.service = "smtp";
    b.users["user"] = "{DIGEST-MD5}dcea7dc1023b1e8a920c5260f2c65188"; // doveadm pw -s DIGEST-MD5 -p pencil -u user
    sasl::MechanismSettings s;
    auto m = sasl::make_mechanism("DIGEST-MD5", b, s);
    auto st = m->step("", true, false);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(st.data.substr(0, 16) == "realm=\"\",nonce=\"");
    std::string nonce = digest_directive(st.data, "nonce");
    CHECK(nonce.size() == 24); // 16 random bytes in base64
    std::string uri = "smtp/mx.example.org";
    std::string resp = "username=\"user\",nonce=\"" + nonce + "\",cnonce=\"abc\",nc=00000001,qop=auth,digest-uri=\"" +
                       uri + "\",response=" + digest_md5_kd("user", "", "pencil", nonce, "abc", "", uri, "AUTHENTICATE");
    st = m->step(resp, false, false);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(st.data == "rspauth=" + digest_md5_kd("user", "", "pencil", nonce, "abc", "", uri, ""));
    CHECK(m->step("", false, false).kind == Step::Kind::success);
    CHECK(b.logged_in == "user");
}

TEST_CASE("DIGEST-MD5: authzid is part of A1 and asks for another user") {
    Digest d;
    d.b.users["master@elwood.innosoft.com"] = "{PLAIN}secret";
    std::string uri = "imap/elwood.innosoft.com";
    std::string resp = "username=\"master\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,"
                       "cnonce=\"xyz\",digest-uri=\"" + uri + "\",authzid=\"chris\",response=" +
                       digest_md5_kd("master", "elwood.innosoft.com", "secret", "OA6MG9tEQGm2hh", "xyz", "chris", uri,
                                     "AUTHENTICATE");
    auto st = d.run(resp);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(d.b.last_authzid == "chris");
    CHECK(d.b.last_authcid == "master@elwood.innosoft.com");
    CHECK(d.m->step("", false, false).kind == Step::Kind::success);
    CHECK(d.b.logged_in == "chris");
}

TEST_CASE("DIGEST-MD5: wrong password, unknown user, hashed storage, refused") {
    Digest d;
    auto st = d.run(replace(rfc2831_response, "d388dad90d4bbd760a152321f2143af7", "d388dad90d4bbd760a152321f2143af8"));
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::mismatch);
    d.b.users.clear();
    CHECK(d.run(rfc2831_response).verdict == Verdict::unknown_user);
    d.b.users["chris@elwood.innosoft.com"] = "{SSHA256}qT4LYz4bAKLjIORogRXI8xIZ/OHr+AWgfcI92k98fKbquB8Q";
    CHECK(d.run(rfc2831_response).verdict == Verdict::unusable);
    d.b.users["chris@elwood.innosoft.com"] = "{PLAIN}secret";
    d.b.finish = Verdict::refused;
    st = d.run(rfc2831_response);
    CHECK(st.kind == Step::Kind::failure);
    CHECK(st.verdict == Verdict::refused);
}

TEST_CASE("DIGEST-MD5: malformed responses") {
    struct Case {
        std::string response, error;
    };
    const std::string& r = rfc2831_response;
    std::vector<Case> cases = {
        {"", "DIGEST-MD5 empty response"},
        {",,, ,", "DIGEST-MD5 empty response"},
        {"username", "DIGEST-MD5 directive without '='"},
        {"=x", "DIGEST-MD5 directive name expected"},
        {"username=\"chris", "DIGEST-MD5 unterminated quoted string"},
        {"username=\"chris\\", "DIGEST-MD5 unterminated quoted string"},
        {"username=\"ch\x01ris\"", "DIGEST-MD5 control character in a quoted string"},
        {"username=\"chris\"x", "DIGEST-MD5 garbage after a directive"},
        {"username=chris realm=x", "DIGEST-MD5 garbage after a directive"},
        {r + ",username=\"chris\"", "DIGEST-MD5 duplicate username"},
        {r + ",NONCE=\"x\"", "DIGEST-MD5 duplicate nonce"},
        {replace(r, "username=\"chris\",", ""), "DIGEST-MD5 username missing"},
        {replace(r, "username=\"chris\"", "username=\"\""), "DIGEST-MD5 username missing"},
        {replace(r, "cnonce=\"OA6MHXh6VqTrRk\",", ""), "DIGEST-MD5 required directive missing"},
        {replace(r, "cnonce=\"OA6MHXh6VqTrRk\"", "cnonce=\"\""), "DIGEST-MD5 required directive missing"},
        {replace(r, "nc=00000001,", ""), "DIGEST-MD5 required directive missing"},
        {replace(r, "digest-uri=\"imap/elwood.innosoft.com\",", ""), "DIGEST-MD5 required directive missing"},
        {replace(r, ",response=d388dad90d4bbd760a152321f2143af7", ""), "DIGEST-MD5 required directive missing"},
        {replace(r, "nonce=\"OA6MG9tEQGm2hh\"", "nonce=\"OA6MG9tEQGm2hH\""), "DIGEST-MD5 wrong nonce"},
        {replace(r, "nc=00000001", "nc=00000002"), "DIGEST-MD5 nonce count is not 00000001"},
        {replace(r, "qop=auth", "qop=auth-int"), "DIGEST-MD5 qop other than auth"},
        {replace(r, "charset=utf-8", "charset=iso-8859-1"), "DIGEST-MD5 charset other than utf-8"},
        {replace(r, "imap/elwood", "smtp/elwood"), "DIGEST-MD5 digest-uri does not name this service"},
        {replace(r, "imap/elwood.innosoft.com", "imap"), "DIGEST-MD5 digest-uri does not name this service"},
        {replace(r, "imap/elwood.innosoft.com", "imap/"), "DIGEST-MD5 digest-uri does not name this service"},
        {replace(r, "d388dad90d4bbd760a152321f2143af7", "d388dad90d4bbd760a152321f2143af"),
         "DIGEST-MD5 response is not 32 hex digits"},
        {replace(r, "d388dad90d4bbd760a152321f2143af7", "z388dad90d4bbd760a152321f2143af7"),
         "DIGEST-MD5 response is not 32 hex digits"},
        {r + ",authzid=\"\"", "DIGEST-MD5 empty authzid"},
        {r + ",cipher=rc4", "DIGEST-MD5 cipher without qop=auth-conf"},
    };
    std::string many;
    for (int i = 0; i < 33; ++i)
        many += "x" + std::to_string(i) + "=1,";
    cases.push_back({many, "DIGEST-MD5 too many directives"});
    for (const auto& c : cases) {
        CAPTURE(c.response);
        Digest d;
        auto st = d.run(c.response);
        CHECK(st.kind == Step::Kind::failure);
        CHECK(st.verdict == Verdict::malformed);
        CHECK(st.error == c.error);
        CHECK(d.b.calls == 0);
    }
}

TEST_CASE("DIGEST-MD5: a realm that was not offered names another user") {
    Digest d;
    d.b.users["chris@other.example"] = "{PLAIN}secret";
    std::string uri = "imap/elwood.innosoft.com";
    auto resp = [&](std::string_view realm_directive, std::string_view realm) {
        return "username=\"chris\"," + std::string(realm_directive) +
               "nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"c\",digest-uri=\"" + uri + "\",response=" +
               digest_md5_kd("chris", realm, "secret", "OA6MG9tEQGm2hh", "c", "", uri, "AUTHENTICATE");
    };
    auto st = d.run(resp("realm=\"other.example\",", "other.example"));
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(d.b.last_authcid == "chris@other.example");
    // No realm: the empty realm, and the bare user name.
    d.b.users["chris"] = "{PLAIN}secret";
    st = d.run(resp("", ""));
    CHECK(st.kind == Step::Kind::challenge);
    CHECK(d.b.last_authcid == "chris");
    // The realm is part of the hash: a response made for another realm fails.
    st = d.run("realm=\"other.example\"," + resp("", ""));
    CHECK(st.verdict == Verdict::mismatch);
}

TEST_CASE("DIGEST-MD5: tolerated forms: LWS, empty list elements, unknown directives, escapes") {
    Digest d;
    std::string r = " ,charset=utf-8 , username = \"ch\\ris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\","
                    "nc=00000001,,maxbuf=65536,cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\","
                    "response=D388DAD90D4BBD760A152321F2143AF7,qop=auth,future=\"x\"";
    auto st = d.run(r);
    REQUIRE(st.kind == Step::Kind::challenge);
    CHECK(st.data == "rspauth=ea40f60335c427b5527b84dbabcdfffd");
}

TEST_CASE("DIGEST-MD5: initial response, data after rspauth") {
    Digest d;
    d.m = sasl::make_mechanism("DIGEST-MD5", d.b, d.s);
    auto st = d.m->step(rfc2831_response, true, true);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "DIGEST-MD5 does not take an initial response");

    st = d.run(rfc2831_response);
    REQUIRE(st.kind == Step::Kind::challenge);
    st = d.m->step("rspauth=ea40f60335c427b5527b84dbabcdfffd", false, false);
    CHECK(st.verdict == Verdict::malformed);
    CHECK(st.error == "DIGEST-MD5 data after rspauth");
}

TEST_CASE("DIGEST-MD5: realms with quotes are escaped in the challenge") {
    TestBackend b;
    sasl::MechanismSettings s;
    s.realms = {"a\"b", "c\\d"};
    s.fixed_nonce = "N";
    auto st = sasl::make_mechanism("DIGEST-MD5", b, s)->step("", true, false);
    CHECK(st.data ==
          "realm=\"a\\\"b\",realm=\"c\\\\d\",nonce=\"N\",qop=\"auth\",charset=\"utf-8\",algorithm=\"md5-sess\"");
}
