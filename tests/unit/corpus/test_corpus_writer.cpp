#include "corpus/corpus_writer.hpp"

#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/corpus-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.')
                names.push_back(e->d_name);
        ::closedir(d);
    }
    return names;
}

} // namespace

TEST_CASE("write_maildir: Dovecot's file names, sizes, mtimes, flags and dovecot-uidlist") {
    TempDir tmp;
    const std::string dir = tmp.path + "/Maildir";
    corpus::WriteOptions opt;
    opt.seed = 4;
    opt.count = 60;
    opt.seen_fraction = 0.5;
    opt.host = "bench.host";
    opt.uidvalidity = 1234567890;
    const corpus::WriteResult r = corpus::write_maildir(dir, opt);
    REQUIRE(r.error == "");
    CHECK(r.messages == 60);
    CHECK(list_dir(dir + "/new").empty());
    CHECK(list_dir(dir + "/tmp").empty());
    const auto files = list_dir(dir + "/cur");
    REQUIRE(files.size() == 60);

    // The messages are the generator's, in order, under the uidlist's UIDs.
    const std::string uidlist = read_file(dir + "/dovecot-uidlist");
    std::istringstream lines(uidlist);
    std::string header;
    std::getline(lines, header);
    CHECK(std::regex_match(header, std::regex("3 V1234567890 N61 G[0-9a-f]{32}")));
    std::map<std::string, std::string> cur;  // base -> full name
    for (const auto& f : files)
        cur[f.substr(0, f.find(':'))] = f;
    corpus::Generator gen(4);
    const std::regex name_re(R"((\d+)\.M(\d+)P(\d+)\.bench\.host,S=(\d+),W=(\d+))");
    int seen = 0;
    std::string line;
    for (unsigned uid = 1; uid <= 60; ++uid) {
        REQUIRE(std::getline(lines, line));
        const std::string prefix = std::to_string(uid) + " :";
        REQUIRE(line.starts_with(prefix));
        const std::string base = line.substr(prefix.size());
        std::smatch m;
        REQUIRE(std::regex_match(base, m, name_re));
        REQUIRE(cur.count(base));
        const std::string full = cur[base];
        CHECK((full == base + ":2," || full == base + ":2,S"));
        seen += full.ends_with(",S");
        const std::string expected = gen.next();
        const std::string path = dir + "/cur/" + full;
        CHECK(read_file(path) == expected);
        CHECK(std::stoull(m[4].str()) == expected.size());
        CHECK(std::stoull(m[5].str()) == gen.info().vsize);
        CHECK(std::stoll(m[1].str()) == gen.info().received);
        struct stat st {};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK(st.st_mtime == gen.info().received);
    }
    CHECK_FALSE(std::getline(lines, line));
    CHECK(seen > 15);
    CHECK(seen < 45);

    // A second run into the same directory is refused, not mixed in.
    CHECK(corpus::write_maildir(dir, opt).error.find("already holds messages") != std::string::npos);
}

TEST_CASE("the flags do not change the messages: another seen fraction, the same bytes") {
    TempDir tmp;
    corpus::WriteOptions a, b;
    a.seed = b.seed = 8;
    a.count = b.count = 20;
    a.seen_fraction = 0;
    b.seen_fraction = 1;
    REQUIRE(corpus::write_maildir(tmp.path + "/a", a).error == "");
    REQUIRE(corpus::write_maildir(tmp.path + "/b", b).error == "");
    for (const auto& f : list_dir(tmp.path + "/a/cur")) {
        REQUIRE(f.ends_with(":2,"));
        CHECK(read_file(tmp.path + "/a/cur/" + f) == read_file(tmp.path + "/b/cur/" + f + "S"));
    }
}

TEST_CASE("write_mbox: From_ lines, mboxrd quoting, the messages in order") {
    TempDir tmp;
    corpus::WriteOptions opt;
    opt.seed = 2;
    opt.count = 25;
    const std::string path = tmp.path + "/box.mbox";
    REQUIRE(corpus::write_mbox(path, opt).error == "");
    const std::string mbox = read_file(path);
    corpus::Generator gen(2);
    std::size_t pos = 0;
    for (int i = 0; i < 25; ++i) {
        const std::string msg = gen.next();
        REQUIRE(mbox.compare(pos, 5, "From ") == 0);
        const std::size_t eol = mbox.find('\n', pos);
        const std::string from_line = mbox.substr(pos, eol - pos);
        CHECK(from_line.starts_with("From " + gen.info().from_address + " "));
        CHECK(std::regex_match(from_line, std::regex(R"(From \S+ \w{3} \w{3} [ 1-3]\d \d\d:\d\d:\d\d 20\d\d)")));
        pos = eol + 1;
        // No line of the generated mail starts with "From ", so the message is verbatim.
        REQUIRE(msg.find("\nFrom ") == std::string::npos);
        CHECK(mbox.compare(pos, msg.size(), msg) == 0);
        pos += msg.size();
        CHECK(mbox[pos] == '\n');
        ++pos;
    }
    CHECK(pos == mbox.size());
    CHECK(mbox.find("From carol.cooper@example.com Wed Jan  1 ") == 0);
}
