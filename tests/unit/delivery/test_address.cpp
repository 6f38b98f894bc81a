// recipient_delimiter splitting: the table of docs/delivery.md.
#include "delivery_fixture.hpp"

#include "delivery/address.hpp"

using namespace loft_test;

TEST_CASE("addresses split at the first recipient_delimiter character, the domain kept") {
    struct Row {
        const char* address;
        const char* delimiters;
        const char* user;
        const char* detail;
    };
    const Row rows[] = {
        {"user+detail@example.com", "+", "user@example.com", "detail"},
        {"user@example.com", "+", "user@example.com", ""},
        {"user+a+b@example.com", "+", "user@example.com", "a+b"},
        // Several delimiters: whichever comes first splits (Dovecot 2.3).
        {"alice-y+z@example.com", "+-", "alice@example.com", "y+z"},
        {"alice+y-z@example.com", "+-", "alice@example.com", "y-z"},
        {"alice-y@example.com", "+", "alice-y@example.com", ""},
        // Empty detail.
        {"user+@example.com", "+", "user@example.com", ""},
        // Domain-less.
        {"user+box", "+", "user", "box"},
        {"user", "+", "user", ""},
        // No delimiter configured.
        {"user+detail@example.com", "", "user+detail@example.com", ""},
        // Nothing before the delimiter: no split.
        {"+detail@example.com", "+", "+detail@example.com", ""},
        // A quoted local part is not split inside the quotes; '@' inside is not the domain.
        {"\"john+doe\"+tag@example.com", "+", "\"john+doe\"@example.com", "tag"},
        {"\"a@b+c\"@example.com", "+", "\"a@b+c\"@example.com", ""},
        {"\"a\\\"+b\"+c@example.com", "+", "\"a\\\"+b\"@example.com", "c"},
        // The delimiter in the domain is not a delimiter.
        {"user@ex+ample.com", "+", "user@ex+ample.com", ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.address);
        CAPTURE(row.delimiters);
        AddressParts p = split_recipient_address(row.address, row.delimiters);
        CHECK(p.user == row.user);
        CHECK(p.detail == row.detail);
    }
}

TEST_CASE("Deliverer::split_address uses recipient_delimiter of the protocol's settings") {
    DeliveryFixture f;
    auto plain = f.deliverer();
    CHECK(plain.split_address("a+b@x.org").user == "a@x.org");
    CHECK(plain.split_address("a-b@x.org").user == "a-b@x.org");
    auto several = f.deliverer("recipient_delimiter = +-\n");
    CHECK(several.split_address("a-b@x.org").detail == "b");
    auto per_protocol = f.deliverer("protocol lmtp {\n  recipient_delimiter = _\n}\n");
    CHECK(per_protocol.split_address("a_b@x.org").detail == "b");
    CHECK(per_protocol.split_address("a+b@x.org").detail == "");
    auto lda = f.deliverer("protocol lmtp {\n  recipient_delimiter = _\n}\n", "lda");
    CHECK(lda.split_address("a+b@x.org").detail == "b");
}
