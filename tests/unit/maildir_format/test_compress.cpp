#include "storage/compress.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

using namespace mailstore;
using namespace mailstore::storage;
using fmt_test::TempDir;

namespace {
std::string sample() {
    std::string s = "From: a@b\r\nSubject: compressed\r\n\r\n";
    for (int i = 0; i < 5000; ++i) s += "line " + std::to_string(i) + " of the body\r\n";
    return s;
}
std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}
} // namespace

TEST_CASE("compress: magic detection") {
    CHECK(detect_compression("\x1f\x8b\x08\x00") == CompressFormat::gz);
    CHECK(detect_compression("BZh9") == CompressFormat::bz2);
    CHECK(detect_compression("BZh0") == CompressFormat::none);
    CHECK(detect_compression("From") == CompressFormat::none);
    CHECK(detect_compression("\x1f") == CompressFormat::none);
    CHECK(detect_compression("") == CompressFormat::none);
}

TEST_CASE("compress: gzip and bzip2 round trips") {
    const std::string data = sample();
    for (auto f : {CompressFormat::gz, CompressFormat::bz2}) {
        auto c = compress(f, 6, data);
        REQUIRE(c);
        CHECK(detect_compression(*c) == f);
        CHECK(c->size() < data.size() / 3);
        auto d = decompress(f, *c);
        REQUIRE(d);
        CHECK(*d == data);
        auto e = compress(f, 1, "");
        REQUIRE(e);
        auto de = decompress(f, *e);
        REQUIRE(de);
        CHECK(de->empty());
    }
}

TEST_CASE("compress: files readable by zcat and bzcat, and theirs by us") {
    TempDir dir;
    const std::string data = sample();
    auto gz = compress(CompressFormat::gz, 6, data);
    REQUIRE(gz);
    fmt_test::write_file(dir / "m.gz", *gz);
    CHECK(run("zcat " + dir / "m.gz") == data);
    auto bz = compress(CompressFormat::bz2, 9, data);
    REQUIRE(bz);
    fmt_test::write_file(dir / "m.bz2", *bz);
    CHECK(run("bzcat " + dir / "m.bz2") == data);

    fmt_test::write_file(dir / "plain", data);
    REQUIRE(std::system(("gzip -k " + dir / "plain" + " && bzip2 -k " + dir / "plain").c_str()) == 0);
    auto g = decompress(CompressFormat::gz, fmt_test::read_file(dir / "plain.gz"));
    REQUIRE(g);
    CHECK(*g == data);
    auto b = decompress(CompressFormat::bz2, fmt_test::read_file(dir / "plain.bz2"));
    REQUIRE(b);
    CHECK(*b == data);
}

TEST_CASE("compress: the output bound") {
    const std::string zeros(1 << 20, '\0');
    for (auto f : {CompressFormat::gz, CompressFormat::bz2}) {
        auto c = compress(f, 9, zeros);
        REQUIRE(c);
        auto d = decompress(f, *c, 1000);
        REQUIRE(!d);
        CHECK(d.status().code() == Status::Code::io_error);
        CHECK(d.status().message().find("decompressed size exceeds 1000 bytes") != std::string::npos);
        auto exact = decompress(f, *c, zeros.size());
        REQUIRE(exact);
        CHECK(exact->size() == zeros.size());
    }
}

TEST_CASE("compress: corrupt and truncated input") {
    const std::string data = sample();
    for (auto f : {CompressFormat::gz, CompressFormat::bz2}) {
        auto c = compress(f, 6, data);
        REQUIRE(c);
        auto truncated = decompress(f, c->substr(0, c->size() / 2));
        CHECK(!truncated);
        std::string bad = *c;
        bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
        bad[bad.size() / 2 + 1] = static_cast<char>(bad[bad.size() / 2 + 1] ^ 0x55);
        CHECK(!decompress(f, bad));
        CHECK(!decompress(f, "garbage"));
    }
}
