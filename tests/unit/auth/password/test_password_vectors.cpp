// Stored passwords written by Dovecot verify in Loft. Every vector below was
// generated with `doveadm pw -s SCHEME -p PASSWORD [-u USER]` from Debian's
// dovecot-core 2.3.19 unless its comment says otherwise; the ones marked
// "libcrypt" were made with crypt(3) and checked with `doveadm pw -t`.
#include <mailstore/auth/password.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace mailstore::auth;

namespace {

struct Vector {
    const char* stored;
    const char* password;
    const char* user;
};

const Vector kVectors[] = {
    {"{PLAIN}test", "test", ""},
    {"{CLEARTEXT}test", "test", ""},
    {"{CLEAR}test", "test", ""},
    {"{PLAIN.HEX}74657374", "test", ""},
    {"{PLAIN.B64}dGVzdA==", "test", ""},
    {"{PLAIN.BASE64}dGVzdA==", "test", ""},
    // CRYPT: doveadm 2.3.19 on Debian writes bcrypt for CRYPT.
    {"{CRYPT}$2y$05$BvxRKpzwuXbrgruUmovlY.FP7.r68fgoTrBDgXZggUJbgdS.WyYsa", "test", ""},
    // The spec's verified DES vector (crypt('test', '4Z')).
    {"{CRYPT}4ZtRq3xJ6dR1s", "test", ""},
    {"{DES-CRYPT}oF//1bhomYXV2", "test", ""},
    {"{MD5-CRYPT}$1$.kauvVK3$JroONIBf1t2EgtdtuhQHU.", "test", ""},
    {"{MD5}$1$K0dBMT6L$vbLD3hPB9D80xTRJURRz91", "test", ""},
    // The spec's verified {MD5} vector.
    {"{MD5}$1$47PZafRb$yaF4iBIaA8iCTCJV/JPnK1", "test", ""},
    {"{SHA256-CRYPT}$5$TwohmLFOO9cSXwg0$j3AzXoz610WysEMf/r8JxhpiuM5qZ2qsw0.d02AUUQ4", "test", ""},
    {"{SHA512-CRYPT}$6$7L.2aQcd6qpSygzA$LAa7soeCEW2Y74rYeTNozUsIeEFmsTrFCmx16SQ4Qcupry3s6EmfmUfsvCneAgzc0zqq1WwZbfoauhVy"
     "bfd4n0",
     "test", ""},
    {"{SHA512-CRYPT}$6$DfBEoMErp6wRQg2Y$VaFy02yIiwhgpoABz83uEg8M/gUaKwfqKgeiPdVwogwgNWW6AWPejz5OvLL73YXkm84Adk8.yfpuZD3i"
     "lga3F.",
     "Secret#2 \xc3\xbc", ""},
    {"{SHA512-CRYPT.HEX}2436246162787932432e616c54367837727a46244a6e3441644b4d54474f3030712e36494b62696e76384c66304c"
     "675779706877344d487042325a5847336738617971712e7432362e3271797646534d3477474c5a6d63626169633767516a4e48622f2f6977"
     "33536a2f",
     "test", ""},
    // libcrypt, with explicit rounds (checked with doveadm pw -t).
    {"{SHA512-CRYPT}$6$rounds=1000$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkht6EQZ7yDeZK24lyrAGTY4m16"
     "kRA04M8wzpUT/",
     "test", ""},
    {"{SHA256-CRYPT}$5$rounds=2000$saltsalt$c3S0qxsqmdrdxxr52com3JI1igIbZJfoLqOmzbU2W9.", "test", ""},
    // libcrypt yescrypt (Debian's /etc/shadow default) and $2b$ (checked with doveadm pw -t).
    {"{CRYPT}$y$j9T$af7Xt6kx5t/Jfnip0250Z.$gXgQvIMkXLh3/IaoCQ9onwGLKdmwW5gc/mtp.cTQjK2", "test", ""},
    {"{BLF-CRYPT}$2b$04$abcdefghijklmnopqrstuuoD8yw7MmybLKVooaTGGZAt3HXugv2.a", "test", ""},
    {"{BLF-CRYPT}$2y$05$oGlubRSuWBMKflmoLGcRuekpPl8XXR0InAgKisDpaB9iPP0ygFJDW", "test", ""},
    {"{BLF-CRYPT}$2y$05$EpZiYaFxsAHoby0eyYZlkO5lYnO8tYsZGtAcvLZKR8/CX/jJnJy.i", "Secret#2 \xc3\xbc", ""},
    {"{PLAIN-MD5}098f6bcd4621d373cade4e832627b4f6", "test", ""},
    {"{PLAIN-MD5.B64}CY9rzUYh03PK3k6DJie09g==", "test", ""},
    {"{LDAP-MD5}CY9rzUYh03PK3k6DJie09g==", "test", ""},
    {"{LDAP-MD5.HEX}098f6bcd4621d373cade4e832627b4f6", "test", ""},
    {"{SMD5}QEUbckQuBtyRktaUaGeZhjDwjpk=", "test", ""},
    {"{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "test", ""},
    {"{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "test", ""},
    {"{SSHA}Va7yj9PE4YszV9gG1GP0nD1sWxZlu3uu", "test", ""},
    {"{SSHA.HEX}4f601981e81054245324df56dcbd9aad0f5f4681797cc566", "test", ""},
    {"{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test", ""},
    {"{SHA256.HEX}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "test", ""},
    {"{SHA256.B64}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test", ""},
    {"{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "", ""},
    {"{SSHA256}XGACZaCmAYiNb/v57hlMJv3jIkturo5poJIscfg7pI6OlkxP", "test", ""},
    {"{SHA512}7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==", "test", ""},
    {"{SSHA512}0odm38q0I07B5RwtIjpeq6vF4FLnNJxMY5haDTA81Vx/KjZIyuAHzLwk2Wlw9JMR8G2xGLoEAkm8qMtBV80uOA+2Tkk=", "test",
     ""},
    {"{SSHA512}aUHRBv5t3JNI+BQ+wH6rTi2WKQG9jUtV5yDtPJVZPHHc/dQTo92xVVIZR/NvRypiwYlkQUZQDWbaoM0cuhmkk5u5BUc=",
     "Secret#2 \xc3\xbc", ""},
    {"{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6", "test", ""},
    {"{CRAM-MD5.B64}4C03T94Nx1oXpVcDmjpTOMd0MwR3fczTdvMyvuaNLPY=", "test", ""},
    {"{HMAC-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6", "test", ""},
    {"{CRAM-MD5}fef74797c07c4f32f8d2100aae49726f6849e0749eee12955f7102227d16e319", "Secret#2 \xc3\xbc", ""},
    // DIGEST-MD5: doveadm splits -u at the last '@' into user and realm.
    {"{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658", "test", "user@realm.org"},
    {"{DIGEST-MD5}28f7a7fd6dcb9f2a7c351acb024f52cd", "test", "a@b@c"},
    {"{DIGEST-MD5}021272f0de53f23f4a7fa9fef219e731", "test", "user"},
    {"{DIGEST-MD5}6944d57e13acb83113cc094b99416f2c", "test", "bob"},
    {"{DIGEST-MD5}8cf5bb633b87d11ded8a2d0d68a7c715", "Secret#2 \xc3\xbc", "bob@example.org"},
    {"{SCRAM-SHA-1}4096,gWI8C/+hKUfAQAw0tvs/+Q==,t2CBvLHzpz61xd8YXeiPsNLGOkM=,ihkylGIflQX7Uv+gzxckissJ/GY=", "test",
     ""},
    {"{SCRAM-SHA-1.HEX}343039362c7761704e735443706775636b3444556e5138757578773d3d2c6a626d5a7a4c5978357050425a70356f"
     "59657534483030317139413d2c7a613851726c7951643159315046575a59776a4d684a4d4f5742343d",
     "test", ""},
    {"{SCRAM-SHA-256}4096,iT1iyY67UkLJzz2NL+mG7Q==,1la5RDhtHm7qk1ZfpUVwoK5p8etdGzfRnQNAAKtAz6E=,"
     "I1jBihM0RR76Sc0PilxGY8a33eNLqHVcNHxshsgAb6E=",
     "test", ""},
    {"{SCRAM-SHA-256}4096,5cSVCVdn4yv8GgAsgCjHdg==,bMgfoNHV0YzTziE/X3CQYXz0lE6tNQhbIV9k2dD+ufk=,"
     "FKYTZd+iFsu4qK7NNVbFzzg3DC4L4JAjuPZfWiQw48E=",
     "Secret#2 \xc3\xbc", ""},
    {"{PBKDF2}$1$QyxcQjNwZXrL4Cfl$5000$57601d6404317c37e56391d367f3efc42fec03ec", "test", ""},
    {"{PBKDF2}$1$QyxcQjNwZXrL4Cfl$5000$57601D6404317C37E56391D367F3EFC42FEC03EC", "test", ""},
    {"{PBKDF2}$1$xE42hP0scbuii.M1$5000$26e3f352844c651b9c375a3755c22bafd8d5aaa7", "Secret#2 \xc3\xbc", ""},
    {"{PBKDF2.B64}JDEkcFI5aFV4Uk40SzdoeUVXMSQ1MDAwJGYwNTg4ODkyMDc1ZThkZGUyMWU4ZWE0ZTAzZmE0NmQzMzA2OWI5NTY=", "test",
     ""},
    {"{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$1swkW3mQ8sFuxgRvGhVjMg$YB0mYRpewXELGgpBaXVVVwQ0eO7kgW5E/a1nySoe1fw",
     "test", ""},
    {"{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
     "test", ""},
    // The type in the string decides, as in Dovecot (checked with doveadm pw -t).
    {"{ARGON2I}$argon2id$v=19$m=65536,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
     "test", ""},
    {"{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Vuej2b03+DNeu6N+hLFE2A$OpOH5TlV6QZI0QbScJUC9gZcdFs3emyBeLoD0fzxCP0",
     "Secret#2 \xc3\xbc", ""},
    // Dovecot reads fixed-size digests in the other encoding too (checked with doveadm pw -t).
    {"{SHA256}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "test", ""},
    {"{PLAIN-MD5}CY9rzUYh03PK3k6DJie09g==", "test", ""},
    {"{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "test", ""},
    {"{MD5}098f6bcd4621d373cade4e832627b4f6", "test", ""},
    // Case-insensitive names.
    {"{sha256.hex}9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", "test", ""},
    {"{plain}test", "test", ""},
    {"{Ssha}Va7yj9PE4YszV9gG1GP0nD1sWxZlu3uu", "test", ""},
};

} // namespace

TEST_CASE("vectors: every doveadm-generated hash verifies, and fails with a wrong password") {
    for (const Vector& v : kVectors) {
        CAPTURE(v.stored);
        auto ok = verify_password(v.stored, v.password, v.user);
        REQUIRE_MESSAGE(ok.is_ok(), ok.status().message());
        CHECK(*ok);
        auto bad = verify_password(v.stored, std::string(v.password) + "x", v.user);
        REQUIRE(bad.is_ok());
        CHECK_FALSE(*bad);
        auto empty = verify_password(v.stored, std::string(v.password) == "" ? "x" : "", v.user);
        REQUIRE(empty.is_ok());
        CHECK_FALSE(*empty);
    }
}

TEST_CASE("vectors: DES-based CRYPT reads only 8 characters, as crypt(3) does") {
    CHECK(*verify_password("{CRYPT}4ZtRq3xJ6dR1s", "test"));
    // crypt(3) DES truncates at 8 bytes: this is the scheme, not a Loft bug.
    CHECK(*verify_password("{DES-CRYPT}U77evSlkRQYsQ", "pa ss:w\xc3\xb6rd"));
    CHECK(*verify_password("{DES-CRYPT}U77evSlkRQYsQ", "pa ss:w\xc3\xb6rX"));
    CHECK_FALSE(*verify_password("{DES-CRYPT}U77evSlkRQYsQ", "pa ss:wX"));
}

TEST_CASE("vectors: DIGEST-MD5 needs the user whose realm it hashes") {
    CHECK_FALSE(*verify_password("{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658", "test", "user@other.org"));
    CHECK_FALSE(*verify_password("{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658", "test", "user"));
    auto no_user = verify_password("{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658", "test", "");
    REQUIRE_FALSE(no_user.is_ok());
    CHECK(no_user.status().message() == "DIGEST-MD5 password needs a user name");
}

TEST_CASE("vectors: a NUL in the password never matches a crypt(3) hash") {
    std::string with_nul("test\0more", 9);
    CHECK_FALSE(*verify_password("{SHA512-CRYPT}$6$7L.2aQcd6qpSygzA$LAa7soeCEW2Y74rYeTNozUsIeEFmsTrFCmx16SQ4Qcupry3s6Em"
                                 "fmUfsvCneAgzc0zqq1WwZbfoauhVybfd4n0",
                                 with_nul));
    CHECK_FALSE(*verify_password("{PLAIN}test", with_nul));
    CHECK(*verify_password(std::string("{PLAIN}test\0more", 16), with_nul));
}
