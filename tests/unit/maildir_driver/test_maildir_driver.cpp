// The Maildir driver through a real MailIndex on temporary Maildirs.
#include "index/mail_index.hpp"
#include "storage/backend.hpp"
#include "storage/compress.hpp"
#include "storage/maildir/maildir_backend.hpp"

#include "../test_support.hpp"

#include <mailstore/log.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mailstore;
using namespace mailstore::storage;
using loft_test::slurp;
using loft_test::TempDir;

namespace {

const char* const msg_crlf = "From: a@example.com\r\nSubject: hi\r\n\r\nbody line\r\n";

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos)
            nl = text.size();
        out.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// One Maildir folder with its backend and index, as the generic layer uses them.
struct Box {
    fs::path dir;
    MailboxPaths paths;
    StorageSettings settings;
    std::unique_ptr<MailboxBackend> backend;
    std::shared_ptr<index::MailIndex> idx;

    explicit Box(const fs::path& d, StorageSettings s = {}) : dir(d), settings(std::move(s)) {
        paths.mail_dir = paths.control_dir = paths.index_dir = dir.string();
        if (settings.hostname.empty())
            settings.hostname = "testhost";
        if (settings.fsync == index::FsyncMode::optimized)
            settings.fsync = index::FsyncMode::never; // tests need no durability
        reopen();
    }
    void reopen() {
        auto b = make_backend("maildir", paths, settings);
        REQUIRE(b);
        backend = std::move(b.value());
        REQUIRE(backend->create());
        idx.reset();
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
    std::vector<Uid> save(const std::vector<SaveRequest>& reqs) {
        std::vector<std::unique_ptr<PendingSave>> pending;
        for (auto& req : reqs) {
            auto p = backend->prepare_save(req);
            REQUIRE_MESSAGE(p, p.status().message());
            pending.push_back(std::move(p.value()));
        }
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
        return uids;
    }
    Uid save1(std::string_view data, MailFlags flags = 0, std::vector<std::string> kws = {}) {
        SaveRequest req;
        req.data = data;
        req.flags = flags;
        req.keywords = std::move(kws);
        req.internal_date = 1700000000;
        auto uids = save({req});
        REQUIRE(uids.size() == 1);
        return uids[0];
    }
    void set_flags(Uid uid, MailFlags flags, std::vector<std::string> kws) {
        auto r = idx->commit([&](index::WriteContext& ctx) -> Status {
            if (auto s = backend->apply_flags(uid, flags, kws, ctx); !s)
                return s;
            std::vector<std::uint32_t> ids;
            for (auto& k : kws)
                ids.push_back(ctx.keyword_id(k));
            return ctx.set_flags(uid, flags, ids);
        });
        REQUIRE_MESSAGE(r, r.status().message());
    }
    void expunge(Uid uid) {
        auto r = idx->commit([&](index::WriteContext& ctx) -> Status {
            if (auto s = backend->expunge(uid, ctx); !s)
                return s;
            return ctx.expunge(uid);
        });
        REQUIRE(r);
    }
    std::string uidlist() const { return slurp(dir / "dovecot-uidlist"); }
};

std::vector<Uid> uids_of(const index::IndexState& st) {
    std::vector<Uid> out;
    for (std::uint32_t i = 0; i < st.count(); ++i)
        out.push_back(st.at(i).uid);
    return out;
}

std::set<std::string> keywords_of(const index::IndexState& st, Uid uid) {
    std::set<std::string> out;
    auto pos = st.find(uid);
    REQUIRE(pos);
    for (auto id : st.keyword_ids(st.at(*pos)))
        out.insert(st.header().keywords.at(id));
    return out;
}

void write_file(const fs::path& p, std::string_view text) { std::ofstream(p, std::ios::binary) << text; }

} // namespace

TEST_CASE("create makes cur/ new/ tmp/; exists() follows cur/") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    CHECK(fs::is_directory(box.dir / "cur"));
    CHECK(fs::is_directory(box.dir / "new"));
    CHECK(fs::is_directory(box.dir / "tmp"));
    CHECK(box.backend->exists());
    fs::remove_all(box.dir / "cur");
    CHECK_FALSE(box.backend->exists());
    auto r = make_backend("mbox", box.paths, box.settings);
    CHECK_FALSE(r);
    CHECK(r.status().code() == Status::Code::invalid_argument);
}

TEST_CASE("a fresh Maildir gets a uidlist with a time-based UIDVALIDITY and a GUID") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    const auto before = std::uint32_t(std::time(nullptr));
    // Directories changed within the last two seconds are rescanned at the
    // next sync (a change in the same timestamp tick would go unseen): age them.
    for (const char* d : {"new", "cur"}) {
        struct timespec old[2] = {{1600000000, 0}, {1600000000, 0}};
        REQUIRE(::utimensat(AT_FDCWD, (box.dir / d).c_str(), old, 0) == 0);
    }
    auto st = box.sync();
    CHECK(st->header().uidvalidity >= before);
    CHECK(st->count() == 0);
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "3 V" + std::to_string(st->header().uidvalidity) + " N1 G" +
                          [&] {
                              std::string hex;
                              char buf[3];
                              for (auto b : st->header().mailbox_guid) {
                                  std::snprintf(buf, sizeof buf, "%02x", b);
                                  hex += buf;
                              }
                              return hex;
                          }());
    CHECK_FALSE(box.backend->needs_sync(*st));
    write_file(box.dir / "new" / "1700000000.dropped", "a: b\n\nc\n");
    CHECK(box.backend->needs_sync(*st));
}

TEST_CASE("save: LF-only file in new/ with S= and W=, uidlist line, index record") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    Uid uid = box.save1(msg_crlf);
    CHECK(uid == 1);
    auto files = names_in(box.dir / "new");
    REQUIRE(files.size() == 1);
    const std::string lf = "From: a@example.com\nSubject: hi\n\nbody line\n";
    CHECK(slurp(box.dir / "new" / files[0]) == lf);
    const std::string suffix = ".testhost,S=" + std::to_string(lf.size()) + ",W=" + std::to_string(lf.size() + 4);
    CHECK(files[0].size() > suffix.size());
    CHECK(files[0].compare(files[0].size() - suffix.size(), suffix.size(), suffix) == 0);
    struct stat sst {};
    REQUIRE(::stat((box.dir / "new" / files[0]).c_str(), &sst) == 0);
    CHECK(sst.st_mtime == 1700000000);
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] == "1 :" + files[0]);
    CHECK(names_in(box.dir / "tmp").empty());
    auto st = box.idx->state();
    REQUIRE(st->count() == 1);
    CHECK(st->at(0).physical_size == lf.size());
    CHECK(st->at(0).virtual_size == lf.size() + 4);
    CHECK(st->at(0).received_date == 1700000000);
    auto data = box.backend->open_message(1);
    REQUIRE(data);
    CHECK(data->bytes() == lf);
    auto guid = box.backend->message_guid(1);
    REQUIRE(guid);
    CHECK(*guid == files[0]);
    CHECK_FALSE(box.backend->pop3_uidl(1));
}

TEST_CASE("save with mail_save_crlf keeps CRLF; flags and keywords go to cur/ with letters") {
    TempDir t("loft-mdrv");
    StorageSettings s;
    s.save_crlf = true;
    Box box(t.path / "Maildir", s);
    box.sync();
    Uid uid = box.save1("a: b\n\nx\n", flag_seen | flag_flagged, {"$Junk"});
    CHECK(uid == 1);
    auto files = names_in(box.dir / "cur");
    REQUIRE(files.size() == 1);
    CHECK(slurp(box.dir / "cur" / files[0]) == "a: b\r\n\r\nx\r\n");
    CHECK(files[0].find(",S=11") != std::string::npos);
    CHECK(files[0].substr(files[0].find(':')) == ":2,FSa");
    CHECK(slurp(box.dir / "dovecot-keywords") == "0 $Junk\n");
    CHECK(keywords_of(*box.idx->state(), 1) == std::set<std::string>{"$Junk"});
}

TEST_CASE("save: GUID and POP3 UIDL fields, empty message refused") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    SaveRequest req;
    req.data = "a: b\n\nx\n";
    req.guid = "0123456789abcdef0123456789abcdef";
    req.pop3_uidl = "UID42";
    auto uids = box.save({req});
    REQUIRE(uids == std::vector<Uid>{1});
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].rfind("1 G0123456789abcdef0123456789abcdef PUID42 :", 0) == 0);
    CHECK(*box.backend->message_guid(1) == "0123456789abcdef0123456789abcdef");
    CHECK(*box.backend->pop3_uidl(1) == "UID42");
    SaveRequest empty;
    auto r = box.backend->prepare_save(empty);
    CHECK_FALSE(r);
    CHECK(r.status().code() == Status::Code::invalid_argument);
}

TEST_CASE("save from a file descriptor, and an aborted save leaves tmp/ empty") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    auto src = t.write("msg", "h: v\r\n\r\nb\r\n");
    int fd = ::open(src.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    SaveRequest req;
    req.fd = fd;
    auto p = box.backend->prepare_save(req);
    ::close(fd);
    REQUIRE(p);
    CHECK(p.value()->physical_size == 8);
    CHECK(p.value()->virtual_size == 11);
    CHECK(names_in(box.dir / "tmp").size() == 1);
    std::vector<std::unique_ptr<PendingSave>> v;
    v.push_back(std::move(p.value()));
    box.backend->abort_saves(v);
    CHECK(names_in(box.dir / "tmp").empty());
}

TEST_CASE("sync: a file dropped into new/ by another program moves to cur/ and gets the next UID") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    box.save1("a: 1\n\n1\n");
    write_file(box.dir / "new" / "1122460858.V301Ic964.linux", "Subject: postfix\n\nx\n");
    write_file(box.dir / "new" / "1122460857.V301Ic963.linux", "Subject: earlier\n\nx\n");
    auto st = box.sync();
    CHECK(names_in(box.dir / "new").empty());
    auto cur = names_in(box.dir / "cur");
    CHECK(std::count(cur.begin(), cur.end(), "1122460857.V301Ic963.linux:2,") == 1);
    CHECK(std::count(cur.begin(), cur.end(), "1122460858.V301Ic964.linux:2,") == 1);
    REQUIRE(uids_of(*st) == std::vector<Uid>{1, 2, 3});
    // File-name order gives the UIDs.
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 4);
    // Names without S=/W=: the sizes read from the files are kept in the
    // lines (20 bytes, 3 LF: vsize 23), as Dovecot records them.
    CHECK(lines[2] == "2 S20 W23 :1122460857.V301Ic963.linux");
    CHECK(lines[3] == "3 S20 W23 :1122460858.V301Ic964.linux");
    CHECK(st->at(1).physical_size == std::string("Subject: earlier\n\nx\n").size());
    CHECK(st->header().next_uid == 4);
    auto data = box.backend->open_message(3);
    REQUIRE(data);
    CHECK(data->bytes() == "Subject: postfix\n\nx\n");
}

TEST_CASE("sync: a file deleted or renamed behind our back; flags from the file name") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    box.save1("a: 1\n\n1\n");
    box.save1("a: 2\n\n2\n");
    box.save1("a: 3\n\n3\n");
    // Saves may leave their files in new/ (no sync is needed after our own
    // delivery); a full sync moves them to cur/.
    box.sync(true);
    CHECK(names_in(box.dir / "new").empty());
    auto cur = names_in(box.dir / "cur");
    REQUIRE(cur.size() == 3);
    fs::remove(box.dir / "cur" / cur[0]);
    const std::string base2(cur[1].substr(0, cur[1].find(':')));
    fs::rename(box.dir / "cur" / cur[1], box.dir / "cur" / (base2 + ":2,RS"));
    auto st = box.sync();
    CHECK(uids_of(*st) == std::vector<Uid>{2, 3});
    CHECK(st->at(0).flags == (flag_answered | flag_seen));
    // Open through a stale name: the lookup finds the renamed file.
    fs::rename(box.dir / "cur" / (base2 + ":2,RS"), box.dir / "cur" / (base2 + ":2,S"));
    auto data = box.backend->open_message(2);
    REQUIRE(data);
    CHECK(data->bytes() == "a: 2\n\n2\n");
    CHECK(box.backend->open_message(1).status().code() == Status::Code::not_found);
}

TEST_CASE("apply_flags renames; expunge unlinks; keywords beyond 26 go to loft-keywords") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    Uid uid = box.save1("a: 1\n\n1\n");
    box.set_flags(uid, flag_seen | flag_deleted, {"$Label1"});
    auto cur = names_in(box.dir / "cur");
    REQUIRE(cur.size() == 1);
    CHECK(cur[0].size() > 6);
    CHECK(cur[0].substr(cur[0].size() - 6) == ":2,STa");
    CHECK(slurp(box.dir / "dovecot-keywords") == "0 $Label1\n");

    std::vector<std::string> many;
    for (int i = 0; i < 30; ++i)
        many.push_back("kw" + std::to_string(i));
    box.set_flags(uid, flag_seen, many);
    auto kw = lines_of(slurp(box.dir / "dovecot-keywords"));
    CHECK(kw.size() == 26);
    CHECK(kw[0] == "0 $Label1");
    CHECK(kw[25] == "25 kw24");
    // $Label1 is no longer set: its letter goes; kw25..kw29 have no letter.
    CHECK(slurp(box.dir / "loft-keywords") == "1 kw25 kw26 kw27 kw28 kw29\n");
    cur = names_in(box.dir / "cur");
    REQUIRE(cur.size() == 1);
    CHECK(cur[0].substr(cur[0].find(":2,")) == ":2,Sbcdefghijklmnopqrstuvwxyz");

    box.expunge(uid);
    CHECK(names_in(box.dir / "cur").empty());
    CHECK(box.backend->open_message(uid).status().code() == Status::Code::not_found);
    // Expunging again (file already gone) is fine.
    auto r = box.idx->commit([&](index::WriteContext& ctx) { return box.backend->expunge(uid, ctx); });
    CHECK(r);
}

TEST_CASE("rebuild after losing loft.index*: same UIDs, flags, keywords (beyond 26), modseq not lower") {
    TempDir t("loft-mdrv");
    const fs::path dir = t.path / "Maildir";
    std::uint32_t uidvalidity = 0;
    ModSeq highest = 0;
    std::vector<Uid> uids;
    constexpr int n = 10000;
    {
        Box box(dir);
        box.sync();
        // Many messages as another program drops them, then one sync.
        for (int i = 0; i < n; ++i)
            write_file(dir / "cur" / ("17000000" + std::to_string(10 + i / 1000) + ".M" + std::to_string(i) +
                                      "P1.other:2," + (i % 3 == 0 ? "S" : "")),
                       "Subject: " + std::to_string(i) + "\n\nbody\n");
        auto st = box.sync();
        REQUIRE(st->count() == n);
        std::vector<std::string> many;
        for (int i = 0; i < 28; ++i)
            many.push_back("kw" + std::to_string(i));
        box.set_flags(5, flag_flagged, many);
        box.set_flags(7, flag_answered, {"kw27", "kw1"});
        box.expunge(9);
        st = box.sync();
        uidvalidity = st->header().uidvalidity;
        highest = st->header().highest_modseq;
        uids = uids_of(*st);
    }
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind("loft.index", 0) == 0)
            fs::remove(e.path());
    {
        Box box(dir);
        auto st = box.sync();
        CHECK(st->header().uidvalidity == uidvalidity);
        CHECK(uids_of(*st) == uids);
        CHECK(st->header().highest_modseq >= highest);
        CHECK(st->at(*st->find(5)).flags == flag_flagged);
        CHECK(keywords_of(*st, 5).size() == 28);
        CHECK(keywords_of(*st, 5).count("kw27") == 1);
        CHECK(keywords_of(*st, 7) == std::set<std::string>{"kw1", "kw27"});
        CHECK(st->at(*st->find(3)).flags == 0);
        CHECK(st->at(*st->find(1)).flags == flag_seen);
    }
    // Losing the uidlist too: a new UIDVALIDITY, every file numbered again.
    fs::remove(dir / "dovecot-uidlist");
    {
        Box box(dir);
        auto st = box.sync();
        CHECK(st->header().uidvalidity != uidvalidity);
        CHECK(st->count() == n - 1);
        CHECK(st->at(0).uid == 1);
        CHECK(st->header().highest_modseq >= highest);
    }
}

TEST_CASE("a uidlist newer than the index: lines appended by another process are picked up") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    box.save1("a: 1\n\n1\n");
    box.sync();
    // Another process (dovecot-lda) delivers and numbers a message.
    write_file(box.dir / "new" / "1700000100.M1P9.other,S=9,W=11", "a: 2\n\n22\n");
    {
        std::ofstream(box.dir / "dovecot-uidlist", std::ios::app) << "7 :1700000100.M1P9.other,S=9,W=11\n";
    }
    // Our next save comes after it, without reading cur/.
    Uid uid = box.save1("a: 3\n\n3\n");
    CHECK(uid == 8);
    auto st = box.idx->state();
    CHECK(uids_of(*st) == std::vector<Uid>{1, 7, 8});
    CHECK(st->at(1).physical_size == 9);
    CHECK(st->at(1).virtual_size == 11);
    st = box.sync();
    CHECK(uids_of(*st) == std::vector<Uid>{1, 7, 8});
}

TEST_CASE("a UIDVALIDITY change in the uidlist resets the index") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    box.save1("a: 1\n\n1\n");
    auto base = names_in(box.dir / "new").at(0);
    write_file(box.dir / "dovecot-uidlist", "3 V12345 N10 G0123456789abcdef0123456789abcdef\n9 :" + base + "\n");
    auto st = box.sync(true);
    CHECK(st->header().uidvalidity == 12345);
    CHECK(uids_of(*st) == std::vector<Uid>{9});
}

TEST_CASE("a save waits for a concurrent dovecot-uidlist.lock holder, then succeeds") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    const fs::path lock = box.dir / "dovecot-uidlist.lock";
    {
        std::ofstream(lock) << ::getpid() << "\n";
    }
    std::atomic<bool> done{false};
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK_FALSE(done.load()); // still waiting for the lock
        fs::remove(lock);
    });
    Uid uid = box.save1("a: 1\n\n1\n");
    done = true;
    releaser.join();
    CHECK(uid == 1);
    CHECK(lines_of(box.uidlist()).size() == 2);
    CHECK_FALSE(fs::exists(lock));
}

TEST_CASE("compressed and plain files side by side") {
    TempDir t("loft-mdrv");
    const fs::path dir = t.path / "Maildir";
    {
        Box plain(dir);
        plain.sync();
        plain.save1("a: plain\n\nbody\n");
    }
    StorageSettings s;
    s.compress = CompressFormat::gz;
    Box box(dir, s);
    box.sync();
    Uid uid = box.save1("a: packed\n\nbody\n");
    CHECK(uid == 2);
    auto files = names_in(dir / "new");
    REQUIRE(files.size() == 2);
    files.erase(std::remove_if(files.begin(), files.end(),
                               [](const std::string& n) { return n.find(",S=16,") == std::string::npos; }),
                files.end());
    REQUIRE(files.size() == 1);
    const std::string raw = slurp(dir / "new" / files[0]);
    REQUIRE(raw.size() > 2);
    CHECK(static_cast<unsigned char>(raw[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(raw[1]) == 0x8b);
    CHECK(files[0].find(",S=16,W=19") != std::string::npos); // uncompressed sizes
    CHECK(box.backend->open_message(1)->bytes() == "a: plain\n\nbody\n");
    CHECK(box.backend->open_message(2)->bytes() == "a: packed\n\nbody\n");
}

TEST_CASE("copy with hard links") {
    TempDir t("loft-mdrv");
    Box a(t.path / "A");
    Box b(t.path / "B");
    a.sync();
    b.sync();
    Uid uid = a.save1("a: 1\n\n1\n", flag_seen);
    auto rec = a.idx->state()->at(0);
    auto p = b.backend->prepare_copy(*a.backend, uid, rec);
    REQUIRE(p);
    REQUIRE(p.value() != nullptr);
    std::vector<std::unique_ptr<PendingSave>> v;
    v.push_back(std::move(p.value()));
    std::vector<Uid> uids;
    auto r = b.idx->commit([&](index::WriteContext& ctx) -> Status {
        auto c = b.backend->commit_saves(v, ctx);
        if (!c)
            return c.status();
        uids = c.value();
        return Status::ok();
    });
    REQUIRE(r);
    CHECK(uids == std::vector<Uid>{1});
    auto files = names_in(b.dir / "cur");
    REQUIRE(files.size() == 1);
    struct stat st {};
    REQUIRE(::stat((b.dir / "cur" / files[0]).c_str(), &st) == 0);
    CHECK(st.st_nlink == 2);
    CHECK(b.backend->open_message(1)->bytes() == "a: 1\n\n1\n");
}

TEST_CASE("driver state and change stamp") {
    maildir::MaildirDriverState s;
    s.new_mtime_ns = 5;
    s.cur_mtime_ns = 6;
    s.uidlist_inode = 7;
    s.uidlist_size = 8;
    CHECK(maildir::format_driver_state(s) == "maildir1 new=5 cur=6 ul=7:8");
    CHECK(maildir::parse_driver_state("maildir1 new=5 cur=6 ul=7:8") == s);
    s.cur_dirty = true;
    CHECK(maildir::format_driver_state(s) == "maildir1 new=5 cur=6 ul=7:8 dirty=c");
    CHECK(maildir::parse_driver_state("maildir1 new=5 cur=6 ul=7:8 dirty=c") == s);
    CHECK(maildir::parse_driver_state("garbage").new_mtime_ns == -1);
    CHECK(maildir::parse_driver_state("maildir1 new=x cur=6 ul=7:8").new_mtime_ns == -1);
    auto kw = maildir::parse_loft_keywords("1 a b\n2 c\n1 d\nbad line\n3\n4 e");
    CHECK(kw.size() == 2);
    CHECK(kw[1] == std::vector<std::string>{"d"});
    CHECK(kw[2] == std::vector<std::string>{"c"});
}

// Dovecot's own files: a Maildir filled by doveadm opens with the same UIDs,
// UIDVALIDITY, flags and keywords.
TEST_CASE("a Maildir written by Dovecot opens identically") {
    if (::access("/usr/bin/doveadm", X_OK) != 0) {
        MESSAGE("doveadm not installed: skipped");
        return;
    }
    TempDir t("loft-mdrv");
    const fs::path home = t.path / "home";
    fs::create_directories(home);
    // Dovecot refuses to access mail as root: as root the test lets it run
    // as nobody (and hands the Maildir over before each Dovecot step).
    const bool root = ::getuid() == 0;
    std::string mail_user = "nobody", mail_group = "nogroup";
    if (!root) {
        struct passwd* pw = ::getpwuid(::getuid());
        struct group* gr = ::getgrgid(::getgid());
        REQUIRE((pw && gr));
        mail_user = pw->pw_name;
        mail_group = gr->gr_name;
    }
    auto hand_over = [&] {
        if (root)
            REQUIRE(std::system(("chown -R " + mail_user + ":" + mail_group + " " + home.string()).c_str()) == 0);
    };
    fs::permissions(t.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    hand_over();
    write_file(t.path / "dovecot.conf",
               "mail_location = maildir:~/Maildir\n"
               "mail_uid = " + mail_user + "\nmail_gid = " + mail_group + "\n"
               "log_path = " + (t.path / "dovecot.log").string() + "\n"
               "base_dir = " + (t.path / "run").string() + "\n"
               "ssl = no\n");
    const std::string conf = (t.path / "dovecot.conf").string();
    auto run = [&](const std::string& args) {
        std::string cmd = "HOME=" + home.string() + " USER=tester doveadm -c " + conf + " " + args +
                          " >/dev/null 2>>" + (t.path / "err").string();
        return std::system(cmd.c_str());
    };
    write_file(t.path / "m1", "Subject: one\n\nbody\n");
    write_file(t.path / "m2", "Subject: two\n\nbody\n");
    write_file(t.path / "m3", "Subject: three\n\nbody\n");
    for (const char* m : {"m1", "m2", "m3"})
        if (run("save -m INBOX < " + (t.path / m).string()) != 0) {
            MESSAGE("doveadm save failed: " << slurp(t.path / "err"));
            return;
        }
    REQUIRE(run("flags add '\\Seen $Work' mailbox INBOX uid 1") == 0);
    REQUIRE(run("flags add '\\Flagged' mailbox INBOX uid 3") == 0);
    REQUIRE(run("expunge mailbox INBOX uid 2") == 0);
    const fs::path md = home / "Maildir";
    auto ul = lines_of(slurp(md / "dovecot-uidlist"));
    REQUIRE(!ul.empty());
    const std::string v = ul[0].substr(ul[0].find(" V") + 2, ul[0].find(' ', 3) - ul[0].find(" V") - 2);
    Box box(md);
    auto st = box.sync();
    CHECK(std::to_string(st->header().uidvalidity) == v);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3});
    CHECK(st->at(0).flags == flag_seen);
    CHECK(keywords_of(*st, 1) == std::set<std::string>{"$Work"});
    CHECK(st->at(1).flags == flag_flagged);
    CHECK(st->header().next_uid == 4);
    // And Dovecot sees what we write.
    box.set_flags(3, flag_flagged | flag_answered, {"$Work"});
    Uid added = box.save1("Subject: four\n\nbody\n", flag_seen);
    CHECK(added == 4);
    hand_over();
    const std::string out_path = (t.path / "fetch").string();
    REQUIRE(std::system(("HOME=" + home.string() + " USER=tester doveadm -c " + conf +
                         " fetch 'uid flags' mailbox INBOX all > " + out_path + " 2>&1")
                            .c_str()) == 0);
    // "uid: N\nflags: ..." blocks; \Recent is Dovecot's own session state.
    std::map<std::string, std::string> flags_by_uid;
    auto out = lines_of(slurp(out_path));
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
        if (out[i].rfind("uid: ", 0) == 0 && out[i + 1].rfind("flags:", 0) == 0)
            flags_by_uid[out[i].substr(5)] = out[i + 1];
    CHECK(flags_by_uid.size() == 3);
    CHECK(flags_by_uid["1"].find("\\Seen") != std::string::npos);
    CHECK(flags_by_uid["1"].find("$Work") != std::string::npos);
    CHECK(flags_by_uid["3"].find("\\Answered \\Flagged") != std::string::npos);
    CHECK(flags_by_uid["3"].find("$Work") != std::string::npos);
    CHECK(flags_by_uid["4"].find("\\Seen") != std::string::npos);
}

TEST_CASE("two backends of one folder: an expunge, a save, a file dropped into cur/") {
    TempDir t("loft-mdrv");
    Box a(t.path / "Maildir");
    a.sync();
    SaveRequest r1, r2, r3, r4;
    r1.data = "a: 1\n\n1\n";
    r2.data = "a: 2\n\n2\n";
    r3.data = "a: 3\n\n3\n";
    r4.data = "a: 4\n\n4\n";
    Box b(t.path / "Maildir");
    b.sync();
    CHECK(a.save({r1, r2, r3}) == std::vector<Uid>{1, 2, 3});
    auto st = b.sync();
    CHECK(uids_of(*st) == std::vector<Uid>{1, 2, 3});
    a.expunge(2);
    CHECK(a.save({r4}) == std::vector<Uid>{4});
    auto state = b.idx->refresh();
    REQUIRE(state);
    CHECK(uids_of(*state.value()) == std::vector<Uid>{1, 3, 4});
    if (b.backend->needs_sync(*state.value()))
        st = b.sync();
    CHECK(uids_of(*b.idx->state()) == std::vector<Uid>{1, 3, 4});
    // A change in cur/ alone makes the next sync read cur/: the messages
    // still in new/ (our deliveries stay there) are not expunged.
    write_file(b.dir / "cur" / "1700000000.external:2,S", "a: 5\n\n5\n");
    st = b.sync();
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5});
    st = b.sync(true);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 3, 4, 5});
    CHECK(st->at(3).flags == flag_seen);
}

TEST_CASE("a corrupt uidlist is rewritten with a new UIDVALIDITY; every file numbered once") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    auto st = box.sync();
    const auto old_validity = st->header().uidvalidity;
    box.save1("a: 1\n\n1\n");
    box.save1("a: 2\n\n2\n", flag_seen);
    write_file(box.dir / "dovecot-uidlist", "3 V12 N5 G00\n7 :x\n3 :y\n");
    st = box.sync(true);
    CHECK(st->header().uidvalidity != old_validity);
    CHECK(uids_of(*st) == std::vector<Uid>{1, 2});
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].rfind("3 V" + std::to_string(st->header().uidvalidity) + " N3 G", 0) == 0);
    CHECK(lines[1].rfind("1 :", 0) == 0);
    CHECK(lines[2].rfind("2 :", 0) == 0);
    // The one with \Seen keeps it.
    int seen = 0;
    for (std::uint32_t i = 0; i < st->count(); ++i)
        seen += st->at(i).flags == flag_seen;
    CHECK(seen == 1);
}

TEST_CASE("tmp/ cleanup spares a save in progress whose mtime is an old internal date") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    SaveRequest req;
    req.data = "a: old\n\nx\n";
    req.internal_date = 1000000000; // 2001: mtime far older than 36 hours
    auto p = box.backend->prepare_save(req);
    REQUIRE(p);
    box.sync(true); // the first sync of the folder in this process runs the cleanup
    REQUIRE(names_in(box.dir / "tmp").size() == 1);
    std::vector<std::unique_ptr<PendingSave>> v;
    v.push_back(std::move(p.value()));
    auto r = box.idx->commit([&](index::WriteContext& ctx) -> Status {
        auto c = box.backend->commit_saves(v, ctx);
        return c ? Status::ok() : c.status();
    });
    REQUIRE(r);
    CHECK(box.idx->state()->count() == 1);
    CHECK(box.idx->state()->at(0).received_date == 1000000000);
}

TEST_CASE("sync: files named without S=/W= get their real sizes, kept in the uidlist as S and W") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    // Dovecot 2.3.19 for this Postfix-named file reports size.physical 32,
    // size.virtual 36 and rewrites its line as "1 S32 W36 :1700000000.P123Q1.host".
    write_file(box.dir / "new" / "1700000000.P123Q1.host", "From: a@b\nSubject: x\n\nbody line\n");
    // CRLF and bare LF mixed: 10 bytes, one LF without CR.
    write_file(box.dir / "cur" / "1700000001.P1Q2.host:2,S", "a: b\r\n\r\nx\n");
    // gzip without S=: the sizes are of the decompressed message.
    auto packed = compress(CompressFormat::gz, 6, "a: z\n\nzz\n");
    REQUIRE(packed);
    write_file(box.dir / "new" / "1700000002.P1Q3.host", packed.value());
    // A name with S= but no W=: S is kept, the vsize is read.
    write_file(box.dir / "new" / "1700000003.P1Q4.host,S=6", "a: y\n\n");
    auto st = box.sync();
    REQUIRE(st->count() == 4);
    auto lines = lines_of(box.uidlist());
    REQUIRE(lines.size() == 5);
    CHECK(lines[1] == "1 S32 W36 :1700000000.P123Q1.host");
    CHECK(lines[2] == "2 S10 W11 :1700000001.P1Q2.host");
    CHECK(lines[3] == "3 S9 W12 :1700000002.P1Q3.host");
    CHECK(lines[4] == "4 S6 W8 :1700000003.P1Q4.host,S=6");
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{32, 36}, {10, 11}, {9, 12}, {6, 8}};
    for (std::uint32_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        CHECK(st->at(i).physical_size == want[i].first);
        CHECK(st->at(i).virtual_size == want[i].second);
    }

    // A rebuilt index takes them from the uidlist lines (the file is not
    // read again: its changed content does not change the sizes).
    write_file(box.dir / "cur" / "1700000000.P123Q1.host:2,", "changed\n");
    for (auto& e : fs::directory_iterator(box.dir))
        if (e.path().filename().string().rfind("loft.index", 0) == 0)
            fs::remove(e.path());
    box.reopen();
    st = box.sync();
    REQUIRE(st->count() == 4);
    CHECK(st->at(0).physical_size == 32);
    CHECK(st->at(0).virtual_size == 36);
    CHECK(st->at(2).virtual_size == 12);
}

TEST_CASE("sync: a uidlist line without sizes (as Dovecot first writes it) gets them from the file") {
    TempDir t("loft-mdrv");
    const fs::path dir = t.path / "Maildir";
    fs::create_directories(dir / "cur");
    fs::create_directories(dir / "new");
    fs::create_directories(dir / "tmp");
    write_file(dir / "new" / "1700000000.P123Q1.host", "From: a@b\nSubject: x\n\nbody line\n");
    write_file(dir / "dovecot-uidlist",
               "3 V1795909220 N2 G335a4a0464660b6be841000083ecc375\n1 :1700000000.P123Q1.host\n");
    Box box(dir);
    auto st = box.sync();
    REQUIRE(st->count() == 1);
    CHECK(st->header().uidvalidity == 1795909220u);
    CHECK(st->at(0).uid == 1);
    CHECK(st->at(0).physical_size == 32);
    CHECK(st->at(0).virtual_size == 36);
}

TEST_CASE("another program's numbered file without S=/W= is indexed with its sizes at the next commit") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.sync();
    box.save1("a: 1\n\n1\n");
    // Another process numbered a Postfix-named file without recording sizes.
    write_file(box.dir / "new" / "1700000000.P9Q9.host", "a: b\n\nxyz\n");
    {
        std::ofstream(box.dir / "dovecot-uidlist", std::ios::app) << "2 :1700000000.P9Q9.host\n";
    }
    Uid uid = box.save1("a: 3\n\n3\n");
    CHECK(uid == 3);
    auto st = box.idx->state();
    auto pos = st->find(2);
    REQUIRE(pos);
    CHECK(st->at(*pos).physical_size == 10);
    CHECK(st->at(*pos).virtual_size == 13);
}

namespace {
// The process's log lines of info level and above, in a file of `dir`.
struct LogCapture {
    std::string path;
    explicit LogCapture(const TempDir& dir) : path((dir.path / "info.log").string()) {
        REQUIRE(log::configure(log::LogSettings().set_log_path(path)).is_ok());
    }
    ~LogCapture() { (void)log::configure(log::LogSettings()); }
    std::string text() const {
        log::flush();
        return fs::exists(path) ? slurp(path) : std::string();
    }
};
} // namespace

TEST_CASE("a new, empty mailbox gets its uidlist silently; a lost uidlist is logged") {
    TempDir t("loft-mdrv");
    LogCapture cap(t);
    {
        Box box(t.path / "Empty");
        box.sync();
        CHECK(fs::exists(box.dir / "dovecot-uidlist"));
    }
    CHECK(cap.text().find("dovecot-uidlist missing") == std::string::npos);

    // Messages on disk without a uidlist (and no index): lost, logged.
    {
        Box box(t.path / "Files");
        write_file(box.dir / "new" / "1700000000.P1Q1.host", "a: b\n\nx\n");
        box.sync();
    }
    const std::string after_files = cap.text();
    CHECK(after_files.find((t.path / "Files").string() + ": dovecot-uidlist missing, new UIDVALIDITY") !=
          std::string::npos);
    CHECK(after_files.find((t.path / "Empty").string() + ": dovecot-uidlist missing") == std::string::npos);

    // An index that had a UIDVALIDITY, no messages: lost, logged.
    {
        Box box(t.path / "Indexed");
        box.sync();
        fs::remove(box.dir / "dovecot-uidlist");
        box.sync();
    }
    CHECK(cap.text().find((t.path / "Indexed").string() + ": dovecot-uidlist missing, new UIDVALIDITY") !=
          std::string::npos);
}

TEST_CASE("mail_fsync = optimized: a batch of saves (later files synced at commit) and an aborted batch") {
    TempDir t("loft-mdrv");
    Box box(t.path / "Maildir");
    box.settings.fsync = index::FsyncMode::optimized; // the Box turns it off; the batch path needs it
    box.reopen();
    box.sync();
    std::vector<std::string> bodies;
    std::vector<SaveRequest> reqs;
    for (int i = 0; i < 6; ++i)
        bodies.push_back("Subject: m" + std::to_string(i) + "\n\nbody\n");
    for (auto& b : bodies) {
        SaveRequest r;
        r.data = b;
        r.internal_date = 1700000000;
        reqs.push_back(r);
    }
    auto uids = box.save(reqs);
    CHECK(uids == std::vector<Uid>{1, 2, 3, 4, 5, 6});
    CHECK(names_in(box.dir / "tmp").empty());
    CHECK(names_in(box.dir / "new").size() == 6);
    CHECK(lines_of(box.uidlist()).size() == 7);
    for (Uid u = 1; u <= 6; ++u)
        CHECK(box.backend->open_message(u)->bytes() == bodies[u - 1]);

    // An aborted batch removes its tmp/ files; the next transaction works.
    std::vector<std::unique_ptr<PendingSave>> pending;
    for (int i = 0; i < 4; ++i) {
        auto p = box.backend->prepare_save(reqs[std::size_t(i)]);
        REQUIRE(p);
        pending.push_back(std::move(p.value()));
    }
    CHECK(names_in(box.dir / "tmp").size() == 4);
    box.backend->abort_saves(pending);
    pending.clear();
    CHECK(names_in(box.dir / "tmp").empty());
    CHECK(box.save1("Subject: after\n\nx\n") == 7);
    CHECK(names_in(box.dir / "tmp").empty());
}
