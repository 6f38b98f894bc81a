#include "storage/maildir/keywords_file.hpp"
#include "storage/subscriptions_file.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace mailstore;
using namespace mailstore::storage;
using namespace mailstore::storage::maildir;
using fmt_test::TempDir;

TEST_CASE("keywords: Dovecot's file") {
    const std::string text = fmt_test::data_file("dovecot-keywords");
    const auto kw = parse_keywords_file(text);
    CHECK(kw.name_of('a') == "kw1");
    CHECK(kw.name_of('b') == "$Junk");
    CHECK(kw.name_of('c') == "kw2");
    CHECK(kw.name_of('d') == "");
    CHECK(kw.name_of('A') == "");
    CHECK(kw.letter_of("$junk") == std::optional<char>('b'));
    CHECK(!kw.letter_of("nope"));
    CHECK(format_keywords_file(kw) == text);
}

TEST_CASE("keywords: gaps, bad lines and indexes beyond z") {
    const auto kw = parse_keywords_file("0 $Junk\n3 $Company\n26 toofar\nx bad\n2\n1  \n4 two words\n25 last\n3 dup\n5 $junk\r\n");
    CHECK(kw.name_of('a') == "$Junk");
    CHECK(kw.name_of('b') == "");
    CHECK(kw.name_of('c') == "");
    CHECK(kw.name_of('d') == "$Company");
    CHECK(kw.name_of('e') == "");
    CHECK(kw.name_of('f') == "");
    CHECK(kw.name_of('z') == "last");
    CHECK(format_keywords_file(kw) == "0 $Junk\n3 $Company\n25 last\n");
}

TEST_CASE("keywords: assign fills gaps first and stops at 26") {
    auto kw = parse_keywords_file("0 a0\n2 a2\n");
    CHECK(kw.assign("A0") == std::optional<char>('a'));
    CHECK(kw.assign("new") == std::optional<char>('b'));
    CHECK(kw.assign("next") == std::optional<char>('d'));
    CHECK(!kw.assign("bad name"));
    CHECK(!kw.assign(""));
    CHECK(!kw.assign("\\Seen"));
    for (int i = 0; i < 22; ++i) CHECK(kw.assign("k" + std::to_string(i)));
    CHECK(kw.name_of('z') == "k21");
    CHECK(!kw.assign("beyond26"));
    CHECK(kw.assign("k3") == kw.letter_of("k3"));
}

TEST_CASE("keywords: read and write the file") {
    TempDir dir;
    const std::string path = dir / "dovecot-keywords";
    auto none = read_keywords_file(path);
    REQUIRE(none);
    CHECK(none->name_of('a') == "");
    KeywordsFile kw;
    kw.assign("$Junk");
    kw.assign("$NonJunk");
    REQUIRE(write_keywords_file(path, kw, index::FsyncMode::optimized));
    CHECK(fmt_test::read_file(path) == "0 $Junk\n1 $NonJunk\n");
    struct stat st {};
    CHECK(::stat((path + ".lock").c_str(), &st) != 0);
    CHECK(::stat((path + ".tmp").c_str(), &st) != 0);
    auto back = read_keywords_file(path);
    REQUIRE(back);
    CHECK(back->name_of('b') == "$NonJunk");
}

TEST_CASE("subscriptions: Dovecot's V2 files") {
    const auto names = parse_subscriptions(fmt_test::data_file("subscriptions.maildirplusplus"), '/');
    CHECK(names == std::vector<std::string>{"INBOX", "Archive/2024", "Entw&APw-rfe"});
    const auto fs = parse_subscriptions(fmt_test::data_file("subscriptions.fs-utf8"), '.');
    CHECK(fs == std::vector<std::string>{"Archive.2024", "Entwürfe", "a.b"});
    CHECK(format_subscriptions({"INBOX", "Archive/2024", "Entw&APw-rfe"}, '/') ==
          fmt_test::data_file("subscriptions.maildirplusplus"));
}

TEST_CASE("subscriptions: the old unversioned form, duplicates, CRLF, empty lines") {
    const auto names = parse_subscriptions("INBOX\nINBOX.company\r\n\nINBOX\nINBOX.friends.orchestra", '/');
    CHECK(names == std::vector<std::string>{"INBOX", "INBOX.company", "INBOX.friends.orchestra"});
    CHECK(parse_subscriptions("", '/').empty());
    CHECK(parse_subscriptions("V\t2\n\n", '/').empty());
    // "V\t2" only counts on the first line.
    CHECK(parse_subscriptions("a\nV\t2\n", '/') == std::vector<std::string>{"a", "V\t2"});
    CHECK(parse_subscriptions(std::string(5000, 'x') + "\nok\n", '/') == std::vector<std::string>{"ok"});
}

TEST_CASE("subscriptions: written as Dovecot does, via a temporary file") {
    TempDir dir;
    const std::string path = dir / "subscriptions";
    auto missing = read_subscriptions(path, '/');
    REQUIRE(missing);
    CHECK(missing->empty());
    REQUIRE(write_subscriptions(path, {"INBOX", "Archive/2024"}, '/', index::FsyncMode::optimized));
    CHECK(fmt_test::read_file(path) == "V\t2\n\nINBOX\nArchive\t2024\n");
    auto back = read_subscriptions(path, '/');
    REQUIRE(back);
    CHECK(*back == std::vector<std::string>{"INBOX", "Archive/2024"});
    REQUIRE(write_subscriptions(path, {"a.b"}, index::FsyncMode::never));
    CHECK(fmt_test::read_file(path) == "a.b\n");
    CHECK(write_subscriptions(path, {"bad\nname"}, '/', index::FsyncMode::never).code() == Status::Code::invalid_argument);
    CHECK(write_subscriptions(path, {""}, '/', index::FsyncMode::never).code() == Status::Code::invalid_argument);
    CHECK(write_subscriptions(path, {"x"}, '\t', index::FsyncMode::never).code() == Status::Code::invalid_argument);
    CHECK(fmt_test::read_file(path) == "a.b\n");
    auto err = write_subscriptions(dir / "no/dir/subscriptions", {"x"}, '/', index::FsyncMode::never);
    CHECK(!err);
    CHECK(err.message().find(dir / "no/dir/subscriptions") == 0);
}
