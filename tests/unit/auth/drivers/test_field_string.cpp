#include "auth/db/drivers.hpp"

#include <doctest/doctest.h>

using mailstore::auth::FieldList;
using mailstore::auth::parse_field_string;

namespace {
std::string dump(const FieldList& f) {
    std::string out;
    for (const auto& [k, v] : f)
        out += "[" + k + "=" + v + "]";
    return out;
}
} // namespace

TEST_CASE("field string: key=value, bare keys, repeated spaces and tabs") {
    CHECK(dump(parse_field_string("proxy=y host=127.0.0.1")) == "[proxy=y][host=127.0.0.1]");
    CHECK(dump(parse_field_string("  nodelay   nopassword\tuserdb_mail=maildir:~/M  ")) ==
          "[nodelay=][nopassword=][userdb_mail=maildir:~/M]");
    CHECK(dump(parse_field_string("a=b=c")) == "[a=b=c]");
    CHECK(dump(parse_field_string("empty=")) == "[empty=]");
    CHECK(dump(parse_field_string("")) == "");
    CHECK(dump(parse_field_string("   ")) == "");
}

TEST_CASE("field string: a repeated key keeps its first position and the last value") {
    CHECK(dump(parse_field_string("a=1 b=2 a=3")) == "[a=3][b=2]");
}

TEST_CASE("field string: a token without a key is skipped") {
    CHECK(dump(parse_field_string("=x k=v =")) == "[k=v]");
}

TEST_CASE("field string: bounded to 1024 fields") {
    std::string s;
    for (int i = 0; i < 1500; ++i)
        s += "k" + std::to_string(i) + "=v ";
    auto f = parse_field_string(s);
    CHECK(f.size() == 1024);
    CHECK(f.get("k1023") == "v");
    CHECK_FALSE(f.has("k1024"));
}
