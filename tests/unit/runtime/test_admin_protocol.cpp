#include "admin_protocol.hpp"

#include <doctest/doctest.h>

using namespace loft;

TEST_CASE("admin fields escape tabs, newlines and backslashes and round-trip") {
    std::string nasty = "a\tb\nc\rd\\e";
    CHECK(admin::escape(nasty) == "a\\tb\\nc\\rd\\\\e");
    CHECK(admin::unescape(admin::escape(nasty)) == nasty);
    std::string line = admin::join({"KICK", nasty, ""});
    CHECK(line.find('\n') == std::string::npos);
    auto fields = admin::split(line);
    REQUIRE(fields.size() == 3);
    CHECK(fields[0] == "KICK");
    CHECK(fields[1] == nasty);
    CHECK(fields[2] == "");
    CHECK(admin::split("WHO") == std::vector<std::string>{"WHO"});
    CHECK(admin::unescape("trailing\\") == "trailing\\");
}
