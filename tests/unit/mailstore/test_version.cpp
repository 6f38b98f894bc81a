#include <doctest/doctest.h>
#include <mailstore/version.hpp>

#include "loft_build_config.hpp"

#include <string>

TEST_CASE("the shared library reports the version it was built as") {
    // A stale libmailstore.so picked up at run time would report another one.
    CHECK(std::string(mailstore::version()) == LOFT_VERSION);
}
