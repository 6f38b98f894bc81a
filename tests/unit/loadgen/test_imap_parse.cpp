// The IMAP parse helpers on RFC 3501 response shapes.
#include <doctest/doctest.h>

#include "core/imap_parse.hpp"

using namespace loadgen;

TEST_CASE("parse_fetch: items, sections, literals, structures") {
    ImapUntagged u{"* 12 FETCH (UID 5 RFC822.SIZE 2048 FLAGS (\\Seen \\Flagged) MODSEQ (77) "
                   "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
                   "BODY[HEADER.FIELDS (FROM SUBJECT)] {19} ENVELOPE (NIL {3} NIL) BODY[TEXT]<0> NIL)",
                   {"From: a@b\r\nSub: x\r\n", "s\"j"}};
    auto f = parse_fetch(u);
    REQUIRE(f);
    CHECK(f->seq == 12);
    CHECK(f->uid == 5u);
    CHECK(f->rfc822_size == 2048u);
    CHECK(f->modseq == 77u);
    CHECK(f->internaldate == "17-Jul-1996 02:44:25 -0700");
    CHECK(f->has_flag("\\Flagged"));
    CHECK_FALSE(f->has_flag("\\Deleted"));
    CHECK(f->bodies.at("BODY[HEADER.FIELDS (FROM SUBJECT)]") == "From: a@b\r\nSub: x\r\n");
    CHECK(f->bodies.at("BODY[TEXT]<0>").empty());
    CHECK(f->structures.at("ENVELOPE") == "(NIL \"s\\\"j\" NIL)");
}

TEST_CASE("parse_fetch: other responses and malformed ones") {
    CHECK_FALSE(parse_fetch(ImapUntagged{"* 3 EXISTS", {}}));
    CHECK_FALSE(parse_fetch(ImapUntagged{"* OK [UIDNEXT 4] Predicted next UID", {}}));
    CHECK_THROWS_AS(parse_fetch(ImapUntagged{"* 0 FETCH (UID 1)", {}}), ProtocolError);
    CHECK_THROWS_AS(parse_fetch(ImapUntagged{"* 1 FETCH (UID x)", {}}), ProtocolError);
    CHECK_THROWS_AS(parse_fetch(ImapUntagged{"* 1 FETCH (UID 1 FLAGS (\\Seen)", {}}), ProtocolError);
    // A literal marker without its octets.
    CHECK_THROWS_AS(parse_fetch(ImapUntagged{"* 1 FETCH (BODY[] {4})", {}}), ProtocolError);
}

TEST_CASE("parse_search, parse_status, numbered responses") {
    CHECK(parse_search(ImapUntagged{"* SEARCH 2 84 882", {}}) == std::vector<std::uint32_t>{2, 84, 882});
    CHECK(parse_search(ImapUntagged{"* SEARCH", {}}) == std::vector<std::uint32_t>{});
    CHECK(parse_search(ImapUntagged{"* SORT 5 3 (MODSEQ 9)", {}}) == std::vector<std::uint32_t>{5, 3});
    CHECK_FALSE(parse_search(ImapUntagged{"* SEARCHX 1", {}}));
    auto st = parse_status(ImapUntagged{"* STATUS \"blurdy bloo\" (MESSAGES 231 UIDNEXT 44292)", {}});
    REQUIRE(st);
    CHECK(st->mailbox == "blurdy bloo");
    CHECK(st->items.at("MESSAGES") == 231);
    CHECK(st->items.at("UIDNEXT") == 44292);
    CHECK(parse_exists(ImapUntagged{"* 23 EXISTS", {}}) == 23u);
    CHECK_FALSE(parse_exists(ImapUntagged{"* 23 RECENT", {}}));
    CHECK_THROWS_AS(parse_exists(ImapUntagged{"* x EXISTS", {}}), ProtocolError);
}

TEST_CASE("parse_select collects SELECT's data") {
    ImapResponse r;
    r.status = "OK";
    r.text = "[READ-WRITE] Select completed.";
    r.untagged = {{"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", {}},
                  {"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Flags permitted.", {}},
                  {"* 172 EXISTS", {}},
                  {"* 1 RECENT", {}},
                  {"* OK [UIDVALIDITY 3857529045] UIDs valid", {}},
                  {"* OK [UIDNEXT 4392] Predicted next UID", {}}};
    SelectData sd = parse_select(r);
    CHECK(sd.exists == 172u);
    CHECK(sd.recent == 1u);
    CHECK(sd.uidvalidity == 3857529045u);
    CHECK(sd.uidnext == 4392u);
    CHECK(sd.flags.size() == 5);
    CHECK(sd.permanentflags == std::vector<std::string>{"\\Deleted", "\\Seen", "\\*"});
    CHECK_FALSE(sd.read_only);
}

TEST_CASE("uid sets round-trip") {
    CHECK(parse_uid_set("1:3,7,9:10") == std::vector<std::uint32_t>{1, 2, 3, 7, 9, 10});
    CHECK(parse_uid_set("5:*", 7) == std::vector<std::uint32_t>{5, 6, 7});
    CHECK(format_uid_set({1, 2, 3, 7, 9, 10}) == "1:3,7,9:10");
    CHECK(format_uid_set({}) == "");
    CHECK_THROWS_AS(parse_uid_set("1:20", 0, 10), ProtocolError);
    CHECK_THROWS_AS(parse_uid_set("1,x"), ProtocolError);
    CHECK(imap_string("a\"b") == "\"a\\\"b\"");
    CHECK(imap_string("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
    CHECK(imap_string("x\r\n", true) == "{3+}\r\nx\r\n");
}
