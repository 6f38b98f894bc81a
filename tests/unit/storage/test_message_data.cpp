// MessageData: mapping a mail file, header/body split, compressed files.
#include "../test_support.hpp"

#include "storage/backend.hpp"
#include "storage/compress.hpp"

#include <fcntl.h>
#include <unistd.h>

using namespace mailstore;
using namespace mailstore::storage;

namespace {
Result<MessageData> map_path(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto data = map_message_file(fd);
    ::close(fd);
    return data;
}
} // namespace

TEST_CASE("header and body split at the first empty line, LF or CRLF") {
    struct Case {
        std::string bytes, header, body;
    };
    for (const auto& c : std::vector<Case>{
             {"A: b\n\nbody\n\nmore\n", "A: b\n\n", "body\n\nmore\n"},
             {"A: b\r\nC: d\r\n\r\nbody\r\n", "A: b\r\nC: d\r\n\r\n", "body\r\n"},
             {"A: b\n", "A: b\n", ""},
             {"\nbody", "\n", "body"},
             {"\r\nbody", "\r\n", "body"},
             {"A: b\n\n", "A: b\n\n", ""},
             {"", "", ""},
         }) {
        CAPTURE(c.bytes);
        auto data = make_message_data(nullptr, c.bytes);
        CHECK(data.bytes() == c.bytes);
        CHECK(data.header() == c.header);
        CHECK(data.body() == c.body);
    }
}

TEST_CASE("map_message_file maps a file and keeps it alive after unlink") {
    loft_test::TempDir dir;
    std::string path = dir.write("msg", "Subject: x\n\nhello\n");
    auto data = map_path(path);
    REQUIRE(data.is_ok());
    ::unlink(path.c_str());
    CHECK(data->bytes() == "Subject: x\n\nhello\n");
    CHECK(data->body() == "hello\n");
    auto copy = *data;
    data = Status::not_found("dropped");
    CHECK(copy.header() == "Subject: x\n\n");
}

TEST_CASE("a mail file truncated while mapped reads as NULs instead of killing the process (SIGBUS)") {
    loft_test::TempDir dir;
    // Whole pages vanish; larger than the 128 KB up to which
    // map_message_file reads a file instead of mapping it.
    std::string text = "Subject: big\n\n" + std::string(40 * 4096 + 100, 'x');
    std::string path = dir.write("msg", text);
    auto data = map_path(path);
    REQUIRE(data.is_ok());
    REQUIRE(::truncate(path.c_str(), 10) == 0);
    std::string_view bytes = data->bytes();
    CHECK(bytes.size() == text.size());
    // Reading every byte must not raise SIGBUS; past the new end (beyond the
    // first page, which is still backed by the file) there are zeros.
    std::size_t zeros = 0;
    for (char c : bytes)
        zeros += c == '\0';
    CHECK(zeros >= 3 * 4096);
    CHECK(bytes.substr(0, 10) == text.substr(0, 10));
    // A second mapping of the now short file is fine, too.
    auto again = map_path(path);
    REQUIRE(again.is_ok());
    CHECK(again->bytes() == text.substr(0, 10));
}

TEST_CASE("map_message_file: a small file is read into memory, a large one mapped") {
    loft_test::TempDir dir;
    // Up to 128 KB the bytes are a copy: a later truncation leaves them as read.
    std::string small = "Subject: s\n\n" + std::string(128 * 1024 - 12, 'y');
    REQUIRE(small.size() == 128 * 1024);
    std::string small_path = dir.write("small", small);
    auto read = map_path(small_path);
    REQUIRE(read.is_ok());
    REQUIRE(::truncate(small_path.c_str(), 10) == 0);
    CHECK(read->bytes() == small);
    CHECK(read->body().size() == small.size() - 12);
    // One byte more is mapped: past the new end of a truncated file, NULs.
    std::string large = small + "z";
    std::string large_path = dir.write("large", large);
    auto mapped = map_path(large_path);
    REQUIRE(mapped.is_ok());
    REQUIRE(::truncate(large_path.c_str(), 10) == 0);
    CHECK(mapped->bytes().size() == large.size());
    CHECK(mapped->bytes().back() == '\0');
}

TEST_CASE("map_message_file: an empty file, a directory, a bad fd") {
    loft_test::TempDir dir;
    auto empty = map_path(dir.write("empty", ""));
    REQUIRE(empty.is_ok());
    CHECK(empty->bytes().empty());
    CHECK(empty->header().empty());
    int dfd = ::open(dir.str().c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    auto d = map_message_file(dfd);
    ::close(dfd);
    CHECK(d.status().code() == Status::Code::io_error);
    CHECK(map_message_file(-1).status().code() == Status::Code::io_error);
}

TEST_CASE("map_message_file decompresses gzip and bzip2 files") {
    loft_test::TempDir dir;
    std::string plain = "Subject: zipped\r\n\r\nbody body body\r\n";
    for (auto format : {CompressFormat::gz, CompressFormat::bz2}) {
        auto packed = compress(format, 6, plain);
        if (!packed.is_ok()) {
            MESSAGE("compress() not available yet: " << packed.status().message());
            continue;
        }
        CHECK(*packed != plain);
        auto data = map_path(dir.write(format == CompressFormat::gz ? "m.gz" : "m.bz2", *packed));
        REQUIRE_MESSAGE(data.is_ok(), data.status().message());
        CHECK(data->bytes() == plain);
        CHECK(data->body() == "body body body\r\n");
    }
    // A gzip magic with garbage after it is an error, not a message.
    auto broken = map_path(dir.write("broken", std::string("\x1f\x8b\x08\x00garbage", 11)));
    CHECK_FALSE(broken.is_ok());
}
