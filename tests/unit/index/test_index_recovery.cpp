// Rotation, torn writes and corrupt files: recovered with an error line,
// never a crash.
#include "index_test_util.hpp"

#include <algorithm>
#include <fstream>

using namespace index_test;
using loft_test::TempDir;

namespace {
std::string read_file(const std::filesystem::path& p) { return loft_test::slurp(p); }
void write_file(const std::filesystem::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}
void flip(const std::filesystem::path& p, std::size_t at) {
    std::string d = read_file(p);
    REQUIRE(at < d.size());
    d[at] = static_cast<char>(d[at] ^ 0x10);
    write_file(p, d);
}
std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}
} // namespace

TEST_CASE("log rotation while a reader holds an old state") {
    TempDir dir("idx");
    auto writer = open_index(dir.str(), 512);
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 2);
    REQUIRE(writer->commit([](WriteContext& ctx) { return ctx.cache_add(1, "envelope", "E1"); }).is_ok());
    auto old_state = *reader->refresh();
    auto log_inode = std::filesystem::status(dir.path / "loft.index.log").type();
    (void)log_inode;
    std::string first_log = read_file(dir.path / "loft.index.log");
    // Many commits: the log passes 512 bytes and rotates, more than once.
    for (Uid u = 3; u <= 60; ++u)
        append_range(*writer, u, u);
    CHECK(std::filesystem::exists(dir.path / "loft.index"));
    CHECK(read_file(dir.path / "loft.index.log").substr(0, 16) != first_log.substr(0, 16)); // new sequence
    // The old state is untouched and its cache still readable.
    CHECK(uids(*old_state) == std::vector<Uid>{1, 2});
    CHECK(reader->cache_lookup(*old_state, old_state->at(0), "envelope") == "E1");
    auto now = *reader->refresh();
    CHECK(now->count() == 60);
    CHECK(now->header().highest_modseq == writer->state()->header().highest_modseq);
    CHECK(reader->cache_lookup(*now, now->at(0), "envelope") == "E1");
    // The reader can commit on the new log.
    REQUIRE(reader->commit([](WriteContext& ctx) { return ctx.expunge(5); }).is_ok());
    CHECK((*writer->refresh())->count() == 59);
}

TEST_CASE("a reader finishes the old log before moving to the rotated one") {
    TempDir dir("idx");
    auto writer = open_index(dir.str(), 300);
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 1);
    REQUIRE(reader->refresh().is_ok());
    // This commit lands in the old log and then rotates it.
    std::string before = read_file(dir.path / "loft.index.log");
    append_range(*writer, 2, 10);
    std::string after = read_file(dir.path / "loft.index.log");
    CHECK(after.size() < before.size() + 100); // a new, short log
    auto st = *reader->refresh();
    CHECK(st->count() == 10);
    CHECK(st->at(9).modseq == writer->state()->at(9).modseq);
}

TEST_CASE("a torn record at the end of the log is ignored and cut off by the next writer") {
    TempDir dir("idx");
    std::string log_path = dir.str() + "/loft.index.log";
    std::uintmax_t good_size;
    {
        auto idx = open_index(dir.str());
        append_range(*idx, 1, 3);
        good_size = std::filesystem::file_size(log_path);
        append_range(*idx, 4, 6);
    }
    std::uintmax_t full = std::filesystem::file_size(log_path);
    for (std::uintmax_t cut : {full - 1, good_size + 10, good_size + 3}) {
        TempDir logs("idx-log");
        LogCapture capture(logs);
        std::string saved = read_file(log_path);
        std::filesystem::resize_file(log_path, cut);
        auto idx = open_index(dir.str());
        CHECK(uids(*idx->state()) == std::vector<Uid>{1, 2, 3});
        CHECK(capture.text().find("corrupt") == std::string::npos); // incomplete, not corrupt
        REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.append(rec(7)); }).is_ok());
        CHECK(capture.text().find("loft.index.log: removing " + std::to_string(cut - good_size) +
                                  " bytes of an incomplete record") != std::string::npos);
        auto again = open_index(dir.str());
        CHECK(uids(*again->state()) == std::vector<Uid>{1, 2, 3, 7});
        write_file(log_path, saved);
    }
}

TEST_CASE("a bit flip in the middle of the log means a rebuild, with an error line") {
    TempDir dir("idx");
    TempDir logs("idx-log");
    LogCapture capture(logs);
    std::string log_path = dir.str() + "/loft.index.log";
    ModSeq high;
    {
        auto idx = open_index(dir.str());
        append_range(*idx, 1, 3);
        append_range(*idx, 4, 6);
        append_range(*idx, 7, 9);
        high = idx->state()->header().highest_modseq;
    }
    flip(log_path, 40 + 30); // inside the first record
    auto idx = open_index(dir.str());
    CHECK(idx->state()->count() == 0);
    CHECK(idx->state()->header().uidvalidity == 0);
    CHECK(idx->state()->header().highest_modseq > high);
    std::string text = capture.text();
    CHECK(text.find("index: " + log_path + ": corrupt (record at offset 40: bad checksum), rebuilding") !=
          std::string::npos);
    // The driver's rebuild commit replaces the files.
    REQUIRE(idx->commit([](WriteContext& ctx) {
        ctx.set_uidvalidity(5);
        return ctx.append(rec(1));
    }).is_ok());
    auto again = open_index(dir.str());
    CHECK(uids(*again->state()) == std::vector<Uid>{1});
    CHECK(again->state()->header().uidvalidity == 5);
    CHECK(again->state()->at(0).modseq > high);
    CHECK(count_of(capture.text(), "corrupt") == 1);
}

TEST_CASE("bit flips in the snapshot and in the cache") {
    TempDir dir("idx");
    TempDir logs("idx-log");
    LogCapture capture(logs);
    ModSeq high;
    {
        auto idx = open_index(dir.str(), 100);
        append_range(*idx, 1, 30);
        REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.cache_add(2, "envelope", "ENVELOPE-OF-2"); }).is_ok());
        append_range(*idx, 31, 31); // rotation: snapshot + compacted cache
        high = idx->state()->header().highest_modseq;
    }
    std::string snap = read_file(dir.path / "loft.index");
    std::string cache = read_file(dir.path / "loft.index.cache");
    REQUIRE(cache.find("ENVELOPE-OF-2") != std::string::npos);

    SUBCASE("cache") {
        flip(dir.path / "loft.index.cache", cache.find("ENVELOPE-OF-2") + 3);
        auto idx = open_index(dir.str());
        auto st = idx->state();
        CHECK(st->count() == 31);
        CHECK(idx->cache_lookup(*st, st->at(1), "envelope") == std::nullopt);
        CHECK(capture.text().find("loft.index.cache: corrupt (entry at") != std::string::npos);
        // Asking again does not log again.
        std::size_t lines = count_of(capture.text(), "\n");
        CHECK(idx->cache_lookup(*st, st->at(1), "envelope") == std::nullopt);
        CHECK(count_of(capture.text(), "\n") == lines);
    }
    SUBCASE("cache header") {
        flip(dir.path / "loft.index.cache", 2);
        auto idx = open_index(dir.str());
        CHECK(idx->state()->count() == 31);
        CHECK(capture.text().find("loft.index.cache: corrupt (bad magic), rebuilding") != std::string::npos);
        // The next commit starts a new cache that works.
        REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.cache_add(3, "envelope", "E3"); }).is_ok());
        auto st = idx->state();
        CHECK(idx->cache_lookup(*st, st->at(2), "envelope") == "E3");
        CHECK(idx->cache_lookup(*st, st->at(1), "envelope") == std::nullopt);
        CHECK(uids(*open_index(dir.str())->state()).size() == 31);
    }
    SUBCASE("snapshot") {
        flip(dir.path / "loft.index", 112 + 64 * 5 + 4); // flags of the sixth record
        auto idx = open_index(dir.str());
        CHECK(idx->state()->count() == 0);
        CHECK(idx->state()->header().highest_modseq > high);
        CHECK(capture.text().find("index: " + dir.str() + "/loft.index: corrupt (bad checksum), rebuilding") !=
              std::string::npos);
    }
    SUBCASE("every byte of every file, one at a time: no crash") {
        std::string log = read_file(dir.path / "loft.index.log");
        for (const auto& [name, data] : {std::pair<std::string, std::string>{"loft.index", snap},
                                         {"loft.index.log", log},
                                         {"loft.index.cache", cache}}) {
            // Every header byte, then a sample of the rest (rewritten in
            // place: same size, no truncation).
            std::size_t stride = std::max<std::size_t>(1, data.size() / 100);
            for (std::size_t i = 0; i < data.size(); i += (i < 128 ? 1 : stride)) {
                std::string d = data;
                d[i] = static_cast<char>(d[i] ^ 0x41);
                std::fstream(dir.path / name, std::ios::binary | std::ios::in | std::ios::out) << d;
                auto idx = open_index(dir.str());
                auto st = idx->state();
                for (std::uint32_t k = 0; k < st->count(); ++k)
                    (void)idx->cache_lookup(*st, st->at(k), "envelope");
                // A changed byte is detected or harmless: never a wrong uid list.
                CHECK((st->count() == 0 || st->count() == 31));
            }
            write_file(dir.path / name, data);
        }
    }
}

TEST_CASE("a missing snapshot or log") {
    TempDir dir("idx");
    TempDir logs("idx-log");
    LogCapture capture(logs);
    {
        auto idx = open_index(dir.str(), 100);
        append_range(*idx, 1, 20); // rotates: the log is no longer the first one
    }
    SUBCASE("snapshot deleted") {
        std::filesystem::remove(dir.path / "loft.index");
        auto idx = open_index(dir.str());
        CHECK(idx->state()->count() == 0);
        CHECK(capture.text().find("loft.index.log: corrupt (missing, and the log does not start from an empty index)") !=
              std::string::npos);
    }
    SUBCASE("log deleted") {
        std::filesystem::remove(dir.path / "loft.index.log");
        auto idx = open_index(dir.str());
        CHECK(idx->state()->count() == 20);
        REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.append(rec(21)); }).is_ok());
        CHECK(open_index(dir.str())->state()->count() == 21);
    }
    SUBCASE("everything deleted behind an open index") {
        auto idx = open_index(dir.str());
        ModSeq high = idx->state()->header().highest_modseq;
        for (auto name : {"loft.index", "loft.index.log", "loft.index.cache"})
            std::filesystem::remove(dir.path / name);
        REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.append(rec(30)); }).is_ok());
        auto again = open_index(dir.str());
        CHECK(again->state()->find(30));
        CHECK(again->state()->header().highest_modseq > high);
    }
}

TEST_CASE("a read-only index reads the files and never writes") {
    TempDir dir("idx");
    {
        auto idx = open_index(dir.str());
        append_range(*idx, 1, 4);
    }
    std::string log = read_file(dir.path / "loft.index.log");
    IndexOptions o;
    o.dir = dir.str();
    o.read_only = true;
    auto idx = *MailIndex::open(o);
    CHECK(idx->state()->count() == 4);
    REQUIRE(idx->commit([](WriteContext& ctx) { return ctx.expunge(1); }).is_ok());
    CHECK(idx->state()->count() == 3);
    CHECK(read_file(dir.path / "loft.index.log") == log);
    // A read-only index of a directory without files is empty, and creates nothing.
    TempDir empty("idx");
    o.dir = empty.str() + "/sub";
    auto none = MailIndex::open(o);
    REQUIRE(none.is_ok());
    CHECK((*none)->state()->count() == 0);
    CHECK(!std::filesystem::exists(empty.path / "sub"));
}

TEST_CASE("a log cut below a reader's position is read again from the start") {
    TempDir dir("idx");
    auto writer = open_index(dir.str());
    auto reader = open_index(dir.str());
    append_range(*writer, 1, 2);
    auto size = std::filesystem::file_size(dir.path / "loft.index.log");
    append_range(*writer, 3, 4);
    CHECK((*reader->refresh())->count() == 4);
    std::filesystem::resize_file(dir.path / "loft.index.log", size);
    CHECK(uids(**reader->refresh()) == std::vector<Uid>{1, 2});
    // The writer's next commit goes after what is really there.
    REQUIRE(writer->commit([](WriteContext& ctx) { return ctx.append(rec(9)); }).is_ok());
    CHECK(uids(**reader->refresh()) == std::vector<Uid>{1, 2, 9});
    CHECK(uids(*open_index(dir.str())->state()) == std::vector<Uid>{1, 2, 9});
}
