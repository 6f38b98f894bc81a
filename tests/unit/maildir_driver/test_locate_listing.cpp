// How often the Maildir driver reads cur/ and new/ to find message files
// whose names it does not know (a new session after another process changed
// the flags): once per change of the directories, not once per message.
#include "index/mail_index.hpp"
#include "storage/backend.hpp"
#include "storage/maildir/maildir_backend.hpp"

#include "../test_support.hpp"

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace mailstore;
using namespace mailstore::storage;
using loft_test::TempDir;

namespace {

struct Folder {
    MailboxPaths paths;
    StorageSettings settings;
    std::unique_ptr<MailboxBackend> backend;
    std::shared_ptr<index::MailIndex> idx;

    explicit Folder(const fs::path& dir) {
        paths.mail_dir = paths.control_dir = paths.index_dir = dir.string();
        settings.hostname = "testhost";
        settings.fsync = index::FsyncMode::never;
        reopen();
    }
    // A new session: the old backend (and with it the process's shared
    // state of the folder, names included) goes first.
    void reopen() {
        backend.reset();
        idx.reset();
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
    // MaildirBackend's type info is not exported from the shared library,
    // so UBSan's vptr check (which needs it) is off for this downcast.
    __attribute__((no_sanitize("vptr"))) maildir::MaildirShared& shared() {
        return static_cast<maildir::MaildirBackend&>(*backend).shared();
    }
    std::vector<Uid> save(const std::vector<std::string>& bodies) {
        std::vector<std::unique_ptr<PendingSave>> pending;
        for (const auto& body : bodies) {
            SaveRequest req;
            req.data = body;
            req.internal_date = 1700000000;
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
};

// Sets a directory's mtime `hours_back` hours before a fixed moment of the
// test (negative: ahead): a value different from any the directory had, and
// the same one again for the same argument.
void age_mtime(const fs::path& dir, int hours_back) {
    static const std::time_t base = std::time(nullptr);
    struct timespec times[2] = {};
    times[0].tv_sec = base - std::time_t(3600) * hours_back;
    times[1] = times[0];
    REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0);
}

} // namespace

TEST_CASE("a new session opening 1,000 messages renamed by another process reads the directories once") {
    TempDir t("loft-locate");
    const fs::path dir = t.path / "Maildir";
    Folder f(dir);
    std::vector<std::string> bodies;
    for (int i = 0; i < 1000; ++i)
        bodies.push_back("Subject: m" + std::to_string(i) + "\n\nbody " + std::to_string(i) + "\n");
    auto uids = f.save(bodies);
    REQUIRE(uids.size() == 1000);

    // Another process (Dovecot marking them \Seen) moves every file to
    // cur/BASE:2,S: no name this process knew is right any more.
    std::vector<std::string> bases;
    for (const auto& e : fs::directory_iterator(dir / "new"))
        bases.push_back(e.path().filename().string());
    REQUIRE(bases.size() == 1000);
    for (const auto& b : bases)
        fs::rename(dir / "new" / b, dir / "cur" / (b + ":2,S"));
    age_mtime(dir / "new", 2);
    age_mtime(dir / "cur", 2);

    f.reopen();
    CHECK(f.shared().locate_listings == 0);
    for (std::size_t i = 0; i < uids.size(); ++i) {
        auto data = f.backend->open_message(uids[i]);
        REQUIRE_MESSAGE(data, data.status().message());
        CHECK(data->bytes() == bodies[i]);
    }
    CHECK(f.shared().locate_listings == 1);

    // One file renamed again behind our back (flags changed): found with one
    // more listing, the others still without any.
    std::string five_hundred;
    for (const auto& e : fs::directory_iterator(dir / "cur")) {
        if (loft_test::slurp(e.path()) == bodies[500])
            five_hundred = e.path().filename().string();
    }
    REQUIRE(!five_hundred.empty());
    const std::string moved = five_hundred.substr(0, five_hundred.find(':')) + ":2,RS";
    fs::rename(dir / "cur" / five_hundred, dir / "cur" / moved);
    age_mtime(dir / "cur", 3);
    auto again = f.backend->open_message(uids[500]);
    REQUIRE_MESSAGE(again, again.status().message());
    CHECK(again->bytes() == bodies[500]);
    CHECK(f.shared().locate_listings == 2);
    for (std::size_t i = 0; i < uids.size(); ++i)
        CHECK(f.backend->open_message(uids[i])->bytes() == bodies[i]);
    CHECK(f.shared().locate_listings == 2);

    // A file removed by another process: not_found after one listing; asking
    // again while the directories are unchanged reads nothing.
    fs::remove(dir / "cur" / moved);
    age_mtime(dir / "cur", 4);
    CHECK(f.backend->open_message(uids[500]).status().code() == Status::Code::not_found);
    CHECK(f.shared().locate_listings == 3);
    CHECK(f.backend->open_message(uids[500]).status().code() == Status::Code::not_found);
    CHECK(f.shared().locate_listings == 3);
    CHECK(f.backend->open_message(uids[499])->bytes() == bodies[499]);
    CHECK(f.shared().locate_listings == 3);
}

TEST_CASE("a directory whose mtime is recent is read again even when the mtime did not change") {
    // A rename in the same timestamp tick as the listing would leave the
    // mtime as it was: a listing proves nothing while the mtime is within
    // dirty_window_ns of it. Here cur/ keeps one mtime an hour ahead (so
    // "recent" whatever the machine's speed) across a file's disappearance.
    TempDir t("loft-locate");
    const fs::path dir = t.path / "Maildir";
    Folder f(dir);
    auto uids = f.save({"Subject: a\n\na\n", "Subject: b\n\nb\n"});
    REQUIRE(uids.size() == 2);
    std::vector<std::string> bases;
    for (const auto& e : fs::directory_iterator(dir / "new"))
        bases.push_back(e.path().filename().string());
    for (const auto& b : bases)
        fs::rename(dir / "new" / b, dir / "cur" / (b + ":2,F"));
    age_mtime(dir / "new", 2);
    age_mtime(dir / "cur", -1);
    f.reopen();
    CHECK(f.backend->open_message(uids[0])->bytes() == "Subject: a\n\na\n");
    CHECK(f.shared().locate_listings == 1);

    std::string b_name;
    for (const auto& b : bases)
        if (loft_test::slurp(dir / "cur" / (b + ":2,F")) == "Subject: b\n\nb\n")
            b_name = b;
    REQUIRE(!b_name.empty());
    fs::rename(dir / "cur" / (b_name + ":2,F"), dir / "cur" / (b_name + ":2,FS"));
    age_mtime(dir / "cur", -1); // the same mtime as at the listing
    CHECK(f.backend->open_message(uids[1])->bytes() == "Subject: b\n\nb\n");
    CHECK(f.shared().locate_listings == 2);
}
