#include <doctest/doctest.h>
#include <mailstore/version.hpp>

#include <string>

TEST_CASE("the library reports the project version") {
    CHECK(std::string(mailstore::version()) == "0.1.0");
}
