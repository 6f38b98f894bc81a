// Maildir driver fixes: a numbered file a sync missed, UIDVALIDITY of a
// re-created mailbox (dovecot-uidvalidity), FIFOs in cur/ and new/.
#include "index/mail_index.hpp"
#include "storage/backend.hpp"
#include "storage/maildir/maildir_backend.hpp"

#include "../test_support.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mailstore;
using namespace mailstore::storage;
using loft_test::slurp;
using loft_test::TempDir;

namespace {

// One folder: backend + index, as the generic layer drives them.
struct Folder {
    MailboxPaths paths;
    StorageSettings settings;
    std::unique_ptr<MailboxBackend> backend;
    std::shared_ptr<index::MailIndex> idx;

    explicit Folder(const fs::path& dir, const std::string& uidvalidity_dir = "") {
        paths.mail_dir = paths.control_dir = paths.index_dir = dir.string();
        paths.uidvalidity_dir = uidvalidity_dir;
        settings.hostname = "testhost";
        settings.fsync = index::FsyncMode::never;
        auto b = make_backend("maildir", paths, settings);
        REQUIRE(b);
        backend = std::move(b.value());
        REQUIRE(backend->create());
        index::IndexOptions o;
        o.dir = paths.index_dir;
        o.fsync = index::FsyncMode::never;
        auto i = index::MailIndex::open(o);
        REQUIRE(i);
        idx = i.value();
    }
    std::shared_ptr<const index::IndexState> sync(bool full = false) {
        auto r = idx->commit([&](index::WriteContext& ctx) { return backend->sync(ctx, full); });
        REQUIRE_MESSAGE(r, r.status().message());
        return r->state;
    }
    Uid save1(std::string_view data) {
        SaveRequest req;
        req.data = data;
        req.internal_date = 1700000000;
        auto p = backend->prepare_save(req);
        REQUIRE(p);
        std::vector<std::unique_ptr<PendingSave>> pending;
        pending.push_back(std::move(p.value()));
        std::vector<Uid> uids;
        auto r = idx->commit([&](index::WriteContext& ctx) -> Status {
            if (backend->needs_sync(ctx.current()))
                if (auto s = backend->sync(ctx, false); !s)
                    return s;
            auto c = backend->commit_saves(pending, ctx);
            if (!c)
                return c.status();
            uids = c.value();
            return Status::ok();
        });
        REQUIRE_MESSAGE(r, r.status().message());
        REQUIRE(uids.size() == 1);
        return uids[0];
    }
    void expunge(Uid uid) {
        auto r = idx->commit([&](index::WriteContext& ctx) -> Status {
            if (auto s = backend->expunge(uid, ctx); !s)
                return s;
            return ctx.expunge(uid);
        });
        REQUIRE(r);
    }
};

std::vector<Uid> uids_of(const index::IndexState& st) {
    std::vector<Uid> out;
    for (std::uint32_t i = 0; i < st.count(); ++i)
        out.push_back(st.at(i).uid);
    return out;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

void write_file(const fs::path& p, std::string_view text) { std::ofstream(p, std::ios::binary) << text; }

std::string hex8(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

// A regression that blocks on a FIFO kills the test binary (SIGALRM's
// default action) instead of hanging the suite.
struct Watchdog {
    explicit Watchdog(unsigned seconds) { ::alarm(seconds); }
    ~Watchdog() { ::alarm(0); }
};

} // namespace

TEST_CASE("a numbered file a sync missed (moved new/ -> cur/ behind it) becomes visible with a new UID") {
    TempDir t("loft-review");
    const fs::path dir = t.path / "Maildir";
    Folder f(dir);
    // dovecot-lda numbered X=2 and Y=3..6; X's file was in flight (new/ ->
    // cur/ by another agent) when our sync read the directories, so the
    // index got 1 and 3..6 but not 2.
    write_file(dir / "dovecot-uidlist", "3 V1700000000 N7 G0123456789abcdef0123456789abcdef\n"
                                        "1 :1700000001.M1P1.h,S=8,W=10\n"
                                        "2 :1700000002.M2P2.h,S=8,W=10\n"
                                        "3 :1700000003.M3P3.h,S=8,W=10\n"
                                        "4 :1700000004.M4P4.h,S=8,W=10\n"
                                        "5 :1700000005.M5P5.h,S=8,W=10\n"
                                        "6 :1700000006.M6P6.h,S=8,W=10\n");
    for (int i : {1, 3, 4, 5, 6})
        write_file(dir / "cur" / ("170000000" + std::to_string(i) + ".M" + std::to_string(i) + "P" +
                                  std::to_string(i) + ".h,S=8,W=10:2,"),
                   "a: b\n\nx\n");
    auto st = f.sync();
    REQUIRE(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5, 6});

    // X arrives in cur/ (the other agent's rename, with \Seen).
    write_file(dir / "cur" / "1700000002.M2P2.h,S=8,W=10:2,S", "a: b\n\nX\n");
    st = f.sync();
    // RFC 3501 2.3.1.1: it cannot go in below UID 6 that clients have seen;
    // it is the next UID, and dovecot-uidlist says so (line 2 gone).
    REQUIRE(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5, 6, 7});
    CHECK(st->at(5).flags == flag_seen);
    CHECK(st->header().next_uid == 8);
    const std::string ul = slurp(dir / "dovecot-uidlist");
    CHECK(ul.find("\n7 :1700000002.M2P2.h,S=8,W=10\n") != std::string::npos);
    CHECK(ul.find("\n2 :") == std::string::npos);
    CHECK(ul.rfind("3 V1700000000 N8 G0123456789abcdef0123456789abcdef\n", 0) == 0);
    auto data = f.backend->open_message(7);
    REQUIRE(data);
    CHECK(data->bytes() == "a: b\n\nX\n");

    // A full resync keeps it, and a second backend (another process) reading
    // the rewritten uidlist agrees.
    st = f.sync(true);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5, 6, 7});
    Folder other(dir);
    st = other.sync(true);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5, 6, 7});
}

TEST_CASE("a UID in the expunge history stays expunged when its file comes back") {
    TempDir t("loft-review");
    const fs::path dir = t.path / "Maildir";
    Folder f(dir);
    f.sync();
    f.save1("a: 1\n\n1\n");
    f.save1("a: 2\n\n2\n");
    f.save1("a: 3\n\n3\n");
    auto before = f.sync();
    REQUIRE(uids_of(*before) == std::vector<Uid>{1, 2, 3});
    // The file of UID 2 as it was, to put back after the expunge.
    std::string name2;
    for (auto& n : names_in(dir / "new"))
        if (slurp(dir / "new" / n) == "a: 2\n\n2\n")
            name2 = n;
    for (auto& n : names_in(dir / "cur"))
        if (slurp(dir / "cur" / n) == "a: 2\n\n2\n")
            name2 = "../cur/" + n;
    REQUIRE(!name2.empty());
    f.expunge(2);
    CHECK(f.idx->state()->in_expunge_history(2));
    CHECK_FALSE(f.idx->state()->in_expunge_history(1));
    write_file(dir / "new" / name2, "a: 2\n\n2\n"); // restored from a backup, say
    auto st = f.sync(true);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3});
    CHECK(st->header().next_uid == 4);
}

TEST_CASE("dovecot-uidvalidity: a re-created mailbox gets a greater UIDVALIDITY, in Dovecot's format") {
    TempDir t("loft-review");
    const fs::path root = t.path / "Maildir";
    fs::create_directories(root);
    // The last value given out is in the future (the clock went back, or
    // the mailbox was deleted and re-created within a second): last + 1.
    const std::uint32_t last = std::uint32_t(std::time(nullptr)) + 100000;
    write_file(root / "dovecot-uidvalidity", hex8(last));
    write_file(root / ("dovecot-uidvalidity." + hex8(last)), "");
    std::uint32_t first = 0;
    {
        Folder foo(root / ".Foo", root.string());
        auto st = foo.sync();
        first = st->header().uidvalidity;
        CHECK(first == last + 1);
        foo.save1("a: b\n\nx\n");
        CHECK(slurp(root / "dovecot-uidvalidity") == hex8(last + 1)); // 8 hex digits, no newline
        CHECK(fs::exists(root / ("dovecot-uidvalidity." + hex8(last + 1))));
        CHECK_FALSE(fs::exists(root / ("dovecot-uidvalidity." + hex8(last))));
        struct stat sb {};
        REQUIRE(::stat((root / ("dovecot-uidvalidity." + hex8(last + 1))).c_str(), &sb) == 0);
        CHECK((sb.st_mode & 0777) == 0444);
        CHECK(fs::file_size(root / ("dovecot-uidvalidity." + hex8(last + 1))) == 0);
        REQUIRE(foo.backend->remove_all());
    }
    fs::remove_all(root / ".Foo");
    Folder again(root / ".Foo", root.string());
    auto st = again.sync();
    CHECK(st->header().uidvalidity == last + 2);
    CHECK(st->count() == 0);
    CHECK(slurp(root / ".Foo" / "dovecot-uidlist").rfind("3 V" + std::to_string(last + 2) + " N1 G", 0) == 0);
    CHECK(slurp(root / "dovecot-uidvalidity") == hex8(last + 2));

    // Another folder of the root: last + 3.
    Folder bar(root / ".Bar", root.string());
    CHECK(bar.sync()->header().uidvalidity == last + 3);
}

TEST_CASE("dovecot-uidvalidity: missing or malformed file; markers alone are enough") {
    TempDir t("loft-review");
    const fs::path root = t.path / "Maildir";
    fs::create_directories(root);
    const std::uint32_t now = std::uint32_t(std::time(nullptr));
    SUBCASE("missing: the current time, written back") {
        Folder foo(root / ".Foo", root.string());
        const std::uint32_t v = foo.sync()->header().uidvalidity;
        CHECK(v >= now);
        CHECK(v < now + 3600);
        CHECK(slurp(root / "dovecot-uidvalidity") == hex8(v));
        CHECK(fs::exists(root / ("dovecot-uidvalidity." + hex8(v))));
    }
    SUBCASE("malformed content is ignored, a marker of a later value counts") {
        write_file(root / "dovecot-uidvalidity", "zzz\n");
        write_file(root / ("dovecot-uidvalidity." + hex8(now + 5000)), "");
        write_file(root / "dovecot-uidvalidity.nothex", "");
        Folder foo(root / ".Foo", root.string());
        CHECK(foo.sync()->header().uidvalidity == now + 5001);
        CHECK(slurp(root / "dovecot-uidvalidity") == hex8(now + 5001));
        CHECK(fs::exists(root / "dovecot-uidvalidity.nothex")); // not ours to remove
    }
    SUBCASE("no uidvalidity_dir: time-based as before, nothing written") {
        Folder foo(root / ".Foo");
        CHECK(foo.sync()->header().uidvalidity >= now);
        CHECK_FALSE(fs::exists(root / "dovecot-uidvalidity"));
    }
}

TEST_CASE("FIFOs in cur/ and new/ are not messages and block neither sync nor open_message") {
    TempDir t("loft-review");
    const fs::path dir = t.path / "Maildir";
    Folder f(dir);
    f.sync();
    const Uid u1 = f.save1("a: 1\n\n1\n");
    REQUIRE(::mkfifo((dir / "cur" / "1700000100.fifo1.h:2,").c_str(), 0600) == 0);
    REQUIRE(::mkfifo((dir / "new" / "1700000101.fifo2.h").c_str(), 0600) == 0);
    // A symlink to a regular file is still a message (as Dovecot follows them).
    write_file(t.path / "elsewhere", "a: link\n\nl\n");
    fs::create_symlink(t.path / "elsewhere", dir / "new" / "1700000102.link.h");
    Watchdog dog(20);
    auto st = f.sync(true);
    REQUIRE(uids_of(*st) == std::vector<Uid>{u1, u1 + 1});
    const std::string ul = slurp(dir / "dovecot-uidlist");
    CHECK(ul.find("fifo") == std::string::npos);
    CHECK(ul.find(":1700000102.link.h") != std::string::npos);
    // The FIFO in new/ stays where it is (not moved to cur/ as a message).
    CHECK(fs::is_fifo(dir / "new" / "1700000101.fifo2.h"));
    auto link = f.backend->open_message(u1 + 1);
    REQUIRE(link);
    CHECK(link->bytes() == "a: link\n\nl\n");

    // A message file replaced by a FIFO: open_message fails at once.
    std::string name1;
    for (const char* sub : {"new", "cur"})
        for (auto& n : names_in(dir / sub))
            if (n.find("fifo") == std::string::npos && n.find("link") == std::string::npos)
                name1 = std::string(sub) + "/" + n;
    REQUIRE(!name1.empty());
    fs::remove(dir / name1);
    REQUIRE(::mkfifo((dir / name1).c_str(), 0600) == 0);
    auto data = f.backend->open_message(u1);
    REQUIRE_FALSE(data);
    CHECK(data.status().message().find("not a regular file") != std::string::npos);
    // ... and the next full sync drops it from the index instead of hanging.
    st = f.sync(true);
    CHECK(uids_of(*st) == std::vector<Uid>{u1 + 1});
}
