// hash_password round trips, scheme names and suffixes, split/default
// scheme rules, malformed stored values and the cost bounds.
#include <mailstore/auth/password.hpp>

#include "auth/crypto.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mailstore::auth;
using mailstore::Status;

namespace {

std::string data_of(const std::string& hashed) { return hashed.substr(hashed.find('}') + 1); }

// The failure message of verify_password, or "" when it did not fail.
std::string verify_error(std::string_view stored, std::string_view pass = "test", std::string_view user = "u@d") {
    auto r = verify_password(stored, pass, user);
    if (r.is_ok())
        return "";
    CHECK(r.status().code() == Status::Code::invalid_argument);
    return r.status().message();
}

} // namespace

TEST_CASE("schemes: the list names every scheme, sorted") {
    auto list = password_schemes();
    const std::vector<std::string> expected = {
        "ARGON2I",    "ARGON2ID",   "BLF-CRYPT", "CLEAR",        "CLEARTEXT",    "CRAM-MD5",     "CRYPT",
        "DES-CRYPT",  "DIGEST-MD5", "HMAC-MD5",  "LDAP-MD5",     "MD5",          "MD5-CRYPT",    "PBKDF2",
        "PLAIN",      "PLAIN-MD5",  "SCRAM-SHA-1", "SCRAM-SHA-256", "SHA",        "SHA1",         "SHA256",
        "SHA256-CRYPT", "SHA512",   "SHA512-CRYPT", "SMD5",       "SSHA",         "SSHA256",      "SSHA512"};
    CHECK(list == expected);
    CHECK(is_known_scheme("sha256.hex"));
    CHECK(is_known_scheme("Ssha512.B64"));
    CHECK(is_known_scheme("PLAIN.BASE64"));
    CHECK_FALSE(is_known_scheme("SHA256.HEX2"));
    CHECK_FALSE(is_known_scheme("RPA"));
    CHECK_FALSE(is_known_scheme(""));
    CHECK_FALSE(is_known_scheme(".HEX"));
}

TEST_CASE("schemes: hash_password output verifies and has doveadm's shape for every scheme") {
    for (const std::string& scheme : password_schemes()) {
        for (std::string suffix : {"", ".HEX", ".B64"}) {
            std::string name = scheme + suffix;
            CAPTURE(name);
            auto h = hash_password(name, "S3cret p\xc3\xa4ss", "alice@example.org");
            REQUIRE_MESSAGE(h.is_ok(), h.status().message());
            CHECK(h->rfind("{" + name + "}", 0) == 0);
            auto ok = verify_password(*h, "S3cret p\xc3\xa4ss", "alice@example.org");
            REQUIRE_MESSAGE(ok.is_ok(), ok.status().message());
            CHECK(*ok);
            if (scheme != "DES-CRYPT") // DES reads 8 characters only
                CHECK_FALSE(*verify_password(*h, "S3cret p\xc3\xa4sS", "alice@example.org"));
            CHECK_FALSE(*verify_password(*h, "other", "alice@example.org"));
        }
    }
}

TEST_CASE("schemes: generated formats, salts and costs match doveadm pw") {
    auto data = [](std::string_view scheme) { return data_of(*hash_password(scheme, "test", "u@d")); };
    CHECK(*hash_password("PLAIN", "test") == "{PLAIN}test");
    CHECK(*hash_password("plain.hex", "test") == "{PLAIN.HEX}74657374");
    CHECK(*hash_password("PLAIN.B64", "test") == "{PLAIN.B64}dGVzdA==");
    CHECK(*hash_password("SHA256", "test") == "{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
    CHECK(*hash_password("sha256.hex", "test") ==
          "{SHA256.HEX}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    CHECK(*hash_password("PLAIN-MD5", "test") == "{PLAIN-MD5}098f6bcd4621d373cade4e832627b4f6");
    CHECK(*hash_password("LDAP-MD5", "test") == "{LDAP-MD5}CY9rzUYh03PK3k6DJie09g==");
    CHECK(*hash_password("SHA", "test") == "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=");
    CHECK(*hash_password("SHA512", "test") ==
          "{SHA512}7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==");
    CHECK(*hash_password("CRAM-MD5", "test") ==
          "{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
    CHECK(*hash_password("CRAM-MD5.B64", "test") == "{CRAM-MD5.B64}4C03T94Nx1oXpVcDmjpTOMd0MwR3fczTdvMyvuaNLPY=");
    CHECK(*hash_password("DIGEST-MD5", "test", "user@realm.org") == "{DIGEST-MD5}a8b0f3f4a7b35af58a930dd4d237a658");
    // Salted digests: 4 bytes of salt after the digest.
    CHECK(crypto::unbase64(data("SMD5"))->size() == 20);
    CHECK(crypto::unbase64(data("SSHA"))->size() == 24);
    CHECK(crypto::unbase64(data("SSHA256"))->size() == 36);
    CHECK(crypto::unbase64(data("SSHA512"))->size() == 68);
    CHECK(data("SSHA") != data("SSHA"));
    // crypt(3) settings.
    CHECK(data("CRYPT").substr(0, 7) == "$2y$05$");
    CHECK(data("BLF-CRYPT").substr(0, 7) == "$2y$05$");
    CHECK(data("BLF-CRYPT").size() == 60);
    CHECK(data("DES-CRYPT").size() == 13);
    CHECK(data("MD5-CRYPT").substr(0, 3) == "$1$");
    CHECK(data("MD5-CRYPT").size() == 34); // $1$ + 8 salt + $ + 22
    CHECK(data("MD5").substr(0, 3) == "$1$");
    CHECK(data("SHA256-CRYPT").substr(0, 3) == "$5$");
    CHECK(data("SHA256-CRYPT").size() == 63); // $5$ + 16 salt + $ + 43, no rounds=
    CHECK(data("SHA512-CRYPT").substr(0, 3) == "$6$");
    CHECK(data("SHA512-CRYPT").size() == 106);
    // SCRAM: 4096 iterations, 16-byte salt.
    std::string scram = data("SCRAM-SHA-256");
    CHECK(scram.substr(0, 5) == "4096,");
    CHECK(scram.size() == 5 + 24 + 1 + 44 + 1 + 44);
    CHECK(data("SCRAM-SHA-1").size() == 5 + 24 + 1 + 28 + 1 + 28);
    // PBKDF2: $1$ + 16 salt characters + $5000$ + 40 hex digits.
    std::string pbkdf2 = data("PBKDF2");
    CHECK(pbkdf2.size() == 3 + 16 + 6 + 40);
    CHECK(pbkdf2.substr(19, 6) == "$5000$");
    // Argon2: doveadm's costs.
    CHECK(data("ARGON2I").substr(0, 29) == "$argon2i$v=19$m=32768,t=4,p=1");
    CHECK(data("ARGON2ID").substr(0, 30) == "$argon2id$v=19$m=65536,t=3,p=1");
    CHECK(data("ARGON2ID").size() == 30 + 1 + 22 + 1 + 43);
}

TEST_CASE("schemes: hash_password failures") {
    auto unknown = hash_password("RPA", "test");
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().code() == Status::Code::invalid_argument);
    CHECK(unknown.status().message() == "unknown password scheme RPA");
    CHECK(hash_password("sha256.hexx", "x").status().message() == "unknown password scheme SHA256.HEXX");
    auto digest = hash_password("DIGEST-MD5", "test");
    REQUIRE_FALSE(digest.is_ok());
    CHECK(digest.status().message() == "DIGEST-MD5 password needs a user name");
    auto nul = hash_password("SHA512-CRYPT", std::string("a\0b", 3));
    REQUIRE_FALSE(nul.is_ok());
    CHECK(nul.status().message() == "SHA512-CRYPT cannot hash a password containing NUL");
    auto big = hash_password("PLAIN", std::string(4097, 'a'));
    REQUIRE_FALSE(big.is_ok());
    CHECK(big.status().message() == "password longer than 4096 bytes");
    CHECK(hash_password("PLAIN", std::string(4096, 'a')).is_ok());
}

TEST_CASE("schemes: split_stored_password and the default scheme") {
    auto sp = split_stored_password("{sha256.hex}abc", "PLAIN");
    CHECK(sp.scheme == "SHA256.HEX");
    CHECK(sp.data == "abc");
    sp = split_stored_password("secret", "crypt");
    CHECK(sp.scheme == "CRYPT");
    CHECK(sp.data == "secret");
    sp = split_stored_password("{PLAIN", "plain-md5");
    CHECK(sp.scheme == "PLAIN-MD5");
    CHECK(sp.data == "{PLAIN");
    sp = split_stored_password("{}x", "PLAIN");
    CHECK(sp.scheme == "");
    CHECK(sp.data == "x");
    sp = split_stored_password("", "sha");
    CHECK(sp.scheme == "SHA");
    CHECK(sp.data == "");
    // The prefix wins over the default scheme.
    CHECK(*verify_password("{PLAIN}test", "test", "", "SHA512-CRYPT"));
    CHECK(*verify_password("{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test", "", "PLAIN"));
    // Without a prefix the default applies, case-insensitively.
    CHECK(*verify_password("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test", "", "sha256"));
    CHECK_FALSE(*verify_password("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test", "", "PLAIN"));
    CHECK(*verify_password("$1$.kauvVK3$JroONIBf1t2EgtdtuhQHU.", "test", "", "CRYPT"));
    CHECK(*verify_password("test", "test"));
    // "{" without "}" is data of the default scheme.
    CHECK(*verify_password("{test", "{test"));
    CHECK(verify_error("{PLAIN", "x", "") == "");
    CHECK(verify_error("{}test") == "unknown password scheme ");
}

TEST_CASE("schemes: malformed stored values fail cleanly with the reason") {
    CHECK(verify_error("{FOO}x") == "unknown password scheme FOO");
    CHECK(verify_error("{SHA256.HEXX}00") == "unknown password scheme SHA256.HEXX");
    CHECK(verify_password("x", "test", "", "nope").status().message() == "unknown password scheme NOPE");
    // Digests: bad base64, bad hex, wrong lengths.
    CHECK(verify_error("{SHA256}bad!") == "malformed SHA256 hash: invalid base64");
    CHECK(verify_error("{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg") == "malformed SHA256 hash: invalid base64");
    CHECK(verify_error("{SHA256}dGVzdA==") == "malformed SHA256 hash: wrong digest length");
    CHECK(verify_error("{SHA256}") == "malformed SHA256 hash: wrong digest length");
    CHECK(verify_error("{SHA256.HEX}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=") == "malformed SHA256 hash: invalid hex");
    CHECK(verify_error("{SHA256.HEX}9f86d0") == "malformed SHA256 hash: wrong digest length");
    CHECK(verify_error("{PLAIN-MD5}098f6bcd4621d373cade4e832627b4fg") == "malformed PLAIN-MD5 hash: invalid hex");
    CHECK(verify_error("{PLAIN-MD5}098f6bcd") == "malformed PLAIN-MD5 hash: wrong digest length");
    CHECK(verify_error("{SHA512}AAAA") == "malformed SHA512 hash: wrong digest length");
    CHECK(verify_error("{PLAIN.B64}dGVzdA=") == "malformed PLAIN hash: invalid base64");
    CHECK(verify_error("{PLAIN.HEX}7465737") == "malformed PLAIN hash: invalid hex");
    // Salted digests: no room for a salt.
    CHECK(verify_error("{SSHA}Va7yj9PE") == "malformed SSHA hash: too short for a digest and a salt");
    CHECK(verify_error("{SSHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=") == "malformed SSHA hash: too short for a digest and a salt");
    CHECK(verify_error("{SMD5}") == "malformed SMD5 hash: too short for a digest and a salt");
    CHECK(verify_error("{SSHA512}!!!!") == "malformed SSHA512 hash: invalid base64");
    CHECK(verify_error("{CRAM-MD5}e02d374f") == "malformed CRAM-MD5 hash: wrong digest length");
    CHECK(verify_error("{CRAM-MD5.HEX}e02d374f") == "malformed CRAM-MD5 hash: wrong digest length");
    CHECK(verify_error("{DIGEST-MD5}zz") == "malformed DIGEST-MD5 hash: invalid base64");
    // {MD5}: neither $1$ nor a digest.
    CHECK(verify_error("{MD5}abc") == "malformed MD5 hash: neither $1$ nor an MD5 digest");
    CHECK(verify_error("{MD5}098f6bcd4621d373cade4e832627b4fz") == "malformed MD5 hash: neither $1$ nor an MD5 digest");
    // crypt(3): truncated, foreign and empty strings.
    CHECK(verify_error("{CRYPT}abc") == "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{SHA512-CRYPT}$6") == "malformed SHA512-CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{CRYPT}4ZtRq3xJ6dR1") == "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{CRYPT}$3$$8846f7eaee8fb117ad06bdd830b7586c") ==
          "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{MD5-CRYPT}4ZtRq3xJ6dR1s") == "malformed MD5-CRYPT hash: not a $1$ string");
    CHECK(verify_error("{BLF-CRYPT}$2y$05") == "malformed BLF-CRYPT hash: bcrypt cost missing or above 13");
    CHECK(verify_error("{BLF-CRYPT}$2y$05$short") == "malformed BLF-CRYPT hash: libcrypt cannot read it");
    CHECK(verify_error("{SHA512-CRYPT}$6$rounds=$x$y") ==
          "malformed SHA512-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{SHA512-CRYPT}$6$rounds=12") == "malformed SHA512-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{SHA512-CRYPT}$6$rounds=-5$x$y") ==
          "malformed SHA512-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{CRYPT}$y$j9$abc$def") == "malformed CRYPT hash: yescrypt parameters outside the supported costs");
    CHECK(verify_error(std::string("{SHA512-CRYPT}") + std::string(600, 'a')) == "malformed SHA512-CRYPT hash: too long");
    // SCRAM: field counts, numbers, base64, lengths.
    const std::string salt = "gWI8C/+hKUfAQAw0tvs/+Q==", k1 = "t2CBvLHzpz61xd8YXeiPsNLGOkM=";
    CHECK(verify_error("{SCRAM-SHA-1}4096," + salt + "," + k1) == "malformed SCRAM-SHA-1 hash: fewer than 4 fields");
    CHECK(verify_error("{SCRAM-SHA-1}4096," + salt + "," + k1 + "," + k1 + ",x") ==
          "malformed SCRAM-SHA-1 hash: more than 4 fields");
    CHECK(verify_error("{SCRAM-SHA-1}x," + salt + "," + k1 + "," + k1) ==
          "malformed SCRAM-SHA-1 hash: iterations not a number from 1 to 1000000");
    CHECK(verify_error("{SCRAM-SHA-1}0," + salt + "," + k1 + "," + k1) ==
          "malformed SCRAM-SHA-1 hash: iterations not a number from 1 to 1000000");
    CHECK(verify_error("{SCRAM-SHA-1}4096," + salt + ",!!," + k1) == "malformed SCRAM-SHA-1 hash: invalid base64");
    CHECK(verify_error("{SCRAM-SHA-256}4096," + salt + "," + k1 + "," + k1) ==
          "malformed SCRAM-SHA-256 hash: wrong salt or key length");
    CHECK(verify_error("{SCRAM-SHA-1}4096,," + k1 + "," + k1) == "malformed SCRAM-SHA-1 hash: wrong salt or key length");
    CHECK(verify_error("{SCRAM-SHA-1}") == "malformed SCRAM-SHA-1 hash: fewer than 4 fields");
    // PBKDF2.
    CHECK(verify_error("{PBKDF2}$2$salt$5000$00") == "malformed PBKDF2 hash: does not start with $1$");
    CHECK(verify_error("{PBKDF2}$1$salt") == "malformed PBKDF2 hash: no rounds field");
    CHECK(verify_error("{PBKDF2}$1$salt$5000") == "malformed PBKDF2 hash: no hash field");
    CHECK(verify_error("{PBKDF2}$1$salt$$00") == "malformed PBKDF2 hash: rounds not a number from 1 to 1000000");
    CHECK(verify_error("{PBKDF2}$1$QyxcQjNwZXrL4Cfl$5000$57601d6404317c37e56391d367f3efc42fec03") ==
          "malformed PBKDF2 hash: hash is not 40 hex digits");
    CHECK(verify_error("{PBKDF2}$1$QyxcQjNwZXrL4Cfl$5000$57601d6404317c37e56391d367f3efc42fec03eZ") ==
          "malformed PBKDF2 hash: hash is not 40 hex digits");
    // Argon2.
    const std::string a2 = "$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY";
    CHECK(verify_error("{ARGON2ID}$argon2d$v=19$m=65536,t=3,p=1" + a2) ==
          "malformed ARGON2ID hash: not $argon2i$ or $argon2id$");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=20$m=65536,t=3,p=1" + a2) == "malformed ARGON2ID hash: unknown version");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$t=3,p=1" + a2) ==
          "malformed ARGON2ID hash: memory cost missing or above 256 MiB");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,p=1" + a2) ==
          "malformed ARGON2ID hash: time cost missing or above 10");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3" + a2) ==
          "malformed ARGON2ID hash: parallelism missing or above 8");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hH=") ==
          "malformed ARGON2ID hash: invalid salt or hash");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ") ==
          "malformed ARGON2ID hash: salt or hash length out of range");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY") ==
          "malformed ARGON2ID hash: salt or hash length out of range");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=4,t=3,p=1" + a2) ==
          "malformed ARGON2ID hash: cost parameters below argon2's minimum");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=0,p=1" + a2) ==
          "malformed ARGON2ID hash: cost parameters below argon2's minimum");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1" + a2 + "$x") ==
          "malformed ARGON2ID hash: invalid salt or hash");
    // Oversized stored values.
    CHECK(verify_error("{PLAIN}" + std::string(8200, 'a')) == "stored password longer than 8192 bytes");
}

TEST_CASE("schemes: costs above the bounds are refused before any hashing") {
    // Each of these would take minutes or gigabytes if it were run.
    CHECK(verify_error("{SHA512-CRYPT}$6$rounds=999999999$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkh"
                       "t6EQZ7yDeZK24lyrAGTY4m16kRA04M8wzpUT/") ==
          "malformed SHA512-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{SHA256-CRYPT}$5$rounds=1000001$saltsalt$c3S0qxsqmdrdxxr52com3JI1igIbZJfoLqOmzbU2W9.") ==
          "malformed SHA256-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{BLF-CRYPT}$2y$31$abcdefghijklmnopqrstuuoD8yw7MmybLKVooaTGGZAt3HXugv2.a") ==
          "malformed BLF-CRYPT hash: bcrypt cost missing or above 13");
    CHECK(verify_error("{BLF-CRYPT}$2b$16$abcdefghijklmnopqrstuuoD8yw7MmybLKVooaTGGZAt3HXugv2.a") ==
          "malformed BLF-CRYPT hash: bcrypt cost missing or above 13");
    // Cost 14 and 15 take 0.9 s and 2.3 s per check on the reference machine.
    CHECK(verify_error("{BLF-CRYPT}$2y$14$OmRboky7vSM8GnOEsxR2h.aYm3P45X1gwmj1OAiqJ3W3TuKgxcbZm") ==
          "malformed BLF-CRYPT hash: bcrypt cost missing or above 13");
    CHECK(verify_error("{BLF-CRYPT}$2y$15$bK9PXMpMDGCEsv7721U9Ye7yXpC1l4rGtt3l7yactzf7xE2rXOG4W") ==
          "malformed BLF-CRYPT hash: bcrypt cost missing or above 13");
    CHECK(verify_error("{CRYPT}$y$jzT$af7Xt6kx5t/Jfnip0250Z.$gXgQvIMkXLh3/IaoCQ9onwGLKdmwW5gc/mtp.cTQjK2") ==
          "malformed CRYPT hash: yescrypt parameters outside the supported costs");
    // yescrypt cost 9 (256 MiB) and 11 (1 GiB, 2.7 s), as crypt_gensalt writes them.
    CHECK(verify_error("{CRYPT}$y$jDT$HMjkJ/RlI57zAeA/exkrJ/$c3fnYu/d2toRL91lFM5vggwO1vyIwJ7kuMijimXnyCD") ==
          "malformed CRYPT hash: yescrypt parameters outside the supported costs");
    CHECK(verify_error("{CRYPT}$y$jFT$FwyyPEb9hUlVRf8BBm.EZ1$gXgQvIMkXLh3/IaoCQ9onwGLKdmwW5gc/mtp.cTQjK2") ==
          "malformed CRYPT hash: yescrypt parameters outside the supported costs");
    CHECK(verify_error("{CRYPT}$y$jCU$zuOKdLrxdyBIE2oC/oBES.$DuXzXIQAYERcXpIgiSjoFj0jx3Yko0MJsei.4xFgt6C") ==
          "malformed CRYPT hash: yescrypt parameters outside the supported costs");
    CHECK(verify_error("{CRYPT}_zzzzsaltxxxxxxxxxxx") == "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{PBKDF2}$1$salt$999999999$57601d6404317c37e56391d367f3efc42fec03ec") ==
          "malformed PBKDF2 hash: rounds not a number from 1 to 1000000");
    CHECK(verify_error("{PBKDF2}$1$salt$99999999999999999999$57601d6404317c37e56391d367f3efc42fec03ec") ==
          "malformed PBKDF2 hash: rounds not a number from 1 to 1000000");
    CHECK(verify_error("{SCRAM-SHA-1}4000000,gWI8C/+hKUfAQAw0tvs/+Q==,t2CBvLHzpz61xd8YXeiPsNLGOkM=,"
                       "ihkylGIflQX7Uv+gzxckissJ/GY=") ==
          "malformed SCRAM-SHA-1 hash: iterations not a number from 1 to 1000000");
    const std::string a2 = "$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY";
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1" + a2) ==
          "malformed ARGON2ID hash: memory cost missing or above 256 MiB");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=1000,p=1" + a2) ==
          "malformed ARGON2ID hash: time cost missing or above 10");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=255" + a2) ==
          "malformed ARGON2ID hash: parallelism missing or above 8");
    // The value that ran for over 60 s and took a GiB per check.
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=1048576,t=32,p=16" + a2) ==
          "malformed ARGON2ID hash: memory cost missing or above 256 MiB");
    // Each parameter just above its own bound.
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=262145,t=1,p=1" + a2) ==
          "malformed ARGON2ID hash: memory cost missing or above 256 MiB");
    CHECK(verify_error("{ARGON2I}$argon2i$v=19$m=8192,t=11,p=1" + a2) ==
          "malformed ARGON2I hash: time cost missing or above 10");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=9" + a2) ==
          "malformed ARGON2ID hash: parallelism missing or above 8");
    // Time grows with memory times passes: each within its bound, the product not.
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=262144,t=2,p=1" + a2) ==
          "malformed ARGON2ID hash: memory cost times time cost above 256 MiB");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=65536,t=5,p=1" + a2) ==
          "malformed ARGON2ID hash: memory cost times time cost above 256 MiB");
    CHECK(verify_error("{ARGON2ID}$argon2id$v=19$m=32768,t=10,p=8" + a2) ==
          "malformed ARGON2ID hash: memory cost times time cost above 256 MiB");
    // At the bounds, still accepted (and a mismatch here).
    CHECK_FALSE(*verify_password("{SHA256-CRYPT}$5$rounds=1000$saltsalt$c3S0qxsqmdrdxxr52com3JI1igIbZJfoLqOmzbU2W9.",
                                 "test"));
    auto at_argon2 = verify_password("{ARGON2ID}$argon2id$v=19$m=65536,t=4,p=8" + a2, "test");
    REQUIRE_MESSAGE(at_argon2, at_argon2.status().message());
    CHECK_FALSE(*at_argon2);
    // yescrypt cost 8, the highest accepted ("test", made by libxcrypt's crypt_gensalt).
    auto at_yescrypt = verify_password("{CRYPT}$y$jCT$zuOKdLrxdyBIE2oC/oBES.$DuXzXIQAYERcXpIgiSjoFj0jx3Yko0MJsei.4xFgt6C",
                                       "test");
    REQUIRE_MESSAGE(at_yescrypt, at_yescrypt.status().message());
    CHECK(*at_yescrypt);
    auto at_bcrypt = hash_password_rounds("BLF-CRYPT", "test", "", 13);
    REQUIRE_MESSAGE(at_bcrypt, at_bcrypt.status().message());
    CHECK(at_bcrypt->substr(0, 18) == "{BLF-CRYPT}$2y$13$");
    CHECK(*verify_password(*at_bcrypt, "test"));
    // A plaintext over the bound is a mismatch without hashing.
    CHECK_FALSE(*verify_password("{PLAIN}test", std::string(5000, 'a')));
}

TEST_CASE("schemes: hash_password_rounds writes the cost as doveadm pw -r does") {
    auto h = hash_password_rounds("SHA512-CRYPT", "test", "", 12345);
    REQUIRE(h.is_ok());
    CHECK(h->substr(0, 29) == "{SHA512-CRYPT}$6$rounds=12345");
    CHECK(*verify_password(*h, "test"));
    CHECK_FALSE(*verify_password(*h, "tesT"));
    // doveadm pw -r 100 writes rounds=1000 (libcrypt's minimum); 5000 is the default, not written.
    CHECK(hash_password_rounds("SHA256-CRYPT", "test", "", 100)->substr(0, 28) == "{SHA256-CRYPT}$5$rounds=1000");
    CHECK(hash_password_rounds("SHA512-CRYPT", "test", "", 5000)->find("rounds=") == std::string::npos);
    CHECK(hash_password_rounds("BLF-CRYPT", "test", "", 3)->substr(0, 18) == "{BLF-CRYPT}$2y$04$");
    CHECK(hash_password_rounds("blf-crypt", "test", "", 6)->substr(0, 18) == "{BLF-CRYPT}$2y$06$");
    CHECK(hash_password_rounds("CRYPT", "test", "", 4)->substr(0, 14) == "{CRYPT}$2y$04$");
    auto p = hash_password_rounds("PBKDF2", "test", "", 1500);
    REQUIRE(p.is_ok());
    CHECK(p->substr(27, 6) == "$1500$");
    CHECK(*verify_password(*p, "test"));
    auto hex = hash_password_rounds("SHA512-CRYPT.HEX", "test", "", 1000);
    REQUIRE(hex.is_ok());
    CHECK(*verify_password(*hex, "test"));
    CHECK(hash_password_rounds("SHA256", "test", "", 0)->substr(0, 8) == "{SHA256}");
    // Costs verify_password would refuse are not written either.
    CHECK(hash_password_rounds("SHA512-CRYPT", "t", "", 1000001).status().message() ==
          "SHA512-CRYPT rounds must be at most 1000000");
    CHECK(hash_password_rounds("BLF-CRYPT", "t", "", 14).status().message() == "BLF-CRYPT cost must be at most 13");
    CHECK(hash_password_rounds("CRYPT", "t", "", 14).status().message() == "CRYPT cost must be at most 13");
    CHECK(hash_password_rounds("PBKDF2", "t", "", 1000001).status().message() ==
          "PBKDF2 rounds must be at most 1000000");
    CHECK(hash_password_rounds("SHA256", "t", "", 5).status().message() == "scheme SHA256 has no rounds");
    CHECK(hash_password_rounds("scram-sha-1", "t", "", 5).status().message() == "scheme SCRAM-SHA-1 has no rounds");
    CHECK(hash_password_rounds("NOPE", "t", "", 5).status().message() == "unknown password scheme NOPE");
}

TEST_CASE("schemes: locked and disabled crypt values are a plain mismatch, not an error") {
    // shadow(5) / passwd(5) forms that lock an account: "*", "*LK*" (Solaris),
    // "!" and "!!" (passwd -l, useradd without a password), "!" before a
    // hash (usermod -L), "x" (the hash is in /etc/shadow) and empty. A
    // temporary failure for these would tell an attacker the account exists.
    const std::string sha512 =
        "$6$rounds=1000$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkht6EQZ7yDeZK24lyrAGTY4m16kRA04M8wzpUT/";
    REQUIRE(*verify_password("{SHA512-CRYPT}" + sha512, "test")); // unlocked, the right password
    const std::vector<std::string> locked = {"*",  "*LK*", "*NP*", "!", "!!", "!" + sha512, "!!" + sha512,
                                             "*" + sha512, "!$1$.kauvVK3$JroONIBf1t2EgtdtuhQHU.", "!4ZtRq3xJ6dR1s",
                                             "!$2y$31$abcdefghijklmnopqrstuuoD8yw7MmybLKVooaTGGZAt3HXugv2.a",
                                             "*0", "x", ""};
    for (std::string_view scheme :
         {"CRYPT", "DES-CRYPT", "MD5-CRYPT", "MD5", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "crypt"}) {
        for (const std::string& value : locked) {
            CAPTURE(scheme);
            CAPTURE(value);
            for (std::string_view pass : {"test", "", "x", "*", "!"}) {
                auto r = verify_password("{" + std::string(scheme) + "}" + value, pass, "root");
                REQUIRE_MESSAGE(r, r.status().message());
                CHECK_FALSE(*r);
            }
            // Without a prefix, as the passwd and shadow passdbs hand them over.
            auto r = verify_password(value, "test", "root", scheme);
            REQUIRE_MESSAGE(r, r.status().message());
            CHECK_FALSE(*r);
        }
    }
    // With an encoding suffix the decoded value decides.
    CHECK_FALSE(*verify_password("{SHA512-CRYPT.HEX}21", "!"));
    CHECK_FALSE(*verify_password("{CRYPT.B64}eA==", "x"));
    // Only the crypt(3) schemes know these conventions: elsewhere "!" is data.
    CHECK(verify_error("{SSHA512}!") == "malformed SSHA512 hash: invalid base64");
    CHECK(verify_error("{SHA256}") == "malformed SHA256 hash: wrong digest length");
    CHECK(*verify_password("{PLAIN}!", "!"));
    CHECK(verify_error("{PBKDF2}!") == "malformed PBKDF2 hash: does not start with $1$");
    // Anything else that is not a crypt(3) string is still reported as broken.
    CHECK(verify_error("{CRYPT}abc") == "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{CRYPT}xx") == "malformed CRYPT hash: not a supported crypt(3) format");
    CHECK(verify_error("{SHA512-CRYPT}$6$rounds=12") == "malformed SHA512-CRYPT hash: rounds missing or above 1000000");
    CHECK(verify_error("{MD5-CRYPT}$6$x$y") == "malformed MD5-CRYPT hash: not a $1$ string");
}
