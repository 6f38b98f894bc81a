#include "storage/maildir/uidlist.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace mailstore;
using mailstore::storage::Uid;
using namespace mailstore::storage::maildir;
using fmt_test::TempDir;

TEST_CASE("uidlist: Dovecot's own file reads and writes back byte for byte") {
    const std::string text = fmt_test::data_file("dovecot-uidlist.inbox");
    auto list = parse_uidlist(text);
    REQUIRE(list);
    CHECK(list->header.version == 3);
    CHECK(list->header.uidvalidity == 1795904438u);
    CHECK(list->header.next_uid == 7u);
    CHECK(list->header.guid == "f45db439b6530b6b0e4e000083ecc375");
    REQUIRE(list->entries.size() == 5);
    CHECK(list->entries[0].uid == 1);
    CHECK(list->entries[0].base == "1795904438.M968104P19982.vm,S=28,W=32");
    CHECK(list->entries[2].uid == 4);
    CHECK(list->entries[3].uid == 5);
    CHECK(list->entries[3].base == "dropped");
    CHECK(list->entries[3].field('W') == std::optional<std::string>("32"));
    CHECK(!list->entries[3].field('S'));
    CHECK(list->end_offset == text.size());
    CHECK(format_uidlist(*list) == text);

    const std::string t = fmt_test::data_file("dovecot-uidlist.empty");
    auto l = parse_uidlist(t);
    REQUIRE(l);
    CHECK(format_uidlist(*l) == t);

    // Dovecot appended UID 1 without rewriting the header "N1": the next
    // UID is 2 all the same, and a rewrite says so (as Dovecot's next does).
    const std::string one = fmt_test::data_file("dovecot-uidlist.one");
    CHECK(one.substr(0, 16) == "3 V1795904440 N1");
    auto o = parse_uidlist(one);
    REQUIRE(o);
    CHECK(o->header.next_uid == 2u);
    CHECK(format_uidlist(*o) == "3 V1795904440 N2" + one.substr(16));
    auto empty = parse_uidlist(fmt_test::data_file("dovecot-uidlist.empty"));
    REQUIRE(empty);
    CHECK(empty->entries.empty());
    CHECK(empty->header.next_uid == 1u);
}

TEST_CASE("uidlist: unknown extension fields are kept in order") {
    const std::string text = "3 V10 N9 G0123456789abcdef0123456789abcdef X7 Zz\n"
                             "3 S100 W104 P00000003 O2 Gffee Qzz :base3\n"
                             "8 :base8\n";
    auto list = parse_uidlist(text);
    REQUIRE(list);
    REQUIRE(list->header.other.size() == 2);
    CHECK(list->header.other[0] == std::pair<char, std::string>('X', "7"));
    const auto& e = list->entries[0];
    REQUIRE(e.ext.size() == 6);
    CHECK(e.field('P') == std::optional<std::string>("00000003"));
    CHECK(e.field('O') == std::optional<std::string>("2"));
    CHECK(e.field('Q') == std::optional<std::string>("zz"));
    CHECK(format_uidlist(*list) == text);
    CHECK(format_uidlist_line(e) == "3 S100 W104 P00000003 O2 Gffee Qzz :base3\n");
}

TEST_CASE("uidlist: versions 1 and 2") {
    auto v1 = parse_uidlist("1 1100000000 5\n1 1100000000.P1.h:2,S\n4 other\n");
    REQUIRE(v1);
    CHECK(v1->header.version == 1);
    CHECK(v1->header.uidvalidity == 1100000000u);
    CHECK(v1->header.next_uid == 5u);
    REQUIRE(v1->entries.size() == 2);
    CHECK(v1->entries[0].base == "1100000000.P1.h");
    CHECK(v1->entries[1].base == "other");
    auto v2 = parse_uidlist("2 1100000001 3\n2 :foo\n");
    REQUIRE(v2);
    CHECK(v2->entries[0].base == "foo");
    // Written back as version 3.
    CHECK(format_uidlist(*v1) == "3 V1100000000 N5\n1 :1100000000.P1.h\n4 :other\n");
}

TEST_CASE("uidlist: a version 3 file name with its info part matches the base name") {
    // Dovecot matches "1 :name:2,S" to the file name,S...:2,S in cur/
    // (observed with Dovecot 2.3.19): the info part is not part of the key.
    auto list = parse_uidlist("3 V1 N3 G0123456789abcdef0123456789abcdef\n1 :100.M1P1.h,S=12:2,S\n2 :200.M2P1.h\n");
    REQUIRE(list);
    REQUIRE(list->entries.size() == 2);
    CHECK(list->entries[0].base == "100.M1P1.h,S=12");
    CHECK(list->entries[1].base == "200.M2P1.h");
}

TEST_CASE("uidlist: the next UID never falls behind appended lines") {
    auto list = parse_uidlist("3 V1 N4 G0123456789abcdef0123456789abcdef\n1 :a\n2 :b\n4 :c\n");
    REQUIRE(list);
    CHECK(list->header.next_uid == 5u);
    CHECK(format_uidlist(*list).substr(0, 8) == "3 V1 N5 ");
}

TEST_CASE("uidlist: a last line without newline is being appended and is ignored") {
    const std::string text = "3 V1 N2\n1 :a\n2 :b";
    auto list = parse_uidlist(text);
    REQUIRE(list);
    CHECK(list->entries.size() == 1);
    CHECK(list->end_offset == 13u);
    CHECK(list->header.next_uid == 2u);
}

TEST_CASE("uidlist: corrupt files are rejected with the line number") {
    struct Case {
        const char* text;
        const char* needle;
    } cases[] = {
        {"", "line 1: empty file"},
        {"3 V1 N2", "line 1: header without end of line"},
        {"4 V1 N2\n", "line 1: unsupported version '4'"},
        {"x V1 N2\n", "line 1: unsupported version"},
        {"3 V1\n", "line 1: header lacks V"},
        {"3 N1\n", "line 1: header lacks V"},
        {"3 V0 N1\n", "line 1: UIDVALIDITY 0"},
        {"3 Vx N1\n", "line 1: bad UIDVALIDITY"},
        {"3 V1 N99999999999\n", "line 1: bad next UID"},
        {"3 V1 N1 Gxyz\n", "line 1: mailbox GUID"},
        {"3 V1 N1 v2\n", "line 1: header field 'v2' without a key letter"},
        {"3 V1 N5\n1 :a\n1 :b\n", "line 3: UID 1 not above the previous 1"},
        {"3 V1 N5\n2 :a\n1 :b\n", "line 3: UID 1 not above"},
        {"3 V1 N5\n0 :a\n", "line 2: bad UID"},
        {"3 V1 N5\nx :a\n", "line 2: bad UID"},
        {"3 V1 N5\n1 a\n", "line 2: field 'a' without a key letter"},
        {"3 V1 N5\n1 S3\n", "line 2: no ':' before the file name"},
        {"3 V1 N5\n1 :\n", "line 2: empty file name"},
        {"3 V1 N5\n1\n", "line 2: no file name"},
        {"3 V1 N5\n1 :a\n\n3 W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16 W17 W18 W19 W20 W21 W22 "
         "W23 W24 W25 W26 W27 W28 W29 W30 W31 W32 W33 :x\n",
         "line 4: too many fields"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = parse_uidlist(c.text);
        REQUIRE(!r);
        CHECK(r.status().code() == Status::Code::invalid_argument);
        CAPTURE(r.status().message());
        CHECK(r.status().message().find(c.needle) != std::string::npos);
    }
    const std::string long_line = "3 V1 N5\n1 :" + std::string(9000, 'a') + "\n";
    auto r = parse_uidlist(long_line);
    REQUIRE(!r);
    CHECK(r.status().message().find("line 2: line longer than 8192") != std::string::npos);
}

TEST_CASE("uidlist: write via .tmp + rename, then append and refresh") {
    TempDir dir;
    const std::string path = dir / "dovecot-uidlist";
    Uidlist list;
    list.header.uidvalidity = 1700000000;
    list.header.next_uid = 1;
    list.header.guid = "0123456789abcdef0123456789abcdef";
    list.entries.push_back({1, "1.M1P1.h,S=3,W=4", {}});
    REQUIRE(write_uidlist(path, list, index::FsyncMode::optimized));
    CHECK(fmt_test::read_file(path) == "3 V1700000000 N2 G0123456789abcdef0123456789abcdef\n1 :1.M1P1.h,S=3,W=4\n");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(::stat((path + ".tmp").c_str(), &st) != 0);

    auto mine = read_uidlist(path);
    REQUIRE(mine);
    auto other = read_uidlist(path);
    REQUIRE(other);
    REQUIRE(append_uidlist(path, *mine, {{2, "b", {{'W', "9"}}}, {5, "c", {}}}, index::FsyncMode::never));
    CHECK(mine->header.next_uid == 6u);
    CHECK(fmt_test::read_file(path) == "3 V1700000000 N2 G0123456789abcdef0123456789abcdef\n1 :1.M1P1.h,S=3,W=4\n"
                                       "2 W9 :b\n5 :c\n");
    auto changed = refresh_uidlist(path, *other);
    REQUIRE(changed);
    CHECK(*changed);
    REQUIRE(other->entries.size() == 3);
    CHECK(other->entries[2].uid == 5);
    CHECK(other->entries[1].field('W') == std::optional<std::string>("9"));
    CHECK(other->header.next_uid == 6u);
    auto again = refresh_uidlist(path, *other);
    REQUIRE(again);
    CHECK(!*again);

    // A UID not above the last one is refused and nothing is written.
    const std::string before = fmt_test::read_file(path);
    CHECK(!append_uidlist(path, *mine, {{5, "d", {}}}, index::FsyncMode::never));
    CHECK(fmt_test::read_file(path) == before);

    // A stale view (file replaced since) must refresh first.
    Uidlist replaced = *mine;
    replaced.entries.erase(replaced.entries.begin());
    REQUIRE(write_uidlist(path, replaced, index::FsyncMode::never));
    CHECK(append_uidlist(path, *mine, {{7, "e", {}}}, index::FsyncMode::never).code() == Status::Code::internal);
    auto re = refresh_uidlist(path, *other);
    REQUIRE(re);
    CHECK(*re);
    CHECK(other->entries.size() == 2);
    CHECK(other->entries[0].uid == 2);
}

TEST_CASE("uidlist: a half-written line of a crashed writer is dropped by the next append") {
    TempDir dir;
    const std::string path = dir / "dovecot-uidlist";
    fmt_test::write_file(path, "3 V5 N2\n1 :a\n2 :b");
    auto list = read_uidlist(path);
    REQUIRE(list);
    CHECK(list->entries.size() == 1);
    REQUIRE(append_uidlist(path, *list, {{3, "c", {}}}, index::FsyncMode::never));
    CHECK(fmt_test::read_file(path) == "3 V5 N2\n1 :a\n3 :c\n");
}

TEST_CASE("uidlist: complete lines another writer appended are never cut; the caller must read them first") {
    TempDir dir;
    const std::string path = dir / "dovecot-uidlist";
    fmt_test::write_file(path, "3 V5 N2\n1 :a\n");
    auto list = read_uidlist(path);
    REQUIRE(list);
    // Another writer (one that broke our lock as stale) numbers a message.
    fmt_test::write_file(path, "3 V5 N2\n1 :a\n2 :theirs\n");
    auto r = append_uidlist(path, *list, {{2, "mine", {}}}, index::FsyncMode::never);
    REQUIRE(!r);
    CHECK(r.code() == Status::Code::temporary_failure);
    CHECK(fmt_test::read_file(path) == "3 V5 N2\n1 :a\n2 :theirs\n");
    auto changed = refresh_uidlist(path, *list);
    REQUIRE(changed);
    CHECK(*changed);
    REQUIRE(append_uidlist(path, *list, {{3, "mine", {}}}, index::FsyncMode::never));
    CHECK(fmt_test::read_file(path) == "3 V5 N2\n1 :a\n2 :theirs\n3 :mine\n");
}

TEST_CASE("uidlist: read errors name the file") {
    TempDir dir;
    auto missing = read_uidlist(dir / "nope");
    CHECK(missing.status().code() == Status::Code::not_found);
    fmt_test::write_file(dir / "bad", "3 V1 N2\nzz :a\n");
    auto bad = read_uidlist(dir / "bad");
    REQUIRE(!bad);
    CHECK(bad.status().message() == dir / "bad" + ": line 2: bad UID");
}

TEST_CASE("uidlist: 100,000 messages parse and format back") {
    Uidlist list;
    list.header.uidvalidity = 1;
    for (Uid u = 1; u <= 100000; ++u)
        list.entries.push_back({u * 2, "1795904438.M968104P19982.mail.example.org,S=4123,W=4200", {}});
    const std::string text = format_uidlist(list);
    CHECK(text.size() > 5000000);
    auto parsed = parse_uidlist(text);
    REQUIRE(parsed);
    CHECK(parsed->entries.size() == 100000);
    CHECK(parsed->entries.back().uid == 200000u);
    CHECK(parsed->header.next_uid == 200001u);
}
