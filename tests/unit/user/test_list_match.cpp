// LIST wildcards (RFC 3501 6.3.8): '*' crosses levels, '%' does not.
#include <doctest/doctest.h>

#include "user/list_match.hpp"

#include <string>

using mailstore::storage::list_combine;
using mailstore::storage::list_match;

TEST_CASE("'*' and '%' against names with separator '/'") {
    CHECK(list_match("*", "INBOX", '/'));
    CHECK(list_match("*", "a/b/c", '/'));
    CHECK(list_match("%", "a", '/'));
    CHECK_FALSE(list_match("%", "a/b", '/'));
    CHECK(list_match("a/%", "a/b", '/'));
    CHECK_FALSE(list_match("a/%", "a/b/c", '/'));
    CHECK(list_match("a/*", "a/b/c", '/'));
    CHECK_FALSE(list_match("a/*", "a", '/'));
    CHECK(list_match("a*", "a", '/'));
    CHECK(list_match("a*", "abc/d", '/'));
    CHECK_FALSE(list_match("a%", "abc/d", '/'));
    CHECK(list_match("%/%", "a/b", '/'));
    CHECK(list_match("*b", "a/b", '/'));
    CHECK_FALSE(list_match("*b", "a/bc", '/'));
    CHECK(list_match("a%c", "abbc", '/'));
    CHECK_FALSE(list_match("a%c", "ab/c", '/'));
    CHECK(list_match("a", "a", '/'));
    CHECK_FALSE(list_match("a", "A", '/'));
    CHECK_FALSE(list_match("", "a", '/'));
    // RFC 3501's example: "foo*" matches "foo/bar", "foo%" does not.
    CHECK(list_match("foo*", "foo/bar", '/'));
    CHECK_FALSE(list_match("foo%", "foo/bar", '/'));
    CHECK(list_match("foo%", "foobar", '/'));
    // Many stars: no exponential backtracking, same answer.
    CHECK_FALSE(list_match("*a*a*a*a*a*a*a*a*b", std::string(500, 'a'), '/'));
    CHECK(list_match("*a*a*a*a*a*a*a*a*", std::string(500, 'a'), '/'));
}

TEST_CASE("INBOX as the first level matches in any case; other levels do not") {
    CHECK(list_match("inbox", "INBOX", '.'));
    CHECK(list_match("InBox.%", "INBOX.Sent", '.'));
    CHECK(list_match("inb*", "INBOX", '.'));
    CHECK_FALSE(list_match("inbox.sent", "INBOX.Sent", '.'));
    CHECK_FALSE(list_match("inboxes", "INBOXES", '.'));
    CHECK_FALSE(list_match("x.inbox", "x.INBOX", '.'));
}

TEST_CASE("reference and pattern are joined without doubling the separator") {
    CHECK(list_combine("", "*", '/') == "*");
    CHECK(list_combine("Archive/", "%", '/') == "Archive/%");
    CHECK(list_combine("Archive/", "/x", '/') == "Archive/x");
    CHECK(list_combine("Archive", "/x", '/') == "Archive/x");
    CHECK(list_combine("~smith/Mail/", "foo.*", '/') == "~smith/Mail/foo.*");
}
