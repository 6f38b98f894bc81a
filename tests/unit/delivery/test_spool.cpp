// Spool: an unlinked file in mail_temp_dir, the bytes back from offset 0,
// the observations LMTP answers from, the size bound.
#include "delivery_fixture.hpp"

#include <unistd.h>

using namespace loft_test;

namespace {

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        REQUIRE(n >= 0);
        if (n == 0)
            break;
        out.append(buf, std::size_t(n));
        off += n;
    }
    return out;
}

} // namespace

TEST_CASE("a spool holds the appended bytes, readable from offset 0, and leaves no file behind") {
    TempDir dir("loft-spool");
    auto spool = Spool::create(dir.str());
    REQUIRE(spool.is_ok());
    CHECK(spool->append("Subject: x\r\n").is_ok());
    CHECK(spool->append("\r\nbody\r\n").is_ok());
    REQUIRE(spool->finish().is_ok());
    CHECK(spool->size() == 20);
    CHECK(read_all(spool->fd()) == "Subject: x\r\n\r\nbody\r\n");
    // read() from the start works too (finish() rewinds).
    char buf[7] = {};
    CHECK(::read(spool->fd(), buf, 7) == 7);
    CHECK(std::string(buf, 7) == "Subject");
    // Unlinked: the directory stays empty.
    CHECK(std::filesystem::is_empty(dir.path));
    CHECK_FALSE(spool->has_nul());
    CHECK_FALSE(spool->has_8bit());
    CHECK_FALSE(spool->has_bare_lf());
    CHECK_FALSE(spool->too_big());
}

TEST_CASE("a spool notes NUL, 8-bit bytes and bare LF, also across appends") {
    TempDir dir("loft-spool");
    {
        auto s = Spool::create(dir.str());
        REQUIRE(s.is_ok());
        CHECK(s->append(std::string_view("a\0b\r\n", 5)).is_ok());
        CHECK(s->has_nul());
        CHECK_FALSE(s->has_8bit());
        CHECK_FALSE(s->has_bare_lf());
    }
    {
        auto s = Spool::create(dir.str());
        REQUIRE(s.is_ok());
        CHECK(s->append("caf\xc3\xa9\r\n").is_ok());
        CHECK(s->has_8bit());
        CHECK_FALSE(s->has_bare_lf());
    }
    {
        // CR at the end of one append, LF at the start of the next: a CRLF.
        auto s = Spool::create(dir.str());
        REQUIRE(s.is_ok());
        CHECK(s->append("line\r").is_ok());
        CHECK(s->append("\nnext\r\n").is_ok());
        CHECK_FALSE(s->has_bare_lf());
        CHECK(s->append("bare\n").is_ok());
        CHECK(s->has_bare_lf());
    }
    {
        auto s = Spool::create(dir.str());
        REQUIRE(s.is_ok());
        CHECK(s->append("\n").is_ok()); // an LF first is bare
        CHECK(s->has_bare_lf());
    }
}

TEST_CASE("a spool past max_size refuses further bytes and keeps what fitted") {
    TempDir dir("loft-spool");
    auto s = Spool::create(dir.str(), 10);
    REQUIRE(s.is_ok());
    CHECK(s->append("12345").is_ok());
    CHECK(s->append("67890").is_ok());
    CHECK_FALSE(s->too_big());
    auto over = s->append("x");
    CHECK(over.code() == Status::Code::invalid_argument);
    CHECK(s->too_big());
    CHECK(s->append("y").code() == Status::Code::invalid_argument);
    REQUIRE(s->finish().is_ok());
    CHECK(s->size() == 10);
    CHECK(read_all(s->fd()) == "1234567890");
}

TEST_CASE("large appends and many small ones give the same bytes") {
    TempDir dir("loft-spool");
    std::string big(200000, 'a');
    for (std::size_t i = 0; i < big.size(); i += 77)
        big[i] = '\n';
    auto one = Spool::create(dir.str());
    auto many = Spool::create(dir.str());
    REQUIRE(one.is_ok());
    REQUIRE(many.is_ok());
    CHECK(one->append(big).is_ok());
    for (std::size_t i = 0; i < big.size(); i += 1000)
        CHECK(many->append(std::string_view(big).substr(i, 1000)).is_ok());
    REQUIRE(one->finish().is_ok());
    REQUIRE(many->finish().is_ok());
    CHECK(read_all(one->fd()) == big);
    CHECK(read_all(many->fd()) == big);
    CHECK(one->size() == big.size());
}

TEST_CASE("a spool in a directory that does not exist fails with the directory named") {
    TempDir dir("loft-spool");
    auto s = Spool::create((dir.path / "missing").string());
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == Status::Code::io_error);
    CHECK(s.status().message().find("mail_temp_dir " + (dir.path / "missing").string()) == 0);
}
