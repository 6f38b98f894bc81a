// Reading the field cache through its mapping (index/cache_file.hpp): a
// reader sees what other writers append after it mapped the file, values
// larger than a page come back whole, and a cache cut short under a reader
// gives missing fields and one error line, never a crash or wrong bytes.
#include "index_test_util.hpp"

#include <fcntl.h>
#include <unistd.h>

using namespace index_test;
using loft_test::TempDir;

namespace {

Status add(MailIndex& idx, Uid uid, const std::string& field, const std::string& value) {
    auto r = idx.commit([&](WriteContext& ctx) { return ctx.cache_add(uid, field, value); });
    return r ? Status::ok() : r.status();
}

std::string big_value(std::size_t n, char seed) {
    std::string v(n, ' ');
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<char>('a' + (static_cast<std::size_t>(seed) + i * 7) % 26);
    return v;
}

} // namespace

TEST_CASE("a cache reader sees entries appended after its first lookup") {
    TempDir dir("idx");
    auto writer = open_index(dir.str());
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 3);
    REQUIRE(add(*writer, 1, "envelope", "E1").is_ok());
    auto st = *reader->refresh();
    CHECK(reader->cache_lookup(*st, st->at(0), "envelope") == "E1"); // the file is mapped now

    // Another writer appends: an entry past the mapping, one much larger
    // than a page, and a newer value of a field already read.
    const std::string large = big_value(300 * 1024, 'x');
    REQUIRE(add(*writer, 2, "bodystructure", large).is_ok());
    REQUIRE(add(*writer, 1, "envelope", "E1-new").is_ok());
    REQUIRE(add(*writer, 3, "sort.date", "1700000000").is_ok());
    st = *reader->refresh();
    CHECK(reader->cache_lookup(*st, st->at(1), "bodystructure") == large);
    CHECK(reader->cache_lookup(*st, st->at(0), "envelope") == "E1-new");
    CHECK(reader->cache_lookup(*st, st->at(2), "sort.date") == "1700000000");
    CHECK(reader->cache_lookup(*st, st->at(2), "envelope") == std::nullopt);

    // The reader's own appends, read back at once and by a third index.
    REQUIRE(add(*reader, 3, "envelope", "E3").is_ok());
    st = *reader->refresh();
    CHECK(reader->cache_lookup(*st, st->at(2), "envelope") == "E3");
    CHECK(reader->cache_lookup(*st, st->at(2), "sort.date") == "1700000000");
    auto third = open_index(dir.str());
    auto st3 = third->state();
    CHECK(third->cache_lookup(*st3, st3->at(1), "bodystructure") == large);
    CHECK(third->cache_lookup(*st3, st3->at(2), "envelope") == "E3");
}

TEST_CASE("a state from before a writer's appends still reads its own entries") {
    TempDir dir("idx");
    auto writer = open_index(dir.str());
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 2);
    REQUIRE(add(*writer, 1, "envelope", "old").is_ok());
    auto before = *reader->refresh();
    for (int i = 0; i < 50; ++i)
        REQUIRE(add(*writer, 2, "envelope", "v" + std::to_string(i) + big_value(5000, 'q')).is_ok());
    auto after = *reader->refresh();
    CHECK(reader->cache_lookup(*before, before->at(0), "envelope") == "old");
    CHECK(reader->cache_lookup(*before, before->at(1), "envelope") == std::nullopt);
    CHECK(reader->cache_lookup(*after, after->at(1), "envelope") == "v49" + big_value(5000, 'q'));
}

TEST_CASE("a cache cut short under a reader: fields missing, one error line, no crash") {
    TempDir dir("idx");
    TempDir logs("idx-log");
    LogCapture capture(logs);
    auto writer = open_index(dir.str());
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 40);
    for (Uid u = 1; u <= 40; ++u)
        REQUIRE(add(*writer, u, "bodystructure", "BS" + std::to_string(u) + big_value(2000, 'b')).is_ok());
    auto st = *reader->refresh();
    CHECK(reader->cache_lookup(*st, st->at(39), "bodystructure") == "BS40" + big_value(2000, 'b'));

    // Cut in place (not replaced by rename, as Loft never does): the pages
    // past the new end vanish from the reader's mapping.
    const std::string path = dir.str() + "/loft.index.cache";
    REQUIRE(::truncate(path.c_str(), 4096 + 100) == 0);
    for (Uid u = 1; u <= 40; ++u) {
        auto v = reader->cache_lookup(*st, st->at(u - 1), "bodystructure");
        // Either the entry survived whole or it is missing: never other bytes.
        if (v)
            CHECK(*v == "BS" + std::to_string(u) + big_value(2000, 'b'));
    }
    CHECK(reader->cache_lookup(*st, st->at(39), "bodystructure") == std::nullopt);
    CHECK(capture.text().find("loft.index.cache: corrupt (entry at") != std::string::npos);
}
