#include "auth/crypto.hpp"

#include <doctest/doctest.h>

TEST_CASE("crypto: random bytes differ") {
    auto a = mailstore::auth::crypto::random_bytes(16), b = mailstore::auth::crypto::random_bytes(16);
    CHECK(a.size() == 16);
    CHECK(a != b);
}
