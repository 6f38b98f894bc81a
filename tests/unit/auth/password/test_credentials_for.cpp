// credentials_for: which stored schemes can serve which challenge-response
// mechanism, for every (stored scheme x wanted scheme) pair.
#include <mailstore/auth/password.hpp>

#include "auth/crypto.hpp"
#include "auth/password/cram_md5.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace mailstore::auth;
using mailstore::Status;

namespace {

const char* const kWanted[] = {"PLAIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"};

// SCRAM-SHA-1 data for "test" (doveadm pw -s SCRAM-SHA-1 -p test, Dovecot 2.3.19).
const std::string kScram1 = "4096,gWI8C/+hKUfAQAw0tvs/+Q==,t2CBvLHzpz61xd8YXeiPsNLGOkM=,ihkylGIflQX7Uv+gzxckissJ/GY=";
const std::string kScram256 = "4096,iT1iyY67UkLJzz2NL+mG7Q==,1la5RDhtHm7qk1ZfpUVwoK5p8etdGzfRnQNAAKtAz6E=,"
                              "I1jBihM0RR76Sc0PilxGY8a33eNLqHVcNHxshsgAb6E=";

} // namespace

TEST_CASE("credentials: a stored plaintext converts to every scheme") {
    for (const char* stored : {"{PLAIN}test", "{CLEARTEXT}test", "{CLEAR}test", "{PLAIN.B64}dGVzdA==",
                               "{plain.hex}74657374", "test"}) {
        CAPTURE(stored);
        CHECK(*credentials_for(stored, "PLAIN", "user@realm.org") == "test");
        CHECK(*credentials_for(stored, "cram-md5", "user@realm.org") ==
              "e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
        CHECK(*credentials_for(stored, "DIGEST-MD5", "user@realm.org") == "a8b0f3f4a7b35af58a930dd4d237a658");
        for (const char* scram : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
            auto c = credentials_for(stored, scram, "user@realm.org");
            REQUIRE(c.is_ok());
            CHECK(c->substr(0, 5) == "4096,");
            // The converted value checks the same password.
            CHECK(*verify_password("{" + std::string(scram) + "}" + *c, "test"));
            CHECK_FALSE(*verify_password("{" + std::string(scram) + "}" + *c, "tesT"));
        }
    }
    // The default scheme is what makes a bare value plaintext.
    CHECK(*credentials_for("test", "PLAIN", "", "plain") == "test");
    CHECK(credentials_for("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "PLAIN", "", "SHA256").status().message() ==
          "SHA256 password cannot be used for PLAIN");
}

TEST_CASE("credentials: a value already in the wanted scheme is returned as hash_password writes it") {
    CHECK(*credentials_for("{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6", "CRAM-MD5") ==
          "e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
    // Other encodings and the HMAC-MD5 alias come back in the canonical hex form.
    CHECK(*credentials_for("{CRAM-MD5.B64}4C03T94Nx1oXpVcDmjpTOMd0MwR3fczTdvMyvuaNLPY=", "CRAM-MD5") ==
          "e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
    CHECK(*credentials_for("{HMAC-MD5}E02D374FDE0DC75A17A557039A3A5338C7743304777DCCD376F332BEE68D2CF6", "CRAM-MD5") ==
          "e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
    CHECK(*credentials_for("{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658", "DIGEST-MD5", "user@realm.org") ==
          "a8b0f3f4a7b35af58a930dd4d237a658");
    CHECK(*credentials_for("{SCRAM-SHA-1}" + kScram1, "SCRAM-SHA-1") == kScram1);
    CHECK(*credentials_for("{SCRAM-SHA-256}" + kScram256, "scram-sha-256") == kScram256);
    CHECK(*credentials_for(kScram1, "SCRAM-SHA-1", "", "SCRAM-SHA-1") == kScram1);
    // The CRAM-MD5 credentials answer a CRAM-MD5 challenge (RFC 2195 §2 example).
    std::string ctx = *crypto::unhex(*credentials_for("{PLAIN}tanstaaftanstaaf", "CRAM-MD5"));
    CHECK(crypto::hex(password::hmac_md5_from_context(ctx, "<1896.697170952@postoffice.reston.mci.net>")) ==
          "b913a602c7eda7a495b4e6e7334d3890");
}

TEST_CASE("credentials: every other stored scheme fails with not_found naming both schemes") {
    // One stored value per non-plaintext scheme, all for "test".
    const char* const stored[] = {
        "{CRYPT}4ZtRq3xJ6dR1s",
        "{DES-CRYPT}oF//1bhomYXV2",
        "{MD5-CRYPT}$1$.kauvVK3$JroONIBf1t2EgtdtuhQHU.",
        "{MD5}$1$K0dBMT6L$vbLD3hPB9D80xTRJURRz91",
        "{SHA256-CRYPT}$5$TwohmLFOO9cSXwg0$j3AzXoz610WysEMf/r8JxhpiuM5qZ2qsw0.d02AUUQ4",
        "{SHA512-CRYPT}$6$rounds=1000$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkht6EQZ7yDeZK24lyrAGTY4m16k"
        "RA04M8wzpUT/",
        "{BLF-CRYPT}$2y$05$oGlubRSuWBMKflmoLGcRuekpPl8XXR0InAgKisDpaB9iPP0ygFJDW",
        "{PLAIN-MD5}098f6bcd4621d373cade4e832627b4f6",
        "{LDAP-MD5}CY9rzUYh03PK3k6DJie09g==",
        "{SMD5}QEUbckQuBtyRktaUaGeZhjDwjpk=",
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
        "{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
        "{SSHA}Va7yj9PE4YszV9gG1GP0nD1sWxZlu3uu",
        "{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
        "{SSHA256}XGACZaCmAYiNb/v57hlMJv3jIkturo5poJIscfg7pI6OlkxP",
        "{SHA512}7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==",
        "{SSHA512}0odm38q0I07B5RwtIjpeq6vF4FLnNJxMY5haDTA81Vx/KjZIyuAHzLwk2Wlw9JMR8G2xGLoEAkm8qMtBV80uOA+2Tkk=",
        "{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6",
        "{HMAC-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6",
        "{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658",
        "{SCRAM-SHA-1}4096,gWI8C/+hKUfAQAw0tvs/+Q==,t2CBvLHzpz61xd8YXeiPsNLGOkM=,ihkylGIflQX7Uv+gzxckissJ/GY=",
        "{SCRAM-SHA-256}4096,iT1iyY67UkLJzz2NL+mG7Q==,1la5RDhtHm7qk1ZfpUVwoK5p8etdGzfRnQNAAKtAz6E=,"
        "I1jBihM0RR76Sc0PilxGY8a33eNLqHVcNHxshsgAb6E=",
        "{PBKDF2}$1$QyxcQjNwZXrL4Cfl$5000$57601d6404317c37e56391d367f3efc42fec03ec",
        "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$1swkW3mQ8sFuxgRvGhVjMg$YB0mYRpewXELGgpBaXVVVwQ0eO7kgW5E/a1nySoe1fw",
        "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
    };
    int served = 0;
    for (const char* s : stored) {
        std::string scheme = split_stored_password(s, "PLAIN").scheme;
        std::string canonical = scheme == "HMAC-MD5" ? "CRAM-MD5" : scheme;
        REQUIRE(*verify_password(s, "test", "user@realm.org")); // the fixture is right
        for (const char* wanted : kWanted) {
            CAPTURE(s);
            CAPTURE(wanted);
            auto c = credentials_for(s, wanted, "user@realm.org");
            if (canonical == wanted) {
                REQUIRE(c.is_ok());
                ++served;
                continue;
            }
            REQUIRE_FALSE(c.is_ok());
            CHECK(c.status().code() == Status::Code::not_found);
            CHECK(c.status().message() == scheme + " password cannot be used for " + wanted);
        }
    }
    CHECK(served == 5); // CRAM-MD5, HMAC-MD5, DIGEST-MD5, SCRAM-SHA-1, SCRAM-SHA-256
    CHECK(credentials_for("{SHA512-CRYPT}$6$x$y", "CRAM-MD5").status().message() ==
          "SHA512-CRYPT password cannot be used for CRAM-MD5");
}

TEST_CASE("credentials: bad input") {
    auto unknown_wanted = credentials_for("{PLAIN}test", "CRAM-SHA1");
    REQUIRE_FALSE(unknown_wanted.is_ok());
    CHECK(unknown_wanted.status().code() == Status::Code::invalid_argument);
    CHECK(unknown_wanted.status().message() == "unknown password scheme CRAM-SHA1");
    CHECK(credentials_for("{XYZ}test", "PLAIN").status().message() == "unknown password scheme XYZ");
    // A malformed value in the wanted scheme never reaches the mechanism.
    auto bad_scram = credentials_for("{SCRAM-SHA-1}4096,abc", "SCRAM-SHA-1");
    REQUIRE_FALSE(bad_scram.is_ok());
    CHECK(bad_scram.status().code() == Status::Code::invalid_argument);
    CHECK(bad_scram.status().message() == "malformed SCRAM-SHA-1 hash: fewer than 4 fields");
    CHECK(credentials_for("{SCRAM-SHA-256}" + kScram1, "SCRAM-SHA-256").status().message() ==
          "malformed SCRAM-SHA-256 hash: wrong salt or key length");
    CHECK(credentials_for("{CRAM-MD5}e02d", "CRAM-MD5").status().message() ==
          "malformed CRAM-MD5 hash: wrong digest length");
    CHECK(credentials_for("{PLAIN.B64}!!", "CRAM-MD5").status().message() == "malformed PLAIN hash: invalid base64");
    // DIGEST-MD5 from plaintext needs the user.
    CHECK(credentials_for("{PLAIN}test", "DIGEST-MD5").status().message() ==
          "DIGEST-MD5 password needs a user name");
    CHECK(credentials_for("{PLAIN}" + std::string(8200, 'a'), "PLAIN").status().message() ==
          "stored password longer than 8192 bytes");
    CHECK(credentials_for("{PLAIN}" + std::string(5000, 'a'), "PLAIN").status().message() ==
          "stored plaintext password too long");
}
