// UidSet, flag names and special-use names.
#include <doctest/doctest.h>

#include <mailstore/storage/types.hpp>

using namespace mailstore::storage;

TEST_CASE("UidSet merges adjacent and overlapping ranges") {
    UidSet s;
    s.add(5);
    s.add(7);
    CHECK(s.to_string() == "5,7");
    s.add(6);
    CHECK(s.to_string() == "5:7");
    s.add(10, 3);
    CHECK(s.to_string() == "3:10");
    s.add(12, 15);
    s.add(20);
    CHECK(s.to_string() == "3:10,12:15,20");
    s.add(11);
    CHECK(s.to_string() == "3:15,20");
    s.add(0);
    CHECK(s.to_string() == "3:15,20");
    s.add(1, 30);
    CHECK(s.to_string() == "1:30");
    CHECK(s.count() == 30);
    CHECK(s.min() == 1);
    CHECK(s.max() == 30);
}

TEST_CASE("UidSet remove splits ranges") {
    UidSet s = UidSet::parse("1:10").value();
    s.remove(5);
    CHECK(s.to_string() == "1:4,6:10");
    s.remove(1);
    s.remove(10);
    CHECK(s.to_string() == "2:4,6:9");
    s.remove(7);
    s.remove(100);
    CHECK(s.to_string() == "2:4,6,8:9");
    CHECK(s.contains(6));
    CHECK_FALSE(s.contains(7));
    CHECK_FALSE(s.contains(1));
    CHECK(s.to_vector() == std::vector<Uid>{2, 3, 4, 6, 8, 9});
}

TEST_CASE("UidSet counts with 64 bits and handles the top UID") {
    UidSet s;
    s.add(1, 0xffffffffU);
    CHECK(s.count() == 0xffffffffULL);
    s.add(0xffffffffU);
    CHECK(s.ranges().size() == 1);
    CHECK(s.to_string() == "1:4294967295");
    UidSet t;
    t.add(0xfffffffeU);
    t.add(0xffffffffU);
    CHECK(t.to_string() == "4294967294:4294967295");
    CHECK(t.count() == 2);
    CHECK(UidSet().min() == 0);
    CHECK(UidSet().max() == 0);
    CHECK(UidSet().to_string().empty());
}

TEST_CASE("UidSet parse accepts the IMAP form and rejects bad text") {
    CHECK(UidSet::parse("1:3,5,9:7").value().to_string() == "1:3,5,7:9");
    CHECK(UidSet::parse("4294967295").value().count() == 1);
    for (const char* bad : {"", ",", "1,", ",1", "1,,2", "0", "1:0", "a", "1:*", "*", "4294967296", "-1", "+1", "1:",
                            ":1", "1 2", "12345678901"}) {
        CAPTURE(bad);
        CHECK_FALSE(UidSet::parse(bad).has_value());
    }
}

TEST_CASE("flag names") {
    CHECK(format_flags(0).empty());
    CHECK(format_flags(all_mail_flags) == "\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    CHECK(format_flags(flag_seen | flag_answered) == "\\Answered \\Seen");
    CHECK(parse_flag("\\seen") == flag_seen);
    CHECK(parse_flag("\\DRAFT") == flag_draft);
    CHECK_FALSE(parse_flag("\\Recent").has_value());
    CHECK_FALSE(parse_flag("Seen").has_value());
    CHECK_FALSE(parse_flag("\\Seenx").has_value());
}

TEST_CASE("special-use names") {
    CHECK(format_special_use(special_sent | special_trash) == "\\Sent \\Trash");
    CHECK(format_special_use(0).empty());
    CHECK(parse_special_use("\\sent  \\JUNK") == (special_sent | special_junk));
    CHECK(parse_special_use("") == 0u);
    CHECK(parse_special_use("\\Important \\All") == (special_important | special_all));
    CHECK_FALSE(parse_special_use("\\Sent \\Inbox").has_value());
    CHECK_FALSE(parse_special_use("Sent").has_value());
}
