#include "auth/crypto.hpp"

#include <doctest/doctest.h>

using namespace mailstore::auth;

TEST_CASE("crypto: known digests, HMAC (RFC 2202) and strict base64") {
    CHECK(crypto::hex(crypto::md5("test")) == "098f6bcd4621d373cade4e832627b4f6");
    CHECK(crypto::base64(crypto::sha256("secret")) == "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=");
    CHECK(crypto::hex(crypto::hmac(crypto::Digest::md5, "Jefe", "what do ya want for nothing?")) ==
          "750c783e6ab0b503eaa86e310a5db738");
    CHECK(crypto::unbase64("dGVzdA==") == std::optional<std::string>("test"));
    CHECK_FALSE(crypto::unbase64("dGVzdA=").has_value());
    CHECK_FALSE(crypto::unbase64("dGV zdA==").has_value());
    CHECK_FALSE(crypto::unbase64("dGVzdB==").has_value()); // non-zero padding bits
    CHECK(crypto::unhex("0aFF") == std::optional<std::string>("\x0a\xff"));
    CHECK_FALSE(crypto::unhex("0g").has_value());
    CHECK(crypto::constant_time_equal("abc", "abc"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
    // RFC 6070 PBKDF2-HMAC-SHA1 vector 2.
    CHECK(crypto::hex(crypto::pbkdf2(crypto::Digest::sha1, "password", "salt", 2, 20)) ==
          "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
}
