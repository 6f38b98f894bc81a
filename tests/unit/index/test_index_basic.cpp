// MailIndex operations and their persistence across reopen.
#include "index_test_util.hpp"

#include "index/codec.hpp"
#include "index/state_impl.hpp"

using namespace index_test;
using loft_test::TempDir;

TEST_CASE("xxh64 matches the reference values") {
    // Reference values of XXH64 with seed 0.
    CHECK(detail::xxh64("", 0) == 0xEF46DB3751D8E999ULL);
    CHECK(detail::xxh64("a", 1) == 0xD24EC4F1A98C6E5BULL);
    std::string long_text = "Nobody inspects the spammish repetition";
    CHECK(detail::xxh64(long_text.data(), long_text.size()) == 0xFBCEA83C8A378BF1ULL);
}

TEST_CASE("a fresh index starts its modseqs at the time and creates its files") {
    TempDir dir("idx");
    auto before = detail::time_modseq();
    auto idx = open_index(dir.str());
    auto st = idx->state();
    CHECK(st->count() == 0);
    CHECK(st->header().uidvalidity == 0);
    CHECK(st->header().next_uid == 1);
    CHECK(st->header().highest_modseq >= before);
    CHECK(st->header().highest_modseq <= detail::time_modseq());
    CHECK(std::filesystem::exists(dir.path / "loft.index.log"));
    CHECK(std::filesystem::exists(dir.path / "loft.index.cache"));
    CHECK(idx->watch_paths() == std::vector<std::string>{dir.str() + "/loft.index.log"});
    CHECK(!change_stamp(dir.str()).empty());
    CHECK(change_stamp(dir.str() + "/nothing").empty());
}

TEST_CASE("append, flags, keywords, sizes, expunge persist across reopen") {
    TempDir dir("idx");
    std::array<std::uint8_t, 16> guid{};
    guid[0] = 0xab;
    guid[15] = 0x01;
    ModSeq m1, m2, m3;
    std::uint32_t kw_work = 0, kw_junk = 0;
    {
        auto idx = open_index(dir.str());
        ModSeq start = idx->state()->header().highest_modseq;
        auto r = idx->commit([&](WriteContext& ctx) {
            ctx.set_uidvalidity(1234);
            ctx.set_mailbox_guid(guid);
            ctx.set_driver_state("mtime=5");
            kw_work = ctx.keyword_id("$Work");
            kw_junk = ctx.keyword_id("Junk");
            CHECK(ctx.keyword_id("$WORK") == kw_work); // case-insensitive
            for (Uid u = 1; u <= 5; ++u)
                if (auto s = ctx.append(rec(u, storage::flag_seen), u == 3 ? std::vector<std::uint32_t>{kw_work} : std::vector<std::uint32_t>{}); !s)
                    return s;
            CHECK(ctx.current().count() == 5);
            return Status::ok();
        });
        REQUIRE(r.is_ok());
        m1 = r->modseq;
        // Above the last modseq and never below the clock (microseconds).
        CHECK(m1 > start);
        CHECK(m1 >= mailstore::index::detail::time_modseq() - 60'000'000);
        CHECK(r->state->header().next_uid == 6);
        for (std::uint32_t i = 0; i < 5; ++i)
            CHECK(r->state->at(i).modseq == m1);

        r = idx->commit([&](WriteContext& ctx) {
            if (auto s = ctx.set_flags(2, storage::flag_flagged | storage::flag_seen, {kw_junk, kw_work}); !s)
                return s;
            // Setting the same value again is no change.
            if (auto s = ctx.set_flags(4, storage::flag_seen, {}); !s)
                return s;
            return ctx.set_sizes(5, 999, 1001);
        });
        REQUIRE(r.is_ok());
        m2 = r->modseq;
        CHECK(m2 > m1);
        CHECK(r->state->at(3).modseq == m1); // uid 4 unchanged

        r = idx->commit([&](WriteContext& ctx) { return ctx.expunge(3); });
        REQUIRE(r.is_ok());
        m3 = r->modseq;
        CHECK(m3 > m2);

        // A commit that changes nothing writes nothing and uses no modseq.
        auto log_size = std::filesystem::file_size(dir.path / "loft.index.log");
        r = idx->commit([&](WriteContext& ctx) { return ctx.set_flags(1, storage::flag_seen, {}); });
        REQUIRE(r.is_ok());
        CHECK(r->modseq == 0);
        CHECK(std::filesystem::file_size(dir.path / "loft.index.log") == log_size);

        // A failing apply writes nothing.
        r = idx->commit([&](WriteContext& ctx) {
            (void)ctx.append(rec(10));
            return Status::invalid("no");
        });
        CHECK(!r.is_ok());
        CHECK(r.status().message() == "no");
        CHECK(std::filesystem::file_size(dir.path / "loft.index.log") == log_size);
        CHECK(!idx->state()->find(10));
    }
    auto idx = open_index(dir.str());
    auto st = idx->state();
    CHECK(uids(*st) == std::vector<Uid>{1, 2, 4, 5});
    CHECK(st->header().uidvalidity == 1234);
    CHECK(st->header().mailbox_guid == guid);
    CHECK(st->header().driver_state == "mtime=5");
    CHECK(st->header().keywords == std::vector<std::string>{"$Work", "Junk"});
    CHECK(st->header().highest_modseq == m3);
    CHECK(st->header().next_uid == 6);
    const Record& r2 = st->at(*st->find(2));
    CHECK(r2.flags == (storage::flag_flagged | storage::flag_seen));
    CHECK(st->keyword_ids(r2) == std::vector<std::uint32_t>{kw_work, kw_junk});
    CHECK(r2.modseq == m2);
    CHECK(r2.received_date == 1700000002);
    CHECK(r2.save_date == 1700000102);
    const Record& r5 = st->at(*st->find(5));
    CHECK(r5.physical_size == 999);
    CHECK(r5.virtual_size == 1001);
    CHECK(r5.modseq == m1); // sizes are no visible change
    CHECK(!st->find(3));
    CHECK(st->lower_bound(3) == 2);
    CHECK(st->lower_bound(6) == 4);
    CHECK(st->expunged_since(m2)->to_string() == "3");
    CHECK(st->expunged_since(m3)->empty());
}

TEST_CASE("invalid changes are refused") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    append_range(*idx, 1, 3);
    auto r = idx->commit([&](WriteContext& ctx) { return ctx.append(rec(2)); });
    CHECK(r.status().code() == Status::Code::invalid_argument);
    r = idx->commit([&](WriteContext& ctx) { return ctx.expunge(9); });
    CHECK(r.status().code() == Status::Code::not_found);
    r = idx->commit([&](WriteContext& ctx) { return ctx.set_flags(1, 0, {7}); });
    CHECK(r.status().code() == Status::Code::invalid_argument);
    r = idx->commit([&](WriteContext& ctx) { return ctx.append(rec(0)); });
    CHECK(!r.is_ok());
    r = idx->commit([&](WriteContext& ctx) { return ctx.cache_add(9, "envelope", "x"); });
    CHECK(r.status().code() == Status::Code::not_found);
    CHECK(uids(*idx->state()) == std::vector<Uid>{1, 2, 3});
}

TEST_CASE("header setters never lower next_uid, first_recent_uid or the modseq") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    ModSeq high = idx->state()->header().highest_modseq;
    constexpr ModSeq kAhead = 3'600'000'000; // an hour of clock microseconds
    auto r = idx->commit([&](WriteContext& ctx) {
        ctx.set_next_uid(50);
        ctx.set_next_uid(10);
        ctx.set_first_recent_uid(7);
        ctx.set_first_recent_uid(3);
        // Far above the clock floor (modseqs are never below the time in
        // microseconds): a slow machine must not overtake it between the
        // open and the commit.
        ctx.raise_modseq(high + kAhead);
        ctx.raise_modseq(5);
        return ctx.append(rec(50));
    });
    REQUIRE(r.is_ok());
    CHECK(r->modseq == high + kAhead + 1);
    idx = open_index(dir.str());
    CHECK(idx->state()->header().next_uid == 51);
    CHECK(idx->state()->header().first_recent_uid == 7);
    CHECK(idx->state()->header().highest_modseq == high + kAhead + 1);
}

TEST_CASE("keywords beyond 64 persist through the log and the snapshot") {
    TempDir dir("idx");
    std::vector<std::uint32_t> ids;
    {
        auto idx = open_index(dir.str(), 4096);
        auto r = idx->commit([&](WriteContext& ctx) {
            for (int i = 0; i < 100; ++i)
                ids.push_back(ctx.keyword_id("kw" + std::to_string(i)));
            if (auto s = ctx.append(rec(1), {ids[0], ids[70], ids[99]}); !s)
                return s;
            return ctx.append(rec(2), {ids[63], ids[64]});
        });
        REQUIRE(r.is_ok());
        CHECK(r->state->extra_keywords(1) == std::vector<std::uint32_t>{70, 99});
        CHECK(r->state->at(0).keyword_bits == 1);
        // Flag change dropping one extra keyword.
        r = idx->commit([&](WriteContext& ctx) { return ctx.set_flags(1, 0, {ids[0], ids[99]}); });
        REQUIRE(r.is_ok());
        CHECK(r->modseq != 0);
    }
    auto check = [&](const IndexState& st) {
        CHECK(st.header().keywords.size() == 100);
        CHECK(st.keyword_ids(st.at(0)) == std::vector<std::uint32_t>{0, 99});
        CHECK(st.keyword_ids(st.at(1)) == std::vector<std::uint32_t>{63, 64});
        CHECK(st.extra_keywords(2) == std::vector<std::uint32_t>{64});
    };
    auto idx = open_index(dir.str(), 64); // from the log
    check(*idx->state());
    // Force a rotation: now from the snapshot.
    append_range(*idx, 3, 3);
    CHECK(std::filesystem::exists(dir.path / "loft.index"));
    idx = open_index(dir.str());
    check(*idx->state());
    // Expunging a message drops its extra keywords.
    REQUIRE(idx->commit([&](WriteContext& ctx) { return ctx.expunge(2); }).is_ok());
    CHECK(idx->state()->extra_keywords(2).empty());
}

TEST_CASE("the cache keeps the newest value per field and survives rotation") {
    TempDir dir("idx");
    std::string big(300000, 'b');
    {
        auto idx = open_index(dir.str());
        append_range(*idx, 1, 3);
        auto r = idx->commit([&](WriteContext& ctx) {
            if (auto s = ctx.cache_add(1, "envelope", "env-1-old"); !s)
                return s;
            if (auto s = ctx.cache_add(1, "bodystructure", big); !s)
                return s;
            if (auto s = ctx.cache_add(1, "envelope", "env-1"); !s)
                return s;
            return ctx.cache_add(3, "hdr.subject", "hello");
        });
        REQUIRE(r.is_ok());
        CHECK(r->modseq == 0); // the cache is no visible change
        auto st = idx->state();
        CHECK(idx->cache_lookup(*st, st->at(0), "envelope") == "env-1");
        CHECK(idx->cache_lookup(*st, st->at(0), "bodystructure") == big);
        CHECK(idx->cache_lookup(*st, st->at(0), "hdr.subject") == std::nullopt);
        CHECK(idx->cache_lookup(*st, st->at(1), "envelope") == std::nullopt);
        CHECK(idx->cache_lookup(*st, st->at(2), "hdr.subject") == "hello");
        // A value over 1 MB is refused.
        r = idx->commit([&](WriteContext& ctx) { return ctx.cache_add(2, "x", std::string((1 << 20) + 1, 'x')); });
        CHECK(r.status().code() == Status::Code::invalid_argument);
    }
    auto size_before = std::filesystem::file_size(dir.path / "loft.index.cache");
    auto idx = open_index(dir.str());
    auto st = idx->state();
    CHECK(idx->cache_lookup(*st, st->at(0), "envelope") == "env-1");
    // Rotation compacts: the old envelope value is gone from the file.
    REQUIRE(idx->reset_files().is_ok() == true);
    // (reset_files drops everything; check compaction with a real rotation instead)
    TempDir dir2("idx");
    auto a = open_index(dir2.str(), 400);
    append_range(*a, 1, 2);
    REQUIRE(a->commit([&](WriteContext& ctx) {
        if (auto s = ctx.cache_add(1, "envelope", "old"); !s)
            return s;
        if (auto s = ctx.cache_add(1, "envelope", "new"); !s)
            return s;
        return ctx.cache_add(2, "bodystructure", big);
    }).is_ok());
    auto old_state = a->state();
    std::string old_cache = loft_test::slurp(dir2.path / "loft.index.cache");
    append_range(*a, 3, 20); // passes 400 bytes: rotation
    auto cache = loft_test::slurp(dir2.path / "loft.index.cache");
    CHECK(cache.find("old") == std::string::npos);
    CHECK(cache.find("new") != std::string::npos);
    CHECK(cache.size() < old_cache.size());
    auto nst = a->state();
    CHECK(a->cache_lookup(*nst, nst->at(0), "envelope") == "new");
    CHECK(a->cache_lookup(*nst, nst->at(1), "bodystructure") == big);
    // The old state still reads the old cache file through its fd.
    CHECK(a->cache_lookup(*old_state, old_state->at(0), "envelope") == "new");
    // And another process opening now sees the compacted cache.
    auto b = open_index(dir2.str());
    auto bst = b->state();
    CHECK(b->cache_lookup(*bst, bst->at(1), "bodystructure") == big);
    CHECK(size_before > 0);
}

TEST_CASE("expunge history answers VANISHED and stays bounded") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    ModSeq start = idx->state()->header().highest_modseq;
    CHECK(idx->state()->expunged_since(start)->empty());
    CHECK(!idx->state()->expunged_since(start - 1)); // from before this index existed
    append_range(*idx, 1, 20);
    auto expunge = [&](std::vector<Uid> list) {
        auto r = idx->commit([&](WriteContext& ctx) {
            for (Uid u : list)
                if (auto s = ctx.expunge(u); !s)
                    return s;
            return Status::ok();
        });
        REQUIRE(r.is_ok());
        return r->modseq;
    };
    ModSeq e1 = expunge({2, 3, 4});
    ModSeq e2 = expunge({10, 12});
    CHECK(idx->state()->expunged_since(start)->to_string() == "2:4,10,12");
    CHECK(idx->state()->expunged_since(e1)->to_string() == "10,12");
    CHECK(idx->state()->expunged_since(e2)->empty());
    idx = open_index(dir.str(), 256); // reopen, small rotation size: also through a snapshot
    append_range(*idx, 21, 30);
    CHECK(std::filesystem::exists(dir.path / "loft.index"));
    idx = open_index(dir.str());
    CHECK(idx->state()->expunged_since(start)->to_string() == "2:4,10,12");
    CHECK(idx->state()->expunged_since(e1)->to_string() == "10,12");

    // Bounded: many separate expunges keep at most the newest ranges.
    TempDir dir2("idx");
    auto big = open_index(dir2.str(), 1 << 30);
    append_range(*big, 1, 20000);
    ModSeq base = big->state()->header().highest_modseq;
    std::vector<ModSeq> commits;
    for (Uid u = 1; u <= 20000; u += 2) {
        // one commit per expunge of every other uid: ranges cannot merge
        auto r = big->commit([&](WriteContext& ctx) { return ctx.expunge(u); });
        REQUIRE(r.is_ok());
        commits.push_back(r->modseq);
    }
    auto st = big->state();
    CHECK(!st->expunged_since(base)); // the oldest were dropped
    auto recent = st->expunged_since(commits[commits.size() - 11]);
    REQUIRE(recent);
    CHECK(recent->count() == 10);
    CHECK(recent->max() == 19999);
}

TEST_CASE("chunks are shared between states and diffable by identity") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    append_range(*idx, 1, 5000);
    auto a = idx->state();
    CHECK(a->chunk_count() >= 5);
    std::uint32_t covered = 0;
    for (std::uint32_t c = 0; c < a->chunk_count(); ++c) {
        auto [b, e] = a->chunk_span(c);
        CHECK(b == covered);
        covered = e;
    }
    CHECK(covered == 5000);
    REQUIRE(idx->commit([&](WriteContext& ctx) { return ctx.set_flags(4500, storage::flag_seen, {}); }).is_ok());
    auto b = idx->state();
    std::uint32_t differing = 0;
    for (std::uint32_t c = 0; c < b->chunk_count(); ++c)
        differing += a->chunk_identity(c) != b->chunk_identity(c);
    CHECK(differing == 1);
    CHECK(a->at(*a->find(4500)).flags == 0); // the old state is unchanged
    CHECK(b->at(*b->find(4500)).flags == storage::flag_seen);
    // A refresh with nothing new returns the same state object.
    auto r = idx->refresh();
    REQUIRE(r.is_ok());
    CHECK(r->get() == b.get());
    // find() over every record.
    for (Uid u = 1; u <= 5000; u += 37)
        CHECK(b->at(*b->find(u)).uid == u);
    // Expunging many merges chunks.
    REQUIRE(idx->commit([&](WriteContext& ctx) {
        for (Uid u = 1; u <= 4990; ++u)
            if (auto s = ctx.expunge(u); !s)
                return s;
        return Status::ok();
    }).is_ok());
    auto c = idx->state();
    CHECK(c->count() == 10);
    CHECK(c->chunk_count() == 1);
    CHECK(c->at(0).uid == 4991);
}

TEST_CASE("MEMORY keeps everything in memory") {
    IndexOptions o;
    o.dir = "MEMORY";
    auto r = MailIndex::open(o);
    REQUIRE(r.is_ok());
    auto idx = *r;
    CHECK(idx->watch_paths().empty());
    ModSeq m = append_range(*idx, 1, 3);
    CHECK(m == idx->state()->header().highest_modseq);
    REQUIRE(idx->commit([&](WriteContext& ctx) {
        auto kw = ctx.keyword_id("a");
        if (auto s = ctx.set_flags(2, storage::flag_answered, {kw}); !s)
            return s;
        return ctx.cache_add(2, "envelope", "E");
    }).is_ok());
    auto st = idx->state();
    CHECK(st->keyword_ids(st->at(1)) == std::vector<std::uint32_t>{0});
    CHECK(idx->cache_lookup(*st, st->at(1), "envelope") == "E");
    CHECK(idx->refresh().is_ok());
    CHECK(change_stamp("MEMORY").empty());
    CHECK(idx->dump().find("uid=2 flags=\\Answered keywords=0") != std::string::npos);
}

TEST_CASE("reset drops records and history but never lowers the modseq") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    append_range(*idx, 1, 10);
    ModSeq before = idx->state()->header().highest_modseq;
    auto r = idx->commit([&](WriteContext& ctx) {
        ctx.reset();
        ctx.set_uidvalidity(99);
        return ctx.append(rec(1));
    });
    REQUIRE(r.is_ok());
    CHECK(r->modseq > before);
    CHECK(uids(*r->state) == std::vector<Uid>{1});
    CHECK(r->state->header().next_uid == 2);
    idx = open_index(dir.str());
    CHECK(uids(*idx->state()) == std::vector<Uid>{1});
    CHECK(idx->state()->header().uidvalidity == 99);

    REQUIRE(idx->reset_files().is_ok());
    CHECK(idx->state()->count() == 0);
    CHECK(idx->state()->header().uidvalidity == 0);
    CHECK(idx->state()->header().highest_modseq > before);
    idx = open_index(dir.str());
    CHECK(idx->state()->count() == 0);
    CHECK(idx->state()->header().highest_modseq > before);
}

TEST_CASE("dump shows header, keywords, records and log records") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    REQUIRE(idx->commit([&](WriteContext& ctx) {
        ctx.set_uidvalidity(77);
        auto kw = ctx.keyword_id("$Label1");
        return ctx.append(rec(4, storage::flag_seen), {kw});
    }).is_ok());
    std::string d = idx->dump();
    CHECK(d.find("uidvalidity: 77\n") != std::string::npos);
    CHECK(d.find("  0 $Label1\n") != std::string::npos);
    CHECK(d.find("  uid=4 flags=\\Seen keywords=0 modseq=") != std::string::npos);
    CHECK(d.find("    append uid=4 flags=8 keywords=1 size=104/106") != std::string::npos);
    CHECK(d.find("    keyword id=0 name=$Label1\n") != std::string::npos);
    CHECK(d.find("log file: sequence 1,") != std::string::npos);
}

TEST_CASE("a log tail lost in a power failure never makes modseqs go backwards") {
    TempDir dir("idx");
    auto idx = open_index(dir.str());
    append_range(*idx, 1, 5);
    const auto kept = std::filesystem::file_size(dir.path / "loft.index.log");
    ModSeq lost = append_range(*idx, 6, 6); // this record will be lost
    REQUIRE(lost > 0);
    idx.reset();
    // mail_fsync=optimized does not fdatasync the log: a crash may lose its end.
    std::filesystem::resize_file(dir.path / "loft.index.log", kept);
    idx = open_index(dir.str());
    REQUIRE(idx->state()->count() == 5);
    ModSeq next = append_range(*idx, 6, 6);
    CHECK(next > lost); // a client that saw `lost` must see this change as newer
}
