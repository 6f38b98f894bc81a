#include "auth/crypto.hpp"
#include "auth/password/cram_md5.hpp"
#include "auth/password/md5_state.hpp"

#include <doctest/doctest.h>

using namespace mailstore::auth;

TEST_CASE("cram-md5: context matches doveadm pw -s CRAM-MD5") {
    // `doveadm pw -s CRAM-MD5 -p test` (Debian dovecot-core 2.3.19); also the
    // spec's verified vector.
    CHECK(crypto::hex(password::cram_md5_context("test")) ==
          "e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6");
    // `doveadm pw -s CRAM-MD5 -p` with 70 'x' (longer than the 64-byte block:
    // the key is MD5-hashed first, RFC 2104 §2).
    CHECK(crypto::hex(password::cram_md5_context(std::string(70, 'x'))) ==
          "8103bb3a2a4b96a9ca9cce4efecc8d22ebe7163dff7401afb5aa16d4edcf9f1f");
    CHECK(password::cram_md5_context("").size() == 32);
}

TEST_CASE("cram-md5: HMAC from the context equals HMAC-MD5 of the password") {
    // RFC 2195 §2 example: key "tanstaaftanstaaf".
    std::string ctx = password::cram_md5_context("tanstaaftanstaaf");
    std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
    CHECK(crypto::hex(password::hmac_md5_from_context(ctx, challenge)) == "b913a602c7eda7a495b4e6e7334d3890");
    // RFC 2202 test case 2, and keys/data around the 64-byte block boundary.
    CHECK(crypto::hex(password::hmac_md5_from_context(password::cram_md5_context("Jefe"),
                                                      "what do ya want for nothing?")) ==
          "750c783e6ab0b503eaa86e310a5db738");
    for (std::size_t klen : {0u, 1u, 63u, 64u, 65u, 200u})
        for (std::size_t dlen : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 1000u}) {
            std::string key(klen, 'k'), data(dlen, 'd');
            for (std::size_t i = 0; i < dlen; ++i)
                data[i] = static_cast<char>(i * 7);
            CAPTURE(klen);
            CAPTURE(dlen);
            CHECK(password::hmac_md5_from_context(password::cram_md5_context(key), data) ==
                  crypto::hmac(crypto::Digest::md5, key, data));
        }
    CHECK(password::hmac_md5_from_context("short", "x").empty());
    CHECK(password::hmac_md5_from_context(std::string(33, 'a'), "x").empty());
}

TEST_CASE("md5 state: digest matches OpenSSL for split updates") {
    for (std::size_t len : {0u, 3u, 55u, 56u, 64u, 127u, 128u, 129u, 5000u}) {
        std::string data(len, '\0');
        for (std::size_t i = 0; i < len; ++i)
            data[i] = static_cast<char>(i * 31 + 5);
        password::Md5State s;
        s.update(std::string_view(data).substr(0, len / 3));
        s.update(std::string_view(data).substr(len / 3));
        CAPTURE(len);
        CHECK(s.finish() == crypto::md5(data));
    }
}
