// Header SEARCH keys served from the index cache (search/header_values.hpp):
// the first search on a field caches each message's decoded, casemapped
// values; later searches give the same answers from the cache (and the
// process-wide memo) without reading the files; a damaged or missing
// cache changes no answer. Every answer is checked against matching the
// message's own header (mime::header_contains), the uncached rule.
#include "search_fixture.hpp"

#include "search/header_values.hpp"
#include "search/key_memo.hpp"

#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/search_text.hpp>

#include <filesystem>
#include <fstream>

using namespace search_test;
namespace search = mailstore::search;
namespace detail = mailstore::search::detail;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

std::string run(SearchFixture& f, std::string_view text) {
    auto program = search::parse(text);
    if (!program)
        return "parse error: " + program.status().message();
    auto result = search::evaluate(*f.box, *program);
    if (!result)
        return "error: " + result.status().message();
    std::string out;
    for (auto seq : *result)
        out += (out.empty() ? "" : " ") + std::to_string(seq);
    return out;
}

fs::path file_of(SearchFixture& f, Seq seq) {
    auto guid = f.box->message(seq).guid();
    REQUIRE(guid.is_ok());
    for (const char* sub : {"cur", "new"})
        for (const auto& e : fs::directory_iterator(f.dir.path / "Maildir" / sub))
            if (e.path().filename().string().rfind(*guid, 0) == 0)
                return e.path();
    FAIL("no file for message " << seq);
    return {};
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Headers whose decoded text differs from what an ENVELOPE keeps: comments,
// groups, encoded words (in display names, comments and subjects), folding,
// odd spacing, repeated fields, raw 8-bit, a NUL, and fields that are absent
// or empty.
const std::vector<std::string> kMessages = {
    "From: \"Carol Q. Smith\" (the boss) <carol@example.com>\r\nTo: team: ann@x.org, bob@y.org;\r\n"
    "Subject: Quarterly   report\r\n",
    "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\nTo: undisclosed-recipients:;\r\n"
    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?B?S8O2bG4=?=\r\n",
    "From: bob@example.com (=?UTF-8?Q?B=C3=B6b?=)\r\nCc: carol@example.com\r\nCc: dave@example.com\r\n"
    "Subject: re: QUARTERLY\r\n numbers\r\n",
    "From: <weird@example.com>\r\nSubject:\r\nX-Tag: one\r\nX-Tag: two\r\n",
    "From: \xc3\x89milie <emilie@example.fr>\r\nSubject: Stra\xc3\x9f" "e\r\nBcc: hidden@example.com\r\n",
    "Sender: nobody@example.com\r\nSubject: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_ol=C3=A9?=\r\n",
    "From: nul\0byte@example.com\r\nSubject: latin1 caf\xe9\r\n"s,
};

const std::vector<std::pair<std::string, std::string>> kSearches = {
    {"FROM", "carol"},       {"FROM", "the boss"}, {"FROM", "q. smith"},   {"FROM", "JÜRGEN"},
    {"FROM", "=?UTF-8?"},    {"FROM", "böb"},      {"FROM", "(b"},         {"FROM", "<weird"},
    {"FROM", "émilie"},      {"FROM", "\"carol"},  {"FROM", ""},           {"FROM", "nul"},
    {"TO", "team:"},         {"TO", "bob@y.org;"}, {"TO", "undisclosed"},  {"TO", ""},
    {"CC", "dave"},          {"CC", "carol"},      {"BCC", "hidden"},      {"SUBJECT", "quarterly"},
    {"SUBJECT", "report"},   {"SUBJECT", "   "},   {"SUBJECT", "grüße"},   {"SUBJECT", "KÖLN"},
    {"SUBJECT", "strasse"},  {"SUBJECT", "STRASSE"}, {"SUBJECT", "café olé"}, {"SUBJECT", "café"},
    {"SUBJECT", ""},         {"SUBJECT", "re: quarterly numbers"}, {"SUBJECT", "quarterly numbers"},
    {"HEADER X-Tag", "two"}, {"HEADER x-tag", ""}, {"HEADER Sender", "nobody"},
};

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

std::string command_of(const std::pair<std::string, std::string>& s) { return s.first + " " + quoted(s.second); }

std::string field_of(const std::pair<std::string, std::string>& s) {
    return s.first.rfind("HEADER ", 0) == 0 ? s.first.substr(7) : s.first;
}

// What matching each message's own header gives: the rule without a cache.
std::string expected(SearchFixture& f, const std::pair<std::string, std::string>& s) {
    std::string name = field_of(s);
    std::string out;
    for (Seq seq = 1; seq <= f.view().count(); ++seq) {
        const std::string data = read_file(file_of(f, seq));
        auto parsed = mime::ParsedMessage::parse(data);
        if (mime::header_contains(parsed, name, s.second))
            out += (out.empty() ? "" : " ") + std::to_string(seq);
    }
    return out;
}

SearchFixture& filled(SearchFixture& f) {
    for (const auto& m : kMessages)
        f.add(m + "\r\nbody\r\n");
    return f;
}

// `cached_only`: leave out the searches on fields whose values are not
// cached (their answers come from the files).
void check_all(SearchFixture& f, const std::vector<std::string>& want, const char* when, bool cached_only = false) {
    for (std::size_t i = 0; i < kSearches.size(); ++i) {
        if (cached_only && !detail::header_values_field(field_of(kSearches[i])))
            continue;
        INFO(when << ": " << command_of(kSearches[i]));
        CHECK(run(f, "CHARSET UTF-8 " + command_of(kSearches[i])) == want[i]);
    }
}

std::vector<std::string> expected_all(SearchFixture& f) {
    std::vector<std::string> want;
    for (const auto& s : kSearches)
        want.push_back(expected(f, s));
    return want;
}

} // namespace

TEST_CASE("header values: the cache field of a name, the list encoding, matching") {
    CHECK(detail::header_values_field("From") == std::optional<std::string>("search.hdr.from"));
    CHECK(detail::header_values_field("X-Spam-Flag") == std::optional<std::string>("search.hdr.x-spam-flag"));
    CHECK(detail::header_values_field("LIST-ID") == std::optional<std::string>("search.hdr.list-id"));
    // Not any name a client sends: each cached field lengthens every
    // message's cache chain.
    CHECK_FALSE(detail::header_values_field("X-Tag").has_value());
    CHECK_FALSE(detail::header_values_field("").has_value());
    CHECK_FALSE(detail::header_values_field("a b").has_value());
    CHECK_FALSE(detail::header_values_field("a:b").has_value());
    CHECK_FALSE(detail::header_values_field(std::string(65, 'x')).has_value());

    const std::string raw = "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nX: a\r\nX:\r\n\r\n";
    auto parsed = mime::ParsedMessage::parse(raw);
    const std::string subject = detail::encode_header_values(parsed, "subject");
    CHECK(subject == std::to_string(mime::casemap("Grüße").size()) + ":" + mime::casemap("Grüße"));
    CHECK(detail::encode_header_values(parsed, "X") == "1:A0:");
    CHECK(detail::encode_header_values(parsed, "Y") == "");
    for (const std::string& v : {subject, std::string("1:A0:"), std::string()})
        CHECK(detail::header_values_valid(v));
    for (const char* bad : {"x", "5:abc", "1:a1", ":", "-1:a"})
        CHECK_FALSE(detail::header_values_valid(bad));

    // An empty needle: the field is present (even with an empty value).
    CHECK(detail::header_values_match("1:A0:", "", ""));
    CHECK_FALSE(detail::header_values_match("", "", ""));
    CHECK(detail::header_values_match("1:A0:", "a", mime::casemap("a")));
    CHECK_FALSE(detail::header_values_match("1:A0:", "b", mime::casemap("b")));
    // No match across two values of the field.
    CHECK_FALSE(detail::header_values_match("1:A1:B", "ab", mime::casemap("ab")));
}

TEST_CASE("the first header search caches the values; later ones answer the same from the cache") {
    SearchFixture f;
    filled(f);
    const auto want = expected_all(f);
    check_all(f, want, "first search (from the files)");
    check_all(f, want, "second search (memo)");
    f.sync(); // writes the cache entries into the index
    f.reopen();
    for (Seq seq = 1; seq <= f.view().count(); ++seq) {
        const std::string data = read_file(file_of(f, seq));
        auto parsed = mime::ParsedMessage::parse(data);
        for (const char* name : {"From", "To", "Cc", "Bcc", "Subject", "Sender"}) {
            INFO("message " << seq << " field " << name);
            CHECK(f.box->message(seq).cached(*detail::header_values_field(name)) ==
                  std::optional<std::string>(detail::encode_header_values(parsed, name)));
        }
        CHECK_FALSE(f.box->message(seq).cached("search.hdr.x-tag").has_value());
    }
    detail::KeyMemo::instance().forget(detail::memo_box_key(*f.box));
    check_all(f, want, "third search (index cache)");

    // Rewrite the files behind the index's back (same size): the answers do
    // not change, proof that they came from the cache, not the files.
    for (Seq seq = 1; seq <= f.view().count(); ++seq) {
        auto path = file_of(f, seq);
        std::string data = read_file(path);
        for (char& c : data)
            if (c >= 'a' && c <= 'z')
                c = 'q';
        std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
    }
    detail::KeyMemo::instance().forget(detail::memo_box_key(*f.box));
    check_all(f, want, "after the files changed (index cache)", true);
    check_all(f, want, "after the files changed (memo)", true);
    // Fields not cached are read from the (changed) files.
    CHECK(run(f, "HEADER X-Tag two") == "");
    CHECK(run(f, "HEADER X-Tqq qqq") == "4"); // the name was rewritten too
}

TEST_CASE("a missing or damaged cache gives the same answers") {
    SearchFixture f;
    filled(f);
    const auto want = expected_all(f);
    check_all(f, want, "first search");
    f.sync();
    f.box.reset();

    SUBCASE("cache file removed") {
        for (const auto& e : fs::recursive_directory_iterator(f.dir.path / "Maildir"))
            if (e.path().filename().string().rfind("loft.index.cache", 0) == 0)
                fs::remove(e.path());
    }
    SUBCASE("cache file overwritten with garbage") {
        for (const auto& e : fs::recursive_directory_iterator(f.dir.path / "Maildir")) {
            if (e.path().filename() != "loft.index.cache")
                continue;
            std::string data = read_file(e.path());
            for (std::size_t i = 24; i < data.size(); ++i)
                data[i] = static_cast<char>(data[i] ^ 0x5a);
            std::ofstream(e.path(), std::ios::binary | std::ios::trunc) << data;
        }
    }
    f.reopen();
    detail::KeyMemo::instance().forget(detail::memo_box_key(*f.box));
    check_all(f, want, "rebuilt from the files");
    check_all(f, want, "then from the memo");
}

TEST_CASE("a cached value that is not a value list is computed again from the file") {
    SearchFixture f;
    filled(f);
    const auto want = expected_all(f);
    // Entries under the field's name that its encoding cannot have written.
    for (Seq seq = 1; seq <= f.view().count(); ++seq) {
        f.box->message(seq).cache("search.hdr.from", "99:carol");
        f.box->message(seq).cache("search.hdr.subject", "garbage");
    }
    f.sync();
    f.reopen();
    detail::KeyMemo::instance().forget(detail::memo_box_key(*f.box));
    check_all(f, want, "over bad entries");
}

TEST_CASE("a header search of a message whose file is gone, with and without cached values") {
    SearchFixture f;
    f.add("From: carol@example.com\r\n\r\nx\r\n");
    f.add("From: carol@example.com\r\n\r\nx\r\n");
    f.add("From: carol@example.com\r\n\r\nx\r\n");
    fs::remove(file_of(f, 2));
    // Not cached: it cannot be read, so it matches neither FROM nor NOT FROM.
    CHECK(run(f, "FROM carol") == "1 3");
    CHECK(run(f, "NOT FROM carol") == "");
    // Nothing was cached for it; the others were (pending until a sync).
    CHECK_FALSE(f.box->message(2).cached("search.hdr.from").has_value());
    CHECK(f.box->message(1).cached("search.hdr.from").has_value());
}

TEST_CASE("a header too large to cache is matched from the file each time") {
    SearchFixture f;
    const std::string big(detail::kMaxCachedHeaderValues + 10, 'x');
    f.add("Subject: " + big + "needle\r\n\r\nx\r\n");
    f.add("Subject: small needle\r\n\r\nx\r\n");
    CHECK(run(f, "SUBJECT needle") == "1 2");
    f.sync();
    CHECK_FALSE(f.box->message(1).cached("search.hdr.subject").has_value());
    CHECK(f.box->message(2).cached("search.hdr.subject").has_value());
    CHECK(run(f, "SUBJECT needle") == "1 2");
    CHECK(run(f, "SUBJECT xneedle") == "1");
}

TEST_CASE("one search in slices over more messages than a Mailbox keeps pending leaves every value cached") {
    SearchFixture f;
    // Files written straight into cur/ (saving 10,500 messages one by one
    // through the API would take long): the sync finds them.
    constexpr int n = 10500;
    fs::path cur = fs::path(f.dir.str()) / "Maildir" / "cur";
    for (int i = 0; i < n; ++i)
        std::ofstream(cur / ("17000" + std::to_string(10000 + i) + ".M" + std::to_string(i) + "P1.test:2,"),
                      std::ios::binary)
            << "From: user" << i % 7 << "@example.com\r\n\r\nx\r\n";
    f.sync();
    REQUIRE(f.view().count() == n);
    // As the IMAP server runs it: 500 messages per evaluate().
    auto program = search::parse("FROM user3");
    REQUIRE(program.is_ok());
    std::size_t found = 0;
    for (Seq first = 1; first <= n; first += 500) {
        search::EvaluateOptions options;
        options.first = first;
        options.last = std::min<Seq>(first + 499, n);
        auto r = search::evaluate(*f.box, *program, options);
        REQUIRE(r.is_ok());
        for (Seq s : *r)
            CHECK((s - 1) % 7 == 3);
        found += r->size();
    }
    CHECK(found == (n + 3) / 7);
    f.reopen();
    int cached = 0;
    for (Seq s = 1; s <= n; ++s)
        cached += f.box->message(s).cached("search.hdr.from").has_value() ? 1 : 0;
    CHECK(cached == n);
}
