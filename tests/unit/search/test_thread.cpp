// THREAD algorithms (RFC 5256 §3) on hand-built header sets: References
// chains broken, looping and self-referencing, In-Reply-To only, missing
// and duplicate Message-IDs, dummies pruned and kept, subject merging (and
// its "Re:" rule), date ties; the RFC 5256 §4 wire format; and threading a
// real Maildir view through the index cache.
#include "search_fixture.hpp"

#include <mailstore/mime/casemap.hpp>
#include <mailstore/thread.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace search_test;
namespace search = mailstore::search;
using search::ThreadAlgorithm;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kJan2020 = 1577836800;

// One message: its header fields as text; `day` gives Date: (day of Jan
// 2020, at `hour`) unless 0, then the internal date (day 100) is used.
struct Msg {
    std::string id;       // Message-ID value ("" none)
    std::string refs;     // References value ("" none)
    std::string subject;  // Subject value
    int day = 1;
    std::string irt = {}; // In-Reply-To value
    int hour = 0;
};

std::string header_of(const Msg& m) {
    std::string h;
    if (!m.id.empty())
        h += "Message-ID: " + m.id + "\r\n";
    if (!m.refs.empty())
        h += "References: " + m.refs + "\r\n";
    if (!m.irt.empty())
        h += "In-Reply-To: " + m.irt + "\r\n";
    h += "Subject: " + m.subject + "\r\n";
    if (m.day > 0)
        h += "Date: " + std::to_string(m.day) + " Jan 2020 " + (m.hour < 10 ? "0" : "") + std::to_string(m.hour) +
             ":00:00 +0000\r\n";
    return h + "\r\n";
}

std::string thread(ThreadAlgorithm algorithm, const std::vector<Msg>& msgs) {
    std::vector<search::ThreadMessage> in;
    for (std::size_t i = 0; i < msgs.size(); ++i)
        in.push_back(search::thread_message_from_header(static_cast<std::uint32_t>(i + 1), header_of(msgs[i]),
                                                        kJan2020 + 99 * kDay));
    return search::format_thread_list(search::build_threads(algorithm, std::move(in)));
}

std::string refs(const std::vector<Msg>& msgs) { return thread(ThreadAlgorithm::references, msgs); }
std::string refs2(const std::vector<Msg>& msgs) { return thread(ThreadAlgorithm::refs, msgs); }
std::string ordered(const std::vector<Msg>& msgs) { return thread(ThreadAlgorithm::orderedsubject, msgs); }

} // namespace

TEST_CASE("thread algorithm names: case-insensitive, unknown ones refused") {
    CHECK(search::parse_thread_algorithm("references").value() == ThreadAlgorithm::references);
    CHECK(search::parse_thread_algorithm("REFS").value() == ThreadAlgorithm::refs);
    CHECK(search::parse_thread_algorithm("OrderedSubject").value() == ThreadAlgorithm::orderedsubject);
    for (const char* bad : {"", "REFERENCE", "REFERENCES ", "X-FOO", "ORDEREDSUBJECTS"}) {
        auto r = search::parse_thread_algorithm(bad);
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == Status::Code::invalid_argument);
        CHECK(r.status().message() == "Unknown thread algorithm");
    }
    CHECK(search::thread_algorithm_name(ThreadAlgorithm::refs) == "REFS");
}

TEST_CASE("header extraction: normalised ids, In-Reply-To fallback, base subject, sent date") {
    auto m = search::thread_message_from_header(
        7,
        "Message-ID: <\"01KF8JCEOCBS0045PS\"@xxx.yyy.com>\r\n"
        "References: junk <a@x>\r\n  <b@x> (comment <c@x>)\r\n"
        "In-Reply-To: <z@x>\r\n"
        "Subject: Re: [list] Fwd: Hello   World (fwd)\r\n"
        "Date: Tue, 31 Dec 2019 16:01:33 -0800\r\n\r\n",
        5);
    CHECK(m.seq == 7);
    // RFC 5256 §3: quoting does not make a different Message ID.
    CHECK(m.message_id == "01KF8JCEOCBS0045PS@xxx.yyy.com");
    CHECK(m.references == std::vector<std::string>{"a@x", "b@x"});
    CHECK(m.base_subject == mailstore::mime::casemap("Hello World"));
    CHECK(m.reply_or_forward);
    CHECK(m.sent_date == kJan2020 + 93); // §2.2 example: 1 Jan 2000 00:01:33 UTC, here 2020

    auto irt = search::thread_message_from_header(1, "In-Reply-To: <z@x> (sent by <y@x>)\r\nSubject: x\r\n\r\n", 5);
    CHECK(irt.references == std::vector<std::string>{"z@x"});
    CHECK(irt.message_id.empty());
    CHECK_FALSE(irt.reply_or_forward);
    CHECK(irt.sent_date == 5); // no Date: the internal date

    auto bad = search::thread_message_from_header(1, "References: no ids here\r\nIn-Reply-To: <q@x>\r\nDate: garbage\r\n\r\n", 9);
    CHECK(bad.references == std::vector<std::string>{"q@x"});
    CHECK(bad.sent_date == 9);
    CHECK(bad.base_subject.empty());
}

TEST_CASE("wire format of RFC 5256 §4") {
    // The RFC's example: (2)(3 6 (4 23)(44 7 96)).
    search::ThreadTree t;
    auto add = [&](std::uint32_t seq) {
        t.nodes.push_back({seq});
        return static_cast<std::uint32_t>(t.nodes.size() - 1);
    };
    auto n2 = add(2), n3 = add(3), n6 = add(6), n4 = add(4), n23 = add(23), n44 = add(44), n7 = add(7), n96 = add(96);
    t.first_root = n2;
    t.nodes[n2].next_sibling = n3;
    t.nodes[n3].first_child = n6;
    t.nodes[n6].first_child = n4;
    t.nodes[n4].next_sibling = n44;
    t.nodes[n4].first_child = n23;
    t.nodes[n44].first_child = n7;
    t.nodes[n7].first_child = n96;
    CHECK(search::format_thread_list(t) == "(2)(3 6 (4 23)(44 7 96))");
    // UID THREAD relabels; small pieces concatenate to the same text.
    std::string pieces;
    int count = 0;
    search::write_thread_list(
        t, 3, [&](std::string_view p) { pieces += p; ++count; }, [](std::uint32_t s) { return s * 10; });
    CHECK(pieces == "(20)(30 60 (40 230)(440 70 960))");
    CHECK(count > 5);
    // A dummy root: only parentheses ("((3)(5))").
    search::ThreadTree d;
    d.nodes = {{0, 1, search::ThreadNode::none}, {3, search::ThreadNode::none, 2}, {5}};
    d.first_root = 0;
    CHECK(search::format_thread_list(d) == "((3)(5))");
    CHECK(search::format_thread_list(search::ThreadTree{}).empty());
}

TEST_CASE("REFERENCES: a plain reply tree, siblings by sent date") {
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<b@x>", "<a@x>", "Re: A", 3},
                {"<c@x>", "<a@x>", "Re: A", 2},
                {"<d@x>", "<a@x> <c@x>", "Re: A", 4},
                {"<e@x>", "", "E", 2}}) == "(1 (3 4)(2))(5)");
}

TEST_CASE("REFERENCES: missing parents make dummies, pruned per step 3") {
    // Two replies to a message that is not there: a dummy root with both.
    CHECK(refs({{"<b@x>", "<a@x>", "B", 2}, {"<c@x>", "<a@x>", "C", 1}}) == "((2)(1))");
    // One reply to a missing message: promoted to the root.
    CHECK(refs({{"<b@x>", "<a@x>", "B", 2}, {"<c@x>", "", "C", 1}}) == "(2)(1)");
    // A dummy below a message is replaced by its children.
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<c@x>", "<a@x> <b@x>", "C", 3},
                {"<d@x>", "<a@x> <b@x>", "D", 2}}) == "(1 (3)(2))");
    // A chain of dummies above two messages: one dummy root.
    CHECK(refs({{"<c@x>", "<a@x> <b@x>", "C", 3}, {"<d@x>", "<a@x> <b2@x>", "D", 2}}) == "((2)(1))");
    // The dummy root sorts by its first child (day 2) before day 3.
    CHECK(refs({{"<e@x>", "", "E", 3}, {"<c@x>", "<a@x>", "C", 4}, {"<d@x>", "<a@x>", "D", 2}}) == "((3)(2))(1)");
}

TEST_CASE("REFERENCES: broken chains, truncated References, In-Reply-To only") {
    // 1.A keeps an existing link: <b> stays the child of <a> although
    // message 3 claims <x> is its parent.
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<b@x>", "<a@x>", "B", 2},
                {"<c@x>", "<x@x> <b@x>", "C", 3}}) == "(1 2 3)");
    // 1.B replaces a link made from a truncated References.
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<c@x>", "<b@x> <d@x>", "C", 3},
                {"<d@x>", "<a@x>", "D", 2}}) == "(1 3 2)" );
    // In-Reply-To only, and In-Reply-To ignored when References has ids.
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<b@x>", "", "B", 2, "<a@x>"},
                {"<c@x>", "<b@x>", "C", 3, "<a@x>"}}) == "(1 2 3)");
}

TEST_CASE("REFERENCES: loops and self-references make no link") {
    // Each names the other as parent: the second link would be a loop.
    CHECK(refs({{"<a@x>", "<b@x>", "A", 1}, {"<b@x>", "<a@x>", "B", 2}}) == "(2 1)");
    // A message listing itself as its parent is a thread of its own.
    CHECK(refs({{"<a@x>", "<a@x>", "A", 1}, {"<b@x>", "", "B", 2}}) == "(1)(2)");
    // References looping through other ids.
    CHECK(refs({{"<a@x>", "<b@x> <c@x> <b@x>", "A", 1}, {"<b@x>", "", "B", 2}}) == "(2 1)");
}

TEST_CASE("REFERENCES: missing and duplicate Message-IDs are unique messages") {
    // The second <a> is another message: the reply attaches to the first.
    CHECK(refs({{"<a@x>", "", "A", 1},
                {"<a@x>", "", "A2", 2},
                {"<b@x>", "<a@x>", "B", 3}}) == "(1 3)(2)");
    // No Message-ID: nothing can refer to it.
    CHECK(refs({{"", "", "A", 1}, {"", "", "B", 2}, {"<c@x>", "<>", "C", 3}}) == "(1)(2)(3)");
}

TEST_CASE("REFERENCES step 5: threads with one base subject are merged") {
    // A reply without references goes under the original.
    CHECK(refs({{"<a@x>", "", "Hello", 1}, {"<e@x>", "", "E", 2}, {"<b@x>", "", "Re: hello", 3}}) == "(1 3)(2)");
    // Neither is a reply: a new dummy holds both.
    CHECK(refs({{"<a@x>", "", "Hello", 1}, {"<b@x>", "", "Hello", 3}, {"<e@x>", "", "E", 2}}) == "((1)(2))(3)");
    // The original came later than the reply: it still becomes the parent.
    CHECK(refs({{"<b@x>", "", "Re: Hello", 1}, {"<a@x>", "", "Hello", 3}}) == "(2 1)");
    // Both replies: a dummy.
    CHECK(refs({{"<b@x>", "", "Re: Hello", 1}, {"<a@x>", "", "Fwd: Hello", 3}}) == "((1)(2))");
    // A dummy root (from step 3) takes the others in.
    CHECK(refs({{"<b@x>", "<z@x>", "Hello", 2},
                {"<c@x>", "<z@x>", "Re: Hello", 3},
                {"<d@x>", "", "Hello", 1}}) == "((3)(1)(2))");
    // Empty base subjects are never merged.
    CHECK(refs({{"<a@x>", "", "", 1}, {"<b@x>", "", "Re:", 2}}) == "(1)(2)");
    // REFS does no subject merging.
    CHECK(refs2({{"<a@x>", "", "Hello", 1}, {"<e@x>", "", "E", 2}, {"<b@x>", "", "Re: hello", 3}}) == "(1)(2)(3)");
}

TEST_CASE("REFS: threads ordered by their latest message") {
    std::vector<Msg> m = {{"<a@x>", "", "A", 1},       {"<b@x>", "", "B", 5}, {"<a1@x>", "<a@x>", "Re: A", 10},
                          {"<c@x>", "", "C", 3},       {"<c1@x>", "<c@x>", "Re: C", 4},
                          {"<d1@x>", "<dd@x>", "D", 2}, {"<d2@x>", "<dd@x>", "D", 7},
                          {"<e@x>", "", "A", 6}};
    // Observed with Dovecot 2.3.19 on the same messages.
    CHECK(refs(m) == "((1 3)(8))((6)(7))(4 5)(2)");
    CHECK(refs2(m) == "(4 5)(2)(8)((6)(7))(1 3)");
    CHECK(ordered(m) == "(1 (8)(3))(6 7)(4 5)(2)");
}

TEST_CASE("REFS: ties of the latest date, as Dovecot orders them") {
    // A thread under a (pruned) dummy comes before a plain one of the same
    // date; plain ones by their root's sequence number, not the latest's.
    CHECK(refs2({{"<a@x>", "", "A", 2}, {"<b@x>", "<gone@x>", "B", 2}}) == "(2)(1)");
    CHECK(refs({{"<a@x>", "", "A", 2}, {"<b@x>", "<gone@x>", "B", 2}}) == "(1)(2)");
    CHECK(refs2({{"<a@x>", "", "A", 1}, {"<c@x>", "", "C", 3}, {"<b@x>", "<a@x>", "B", 3}}) == "(1 3)(2)");
}

TEST_CASE("ORDEREDSUBJECT: groups by base subject, the empty one too") {
    CHECK(ordered({{"<a@x>", "", "", 3},
                   {"<b@x>", "", "Re:", 1},
                   {"<c@x>", "", "x", 4},
                   {"<d@x>", "", "Re: X", 3},
                   {"<e@x>", "", "y", 3},
                   {"<f@x>", "", "[Fwd: x]", 5}}) == "(2 1)(4 (3)(6))(5)");
    CHECK(ordered({}) == "");
}

TEST_CASE("sent date ties go by sequence number; no Date: means the internal date") {
    CHECK(refs({{"<a@x>", "", "A", 2}, {"<b@x>", "", "B", 2}, {"<c@x>", "", "C", 2}}) == "(1)(2)(3)");
    // Message 1 has no Date: (internal date is day 100).
    CHECK(refs({{"<a@x>", "", "A", 0}, {"<b@x>", "", "B", 2}}) == "(2)(1)");
    // Time zones: 23:00 -0100 is later than 23:30 +0000.
    std::vector<search::ThreadMessage> in = {
        search::thread_message_from_header(1, "Subject: a\r\nDate: 1 Jan 2020 23:00:00 -0100\r\n\r\n", 0),
        search::thread_message_from_header(2, "Subject: b\r\nDate: 1 Jan 2020 23:30:00 +0000\r\n\r\n", 0)};
    CHECK(search::format_thread_list(search::build_threads(ThreadAlgorithm::references, in)) == "(2)(1)");
}

TEST_CASE("a 100,000-message reply chain neither recurses nor takes quadratic time") {
    std::vector<search::ThreadMessage> in(100000);
    for (std::uint32_t i = 0; i < in.size(); ++i) {
        in[i].seq = i + 1;
        in[i].message_id = "m" + std::to_string(i);
        if (i > 0)
            in[i].references = {"m" + std::to_string(i - 1)};
        in[i].sent_date = i;
    }
    auto tree = search::build_threads(ThreadAlgorithm::references, in);
    std::string text = search::format_thread_list(tree);
    // 488,895 digits, 99,999 spaces, two parentheses.
    CHECK(text.size() == 588896);
    CHECK(text.substr(0, 8) == "(1 2 3 4");
    CHECK(text.substr(text.size() - 14) == " 99999 100000)");
    // The reverse order (replies saved before what they answer) too.
    std::reverse(in.begin(), in.end());
    for (std::uint32_t i = 0; i < in.size(); ++i)
        in[i].seq = i + 1;
    auto reversed = search::format_thread_list(search::build_threads(ThreadAlgorithm::refs, in));
    CHECK(reversed.substr(0, 14) == "(100000 99999 ");
}

TEST_CASE("threading a Maildir view: the cache makes a second run read no message file") {
    SearchFixture f;
    f.add("Message-ID: <a@x>\r\nSubject: Hello\r\nDate: 1 Jan 2020 00:00:00 +0000\r\n\r\nbody\r\n");
    f.add("Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Something else\r\nDate: 2 Jan 2020 00:00:00 +0000\r\n\r\nb\r\n");
    f.add("Message-ID: <c@x>\r\nSubject: Other\r\n\r\nc\r\n", 0, {}, kJan2020 + 5 * kDay);
    auto first = search::thread_messages(*f.box, ThreadAlgorithm::references, {1, 2, 3});
    REQUIRE(first.is_ok());
    CHECK(search::format_thread_list(*first) == "(1 2)(3)");
    // Rewrite message 2's file (same size): a run from the cache still
    // sees the reply; a run that read the file would find no parent (and
    // no subject to merge by) and answer (1)(2)(3).
    f.reopen();
    int rewritten = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(f.dir.path / "Maildir")) {
        if (!e.is_regular_file())
            continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string data = ss.str();
        auto pos = data.find("In-Reply-To: <a@x>");
        if (pos == std::string::npos)
            continue;
        data.replace(pos, 18, "X-Nothing:  <q@xy>");
        std::ofstream(e.path(), std::ios::binary | std::ios::trunc) << data;
        ++rewritten;
    }
    REQUIRE(rewritten == 1);
    auto warm = search::thread_messages(*f.box, ThreadAlgorithm::references, {1, 2, 3});
    REQUIRE(warm.is_ok());
    CHECK(search::format_thread_list(*warm) == "(1 2)(3)");
    // Only some messages, as UID THREAD of a subset would.
    auto some = search::thread_messages(*f.box, ThreadAlgorithm::orderedsubject, {2, 3});
    REQUIRE(some.is_ok());
    CHECK(search::format_thread_list(*some) == "(2)(3)");
}

TEST_CASE("ThreadLoader loads in slices and threads as thread_messages does") {
    SearchFixture f;
    f.add("Message-ID: <a@x>\r\nSubject: Hello\r\nDate: 1 Jan 2020 00:00:00 +0000\r\n\r\nbody\r\n");
    f.add("Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Hello\r\nDate: 2 Jan 2020 00:00:00 +0000\r\n\r\nb\r\n");
    f.add("Message-ID: <c@x>\r\nSubject: Other\r\nDate: 3 Jan 2020 00:00:00 +0000\r\n\r\nc\r\n");
    f.add("Message-ID: <d@x>\r\nReferences: <c@x>\r\nSubject: Re: Other\r\nDate: 4 Jan 2020 00:00:00 +0000\r\n\r\nd\r\n");
    f.add("Message-ID: <e@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: Hello\r\nDate: 5 Jan 2020 00:00:00 +0000\r\n\r\ne\r\n");
    auto load_steps = [&f](search::ThreadLoader& loader) {
        std::vector<bool> steps;
        for (int guard = 0; guard < 10; ++guard) {
            auto loaded = loader.load(*f.box, 2);
            REQUIRE(loaded.is_ok());
            steps.push_back(*loaded);
            if (*loaded)
                break;
        }
        return steps;
    };
    // Cold: the headers are read, two messages a slice.
    search::ThreadLoader cold(ThreadAlgorithm::references, {1, 2, 3, 4, 5});
    CHECK(load_steps(cold) == std::vector<bool>{false, false, true});
    CHECK(search::format_thread_list(cold.finish()) == "(1 2 5)(3 4)");
    // The same messages again: the last tree is kept, nothing is loaded.
    search::ThreadLoader again(ThreadAlgorithm::references, {1, 2, 3, 4, 5});
    CHECK(load_steps(again) == std::vector<bool>{true});
    CHECK(search::format_thread_list(again.finish()) == "(1 2 5)(3 4)");
    auto whole = search::thread_messages(*f.box, ThreadAlgorithm::references, {1, 2, 3, 4, 5});
    REQUIRE(whole.is_ok());
    CHECK(search::format_thread_list(*whole) == "(1 2 5)(3 4)");
    // Other messages or another algorithm: loaded (from the memo) in slices.
    search::ThreadLoader some(ThreadAlgorithm::references, {2, 3, 4, 5});
    CHECK(load_steps(some) == std::vector<bool>{false, true});
    CHECK(search::format_thread_list(some.finish()) == "(2 5)(3 4)");
    search::ThreadLoader subject(ThreadAlgorithm::orderedsubject, {1, 2, 3, 4, 5});
    CHECK(load_steps(subject) == std::vector<bool>{false, false, true});
    CHECK(search::format_thread_list(subject.finish()) == "(1 (2)(5))(3 4)");
    // The kept tree maps positions back to the sequence numbers asked for.
    search::ThreadLoader some_again(ThreadAlgorithm::references, {2, 3, 4, 5});
    CHECK(load_steps(some_again) == std::vector<bool>{true});
    CHECK(search::format_thread_list(some_again.finish()) == "(2 5)(3 4)");
    // Nothing to load: done at once, an empty tree.
    search::ThreadLoader none(ThreadAlgorithm::refs, {});
    auto loaded = none.load(*f.box, 2);
    REQUIRE(loaded.is_ok());
    CHECK(*loaded);
    CHECK(search::format_thread_list(none.finish()).empty());
}
