// The storage's streamed save that delivery uses: SaveRequest::header_prefix
// before an fd's bytes, line ends normalized across chunk borders, S=/W=
// right, and link_from hard links only for identical bytes.
#include "delivery_fixture.hpp"

#include "storage/maildir/save_stream.hpp"

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <sys/stat.h>

using namespace loft_test;
using mailstore::storage::maildir::LineEndNormalizer;

namespace {

std::string normalize_in_pieces(std::string_view in, std::size_t piece, bool crlf, std::uint64_t* vsize = nullptr) {
    LineEndNormalizer n(crlf);
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += piece)
        n.feed(in.substr(i, piece), out);
    n.finish(out);
    CHECK(n.physical_size() == out.size());
    if (vsize)
        *vsize = n.virtual_size();
    return out;
}

struct UserFixture {
    TempDir dir{"loft-save-stream"};
    std::optional<config::Config> config;
    std::optional<storage::User> user;
    explicit UserFixture(const std::string& extra = "") {
        auto c = config::Config::load_string("mail_location = maildir:" + dir.str() + "/Maildir\n" + extra);
        REQUIRE(c.is_ok());
        config = std::move(c.value());
        storage::UserSettings s;
        s.username = "u";
        s.home = dir.str();
        auto u = storage::User::open(*config, s);
        REQUIRE(u.is_ok());
        user = std::move(u.value());
    }
    storage::CommitResult save(const storage::SaveRequest& r, const std::string& box = "INBOX") {
        auto mb = storage::Mailbox::open(*user, box);
        REQUIRE_MESSAGE(mb.is_ok(), mb.status().message());
        auto t = mb->begin();
        auto st = t.save(r);
        REQUIRE_MESSAGE(st.is_ok(), st.message());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        return done.value();
    }
};

} // namespace

TEST_CASE("line ends are normalized the same whatever the chunk borders") {
    const std::string in = "a\r\nb\nc\rd\r\r\n\r\n\n\r";
    for (std::size_t piece : {1, 2, 3, 5, 100}) {
        CAPTURE(piece);
        std::uint64_t vsize = 0;
        CHECK(normalize_in_pieces(in, piece, false, &vsize) == "a\nb\nc\rd\r\n\n\n\r");
        CHECK(vsize == 17); // a LE b LE c CR d CR LE LE LE CR, LE counted 2
        CHECK(normalize_in_pieces(in, piece, true) == "a\r\nb\r\nc\rd\r\r\n\r\n\r\n\r");
    }
}

TEST_CASE("a save from an fd with a header prefix stores prefix and message, sizes in the name") {
    UserFixture u;
    DeliveryFixture f;
    Spool spool = f.spool("Subject: s\r\n\r\nbody\r\nbare\nNUL\0!\r\n\xff\r\n"s);
    storage::SaveRequest r;
    r.fd = spool.fd();
    r.header_prefix = "Return-Path: <a@b>\r\n";
    auto done = u.save(r);
    REQUIRE(done.saved_files.size() == 1);
    const std::string stored = slurp(done.saved_files[0]);
    CHECK(stored == "Return-Path: <a@b>\nSubject: s\n\nbody\nbare\nNUL\0!\n\xff\n"s);
    const std::string name = std::filesystem::path(done.saved_files[0]).filename().string();
    CHECK(name.find(",S=" + std::to_string(stored.size()) + ",W=" + std::to_string(stored.size() + 7)) !=
          std::string::npos);
    // The spool's own offset is untouched (pread).
    CHECK(::lseek(spool.fd(), 0, SEEK_CUR) == 0);
}

TEST_CASE("a save from memory takes the header prefix too") {
    UserFixture u;
    storage::SaveRequest r;
    r.data = "Subject: m\r\n\r\nx\r\n";
    r.header_prefix = "X-A: 1\r\n";
    auto done = u.save(r);
    REQUIRE(done.saved_files.size() == 1);
    CHECK(slurp(done.saved_files[0]) == "X-A: 1\nSubject: m\n\nx\n");
}

TEST_CASE("link_from hard-links a file with the same bytes, and writes when the bytes would differ") {
    UserFixture a;
    UserFixture b;
    UserFixture crlf("mail_save_crlf = yes\n");
    DeliveryFixture f;
    Spool spool = f.spool("Subject: l\r\n\r\nbody\r\n");
    storage::SaveRequest r;
    r.fd = spool.fd();
    r.header_prefix = "Return-Path: <a@b>\r\n";
    auto first = a.save(r);
    REQUIRE(first.saved_files.size() == 1);
    struct stat st1 {};
    REQUIRE(::stat(first.saved_files[0].c_str(), &st1) == 0);

    r.link_from = first.saved_files[0];
    auto second = b.save(r);
    struct stat st2 {};
    REQUIRE(::stat(second.saved_files[0].c_str(), &st2) == 0);
    CHECK(st2.st_ino == st1.st_ino);
    CHECK(st1.st_nlink == 1);
    CHECK(slurp(second.saved_files[0]) == slurp(first.saved_files[0]));

    // The other user stores CRLF: the bytes differ, so no link.
    auto third = crlf.save(r);
    struct stat st3 {};
    REQUIRE(::stat(third.saved_files[0].c_str(), &st3) == 0);
    CHECK(st3.st_ino != st1.st_ino);
    CHECK(slurp(third.saved_files[0]) == "Return-Path: <a@b>\r\nSubject: l\r\n\r\nbody\r\n");

    // Another prefix: the sizes differ, no link.
    r.header_prefix = "Return-Path: <other@b>\r\n";
    auto fourth = b.save(r);
    struct stat st4 {};
    REQUIRE(::stat(fourth.saved_files[0].c_str(), &st4) == 0);
    CHECK(st4.st_ino != st1.st_ino);

    // A link source that is gone: written instead.
    r.header_prefix = "Return-Path: <a@b>\r\n";
    r.link_from = (a.dir.path / "no-such-file").string();
    auto fifth = b.save(r);
    CHECK(slurp(fifth.saved_files[0]) == slurp(first.saved_files[0]));
}
