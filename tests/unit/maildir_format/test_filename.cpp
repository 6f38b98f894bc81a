#include "storage/maildir/filename.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace mailstore::storage;
using namespace mailstore::storage::maildir;

TEST_CASE("filename: Dovecot's names with sizes and flags") {
    const auto f = parse_filename("1795904438.M968104P19982.vm,S=28,W=32:2,Sab");
    CHECK(f.base == "1795904438.M968104P19982.vm,S=28,W=32");
    CHECK(f.psize == 28u);
    CHECK(f.vsize == 32u);
    CHECK(f.has_info);
    CHECK(f.flags == flag_seen);
    CHECK(f.keyword_letters == "ab");
    CHECK(make_filename(f) == "1795904438.M968104P19982.vm,S=28,W=32:2,Sab");

    const auto g = parse_filename("1795904439.M12114P19983.vm,S=28,W=32:2,DFRc");
    CHECK(g.flags == (flag_draft | flag_flagged | flag_answered));
    CHECK(g.keyword_letters == "c");
}

TEST_CASE("filename: flags are written in ASCII order whatever order they were read in") {
    auto f = parse_filename("x:2,SRFdaT");
    CHECK(f.flags == (flag_seen | flag_answered | flag_flagged | flag_deleted));
    CHECK(f.keyword_letters == "ad");
    CHECK(make_filename(f) == "x:2,FRSTad");
    f.flags = flag_draft | flag_seen;
    f.passed = true;
    f.keyword_letters = "z";
    CHECK(make_filename(f) == "x:2,DPSz");
}

TEST_CASE("filename: Postfix and bare names, no info part") {
    const auto f = parse_filename("1122460858.V301Ic964.linux:2,FRS");
    CHECK(f.base == "1122460858.V301Ic964.linux");
    CHECK(!f.psize);
    CHECK(f.flags == (flag_flagged | flag_answered | flag_seen));
    const auto t = parse_filename("test");
    CHECK(t.base == "test");
    CHECK(!t.has_info);
    CHECK(t.flags == 0);
    CHECK(make_filename(t, true) == "test");
    CHECK(make_filename(t) == "test:2,");
    CHECK(filename_base("a,S=1:2,S") == "a,S=1");
    CHECK(filename_base("plain") == "plain");
}

TEST_CASE("filename: unknown info letters are kept, P is passed") {
    const auto f = parse_filename("b:2,PSXY");
    CHECK(f.passed);
    CHECK(f.flags == flag_seen);
    CHECK(f.other_info == "XY");
    CHECK(make_filename(f) == "b:2,PSXY");
    auto g = f;
    g.flags = 0;
    CHECK(make_filename(g) == "b:2,PXY");
}

TEST_CASE("filename: a :1, experimental info part is kept as it is") {
    const auto f = parse_filename("c:1,whatever");
    CHECK(!f.has_info);
    CHECK(f.other_info == ":1,whatever");
    CHECK(make_filename(f) == "c:1,whatever");
    CHECK(make_filename(f, true) == "c:1,whatever");
}

TEST_CASE("filename: S= and W= parsed strictly") {
    CHECK(!parse_filename("a,S=12x").psize);
    CHECK(!parse_filename("a,S=").psize);
    CHECK(!parse_filename("a,S=-1").psize);
    CHECK(!parse_filename("a,S=99999999999999999999").psize); // 20 digits: beyond the bound
    CHECK(parse_filename("a,S=9999999999999999999").psize == 9999999999999999999ull);
    CHECK(!parse_filename("a,W=1 2").vsize);
    CHECK(parse_filename("a,W=5,S=3:2,").vsize == 5u);
    CHECK(parse_filename("a,W=5,S=3:2,").psize == 3u);
    CHECK(!parse_filename("a,XS=3").psize);
    CHECK(!parse_filename("a:2,S,S=3").psize); // after ':' it is the info part
}

TEST_CASE("filename: duplicate letters are written once") {
    CHECK(make_filename(parse_filename("d:2,SSaa")) == "d:2,Sa");
}

TEST_CASE("filename: new/ files without flags have no info part") {
    MaildirFilename f;
    f.base = "1.M2P3.h,S=4";
    CHECK(make_filename(f, true) == "1.M2P3.h,S=4");
    CHECK(make_filename(f, false) == "1.M2P3.h,S=4:2,");
    f.flags = flag_seen;
    CHECK(make_filename(f, true) == "1.M2P3.h,S=4:2,S");
}

TEST_CASE("filename: new base names are unique, escape the host and omit W when equal") {
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) CHECK(seen.insert(new_base_name("host", 10, 12)).second);
    const std::string b = new_base_name("a/b:c", 28, 32);
    CHECK(b.find(".a\\057b\\072c,S=28,W=32") != std::string::npos);
    CHECK(b.find(".M") != std::string::npos);
    CHECK(b.find('P') != std::string::npos);
    const std::string e = new_base_name("h", 30, 30);
    CHECK(e.size() > 6);
    CHECK(e.substr(e.size() - 7) == ".h,S=30");
    const auto parsed = parse_filename(b);
    CHECK(parsed.psize == 28u);
    CHECK(parsed.vsize == 32u);
}
