// SequenceSet: parsing sequence-set text and resolving it against a real
// Maildir view as sequence numbers and as UIDs.
#include "search_fixture.hpp"

using namespace search_test;
using mailstore::search::SequenceSet;

namespace {

std::string seqs(const SequenceSet& set, const View& view, const UidSet* saved = nullptr) {
    auto r = set.resolve_seqs(view, saved);
    if (!r)
        return "error: " + r.status().message();
    return r->to_string();
}

SequenceSet parsed(std::string_view text) {
    auto s = SequenceSet::parse(text);
    REQUIRE_MESSAGE(s.has_value(), text);
    return *s;
}

} // namespace

TEST_CASE("SequenceSet::parse: ranges as written, '*' and '$'") {
    auto s = parsed("1:4,7,*,10:*");
    REQUIRE(s.ranges.size() == 4);
    CHECK(s.ranges[0] == SequenceSet::Range{1, 4});
    CHECK(s.ranges[1] == SequenceSet::Range{7, 7});
    CHECK(s.ranges[2] == SequenceSet::Range{SequenceSet::star, SequenceSet::star});
    CHECK(s.ranges[3] == SequenceSet::Range{10, SequenceSet::star});
    CHECK_FALSE(s.saved);
    CHECK(s.to_string() == "1:4,7,*,10:*");

    auto r = parsed("*:3");
    CHECK(r.ranges[0] == SequenceSet::Range{SequenceSet::star, 3});
    CHECK(r.to_string() == "*:3");
    CHECK(parsed("4294967295").ranges[0].first == 4294967295u);
    CHECK(parsed("1:1").to_string() == "1");

    auto d = parsed("$");
    CHECK(d.saved);
    CHECK(d.ranges.empty());
    CHECK(d.to_string() == "$");
    CHECK_FALSE(SequenceSet::parse("$", false).has_value());
    CHECK(SequenceSet::parse("1", false).has_value());
}

TEST_CASE("SequenceSet::parse refuses bad syntax") {
    for (std::string_view bad : std::vector<std::string_view>{"", "0", "1:", ":1", ",1", "1,", "1,,2", "4294967296", "99999999999", " 1", "1 ",
                                 "a", "1:0", "0:1", "1:2:3", "$1", "$,1", "1,$", "**", "*:", "-1", "+1", "1.5",
                                 "01x", std::string_view("1\0", 2)}) {
        CAPTURE(bad);
        CHECK_FALSE(SequenceSet::parse(bad).has_value());
    }
}

TEST_CASE("resolve_seqs over a Maildir with UID gaps") {
    SearchFixture f;
    auto uids = f.add_many(6); // UIDs 1..6
    REQUIRE(uids.back() == 6);
    f.expunge(uids_of({{2, 2}, {5, 5}})); // left: UIDs 1,3,4,6 as seqs 1..4
    REQUIRE(f.view().count() == 4);

    CHECK(seqs(parsed("1:*"), f.view()) == "1,3:4,6");
    CHECK(seqs(parsed("*"), f.view()) == "6");
    CHECK(seqs(parsed("*:3"), f.view()) == "4,6");
    CHECK(seqs(parsed("3:*"), f.view()) == "4,6");
    CHECK(seqs(parsed("2,4:4"), f.view()) == "3,6");
    CHECK(seqs(parsed("4:2"), f.view()) == "3:4,6");
    CHECK(seqs(parsed("1,1,1"), f.view()) == "1");
    // Sequence numbers beyond the view are invalid (RFC 3501 §9).
    CHECK(seqs(parsed("5"), f.view()) == "error: Invalid messageset");
    CHECK(seqs(parsed("1:5"), f.view()) == "error: Invalid messageset");
    CHECK(seqs(parsed("5:*"), f.view()) == "error: Invalid messageset");
    // 4294967295 is '*' in the model (SequenceSet::star), as in Dovecot.
    CHECK(seqs(parsed("1,4294967295"), f.view()) == "1,6");
    auto r = parsed("9").resolve_seqs(f.view());
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::invalid_argument);

    // "$": the saved UIDs, restricted to what is still in the view.
    UidSet saved = uids_of({{2, 4}, {6, 9}});
    CHECK(seqs(parsed("$"), f.view(), &saved) == "3:4,6");
    CHECK(seqs(parsed("$"), f.view()) == "");
    UidSet none;
    CHECK(seqs(parsed("$"), f.view(), &none) == "");
}

TEST_CASE("resolve_uids over a Maildir with UID gaps") {
    SearchFixture f;
    f.add_many(6);
    f.expunge(uids_of({{2, 2}, {5, 5}}));

    CHECK(parsed("1:*").resolve_uids(f.view()).to_string() == "1,3:4,6");
    CHECK(parsed("*").resolve_uids(f.view()).to_string() == "6");
    CHECK(parsed("2").resolve_uids(f.view()).to_string() == "");
    CHECK(parsed("2:5").resolve_uids(f.view()).to_string() == "3:4");
    CHECK(parsed("5:2").resolve_uids(f.view()).to_string() == "3:4");
    CHECK(parsed("7:100").resolve_uids(f.view()).to_string() == "");
    CHECK(parsed("4294967295").resolve_uids(f.view()).to_string() == "6");
    // UID n:* with n above the highest UID names the highest UID (RFC 3501 §6.4.8).
    CHECK(parsed("100:*").resolve_uids(f.view()).to_string() == "6");
    CHECK(parsed("*:100").resolve_uids(f.view()).to_string() == "6");
    CHECK(parsed("1,3,6,100").resolve_uids(f.view()).to_string() == "1,3,6");

    UidSet saved = uids_of({{2, 4}, {6, 9}});
    CHECK(parsed("$").resolve_uids(f.view(), &saved).to_string() == "3:4,6");
    CHECK(parsed("$").resolve_uids(f.view()).to_string() == "");
}

TEST_CASE("UID 100:* on a mailbox whose highest UID is 50 includes 50") {
    SearchFixture f;
    f.add_many(50);
    f.expunge(uids_of({{1, 10}, {20, 30}}));
    REQUIRE(f.view().uid(f.view().count()) == 50);
    CHECK(parsed("100:*").resolve_uids(f.view()).to_string() == "50");
    CHECK(parsed("40:*").resolve_uids(f.view()).to_string() == "40:50");
    CHECK(parsed("1:*").resolve_uids(f.view()).to_string() == "11:19,31:50");
    CHECK(parsed("5:25").resolve_uids(f.view()).to_string() == "11:19");
    CHECK(seqs(parsed("1:*"), f.view()) == "11:19,31:50");
    REQUIRE(f.view().count() == 29);
    CHECK(seqs(parsed("29"), f.view()) == "50");
    CHECK(seqs(parsed("30"), f.view()) == "error: Invalid messageset");
}

TEST_CASE("an empty mailbox: UIDs resolve to nothing, sequence numbers are invalid") {
    SearchFixture f;
    REQUIRE(f.view().count() == 0);
    CHECK(parsed("1:*").resolve_uids(f.view()).empty());
    CHECK(parsed("*").resolve_uids(f.view()).empty());
    CHECK(parsed("1").resolve_uids(f.view()).empty());
    CHECK(seqs(parsed("1:*"), f.view()) == "error: Invalid messageset");
    CHECK(seqs(parsed("*"), f.view()) == "error: Invalid messageset");
    CHECK(seqs(parsed("1"), f.view()) == "error: Invalid messageset");
    UidSet saved = uids_of({{1, 3}});
    CHECK(seqs(parsed("$"), f.view(), &saved) == "");
    CHECK(parsed("$").resolve_uids(f.view(), &saved).empty());
}
