// Expected bytes were checked against Dovecot 2.3's BODY.PEEK[...] and
// BINARY.PEEK[...] answers for the same messages.
#include <doctest/doctest.h>

#include <mailstore/mime/section.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <algorithm>

#include <string>
#include <string_view>
#include <vector>

using namespace mailstore::mime;
using namespace std::string_literals;

namespace {

// The bytes IMAP sends for BODY[spec]; "<none>" when the section does not
// exist (IMAP sends an empty string then).
std::string fetch(const ParsedMessage& m, const std::string& spec)
{
    auto s = parse_section_spec(spec);
    REQUIRE(s.has_value());
    auto c = locate_section(m, *s);
    if (!c)
        return "<none>";
    std::string bytes = section_bytes(m, *c);
    CHECK(bytes.size() == c->vsize);
    // The streamed <origin.length> form gives the same bytes at every
    // offset, also one on the LF of a CRLF made from a bare LF.
    std::string whole;
    CHECK(write_section_range(m, *c, 0, UINT64_MAX, [&](std::string_view p) { whole += p; }) ==
          bytes.size());
    CHECK(whole == bytes);
    for (std::size_t origin = 0; origin <= bytes.size() + 1; ++origin) {
        for (std::uint64_t length : {0, 1, 2, 3, 7, 1000}) {
            std::string part;
            const std::uint64_t n =
                write_section_range(m, *c, origin, length, [&](std::string_view p) { part += p; });
            const std::string want = origin < bytes.size() ? bytes.substr(origin, length) : "";
            CHECK(part == want);
            CHECK(n == want.size());
        }
    }
    return bytes;
}

// BINARY[path] as decode_part_binary gives it, checked against the
// streaming forms: BINARY.SIZE counts the same octets and fails the same
// way, the streamed bytes and every <origin.length> range are the same.
std::string binary(const ParsedMessage& m, std::vector<std::uint32_t> path)
{
    auto r = decode_part_binary(m, path);
    auto size = binary_size(m, path);
    std::string streamed;
    const mailstore::Status st = write_part_binary(m, path, [&](std::string_view p) { streamed += p; });
    CHECK(size.is_ok() == r.is_ok());
    CHECK(st.is_ok() == r.is_ok());
    if (!r) {
        CHECK(size.status().message() == r.status().message());
        CHECK(st.message() == r.status().message());
        return "ERROR:" + r.status().message();
    }
    const std::string& bytes = r.value();
    CHECK(size.value() == bytes.size());
    CHECK(streamed == bytes);
    for (std::size_t origin = 0; origin <= bytes.size() + 1 && origin < 300; ++origin) {
        for (std::uint64_t length : {0, 1, 4, 1000}) {
            std::string part;
            auto n = write_part_binary_range(m, path, origin, length, [&](std::string_view p) { part += p; });
            REQUIRE(n.is_ok());
            const std::string want = origin < bytes.size() ? bytes.substr(origin, length) : "";
            CHECK(part == want);
            CHECK(n.value() == want.size());
        }
    }
    return bytes;
}

const char* kS1 = "From: a@b\r\nSubject: hello\r\n world\r\nTo: c@d\r\nsubject: second\r\nX-Empty:\r\n\r\nbody line\r\n";
const char* kS1Header = "From: a@b\r\nSubject: hello\r\n world\r\nTo: c@d\r\nsubject: second\r\nX-Empty:\r\n\r\n";

} // namespace

TEST_CASE("mime section: parse_section_spec")
{
    auto s = parse_section_spec("");
    REQUIRE(s);
    CHECK(s->part.empty());
    CHECK(s->kind == SectionSpec::Kind::full);

    s = parse_section_spec("1.2.3");
    REQUIRE(s);
    CHECK(s->part == std::vector<std::uint32_t>{1, 2, 3});
    CHECK(s->kind == SectionSpec::Kind::full);

    s = parse_section_spec("2.mime");
    REQUIRE(s);
    CHECK(s->kind == SectionSpec::Kind::mime);
    CHECK(parse_section_spec("text")->kind == SectionSpec::Kind::text);
    CHECK(parse_section_spec("1.HEADER")->kind == SectionSpec::Kind::header);

    s = parse_section_spec("1.HEADER.FIELDS (From \"X-Odd\\\"Name\" to)");
    REQUIRE(s);
    CHECK(s->kind == SectionSpec::Kind::header_fields);
    CHECK(s->part == std::vector<std::uint32_t>{1});
    CHECK(s->fields == std::vector<std::string>{"From", "X-Odd\"Name", "to"});
    s = parse_section_spec("header.fields.not (Subject)");
    REQUIRE(s);
    CHECK(s->kind == SectionSpec::Kind::header_fields_not);
    CHECK(s->fields == std::vector<std::string>{"Subject"});

    for (const char* bad : {"MIME", "0", "1.0", "01", "1.", ".1", "1..2", "HEADER.FIELDS ()", "HEADER.FIELDS",
                            "HEADER.FIELDS (From", "HEADER.FIELDS (From) x", "HEADER.FIELDS(From)", "TEXT.MIME",
                            "1.TEXTX", "BODY", "4294967296", "1.HEADER.FIELDS (\"unclosed)", "HEADER.FIELDS (a  b)"})
        CHECK_MESSAGE(!parse_section_spec(bad), bad);
    CHECK(parse_section_spec("4294967295"));
}

TEST_CASE("mime section: a simple message")
{
    auto m = ParsedMessage::parse(kS1);
    CHECK(fetch(m, "") == kS1);
    CHECK(fetch(m, "HEADER") == kS1Header);
    CHECK(fetch(m, "TEXT") == "body line\r\n");
    CHECK(fetch(m, "1") == "body line\r\n");
    CHECK(fetch(m, "1.MIME") == kS1Header);  // the message's header, as Dovecot
    CHECK(fetch(m, "1.HEADER") == "<none>");
    CHECK(fetch(m, "1.TEXT") == "<none>");
    CHECK(fetch(m, "2") == "<none>");
    CHECK(fetch(m, "1.1") == "<none>");
    CHECK(fetch(m, "HEADER.FIELDS (SUBJECT to X-EMPTY)") ==
          "Subject: hello\r\n world\r\nTo: c@d\r\nsubject: second\r\nX-Empty:\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (subject)") == "From: a@b\r\nTo: c@d\r\nX-Empty:\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (Missing)") == "\r\n");
}

TEST_CASE("mime section: LF-only input is sent with CRLF")
{
    auto m = ParsedMessage::parse("From: a@b\nSubject: hi\n\nbody\nline2\n");
    CHECK(fetch(m, "") == "From: a@b\r\nSubject: hi\r\n\r\nbody\r\nline2\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (SUBJECT)") == "Subject: hi\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (SUBJECT)") == "From: a@b\r\n\r\n");
    CHECK(fetch(m, "1") == "body\r\nline2\r\n");
    CHECK(binary(m, {1}) == "body\r\nline2\r\n");
}

TEST_CASE("mime section: header without an empty line")
{
    auto m = ParsedMessage::parse("From: a@b\r\nSubject: nohdrend");
    CHECK(fetch(m, "HEADER.FIELDS (SUBJECT to X-EMPTY)") == "Subject: nohdrend\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (From)") == "From: a@b\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (From)") == "Subject: nohdrend");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (Subject)") == "From: a@b\r\n");
    CHECK(fetch(m, "1.MIME") == "From: a@b\r\nSubject: nohdrend");
    CHECK(fetch(m, "1") == "");
}

TEST_CASE("mime section: malformed header lines and WSP before the colon")
{
    auto m = ParsedMessage::parse("Subject: a\r\nFoo bar baz\r\nX-A : b\r\n \r\nX-B: c\r\nFrom: x\r\n\r\nbody\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (FROM)") == "From: x\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (X-A)") == "X-A : b\r\n \r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (FROM)") == "Subject: a\r\nFoo bar baz\r\nX-A : b\r\n \r\nX-B: c\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (SUBJECT)") == "Foo bar baz\r\nX-A : b\r\n \r\nX-B: c\r\nFrom: x\r\n\r\n");
}

TEST_CASE("mime section: parts, message/rfc822 HEADER/TEXT, MIME")
{
    std::string raw = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
                      "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nA\r\n"
                      "--b\r\n\r\nx\r\n--b--\r\n";
    auto m = ParsedMessage::parse(raw);
    CHECK(fetch(m, "1.MIME") == "Content-Type: message/rfc822\r\n\r\n");
    CHECK(fetch(m, "1") == "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nA");
    CHECK(fetch(m, "1.HEADER") == "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n");
    CHECK(fetch(m, "1.TEXT") == "--c\r\n\r\nA");
    CHECK(fetch(m, "1.1") == "A");
    CHECK(fetch(m, "1.1.MIME") == "\r\n");
    CHECK(fetch(m, "1.HEADER.FIELDS (subject)") == "Subject: inner\r\n\r\n");
    CHECK(fetch(m, "1.1.HEADER") == "<none>");
    CHECK(fetch(m, "2") == "x");
    CHECK(fetch(m, "2.1") == "x");  // a leaf is its own part 1
    CHECK(fetch(m, "2.1.MIME") == "\r\n");
    CHECK(fetch(m, "2.TEXT") == "<none>");
    CHECK(fetch(m, "2.1.1") == "<none>");
    CHECK(fetch(m, "1.2") == "<none>");
    CHECK(fetch(m, "3") == "<none>");
    CHECK(fetch(m, "TEXT").size() == 125);

    // message/rfc822 at the top: 1 is its body, 1.1 the inner body.
    auto top = ParsedMessage::parse("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                                    "Subject: hi\r\n\r\nbody\r\n");
    CHECK(fetch(top, "1") == "Subject: hi\r\n\r\nbody\r\n");
    CHECK(fetch(top, "1.1") == "body\r\n");
    CHECK(fetch(top, "1.TEXT") == "body\r\n");
    CHECK(fetch(top, "1.HEADER") == "Subject: hi\r\n\r\n");
    // message/global is not descended into (Dovecot 2.3).
    auto global = ParsedMessage::parse("Content-Type: message/global\r\n\r\nSubject: hi\r\n\r\nbody\r\n");
    CHECK(fetch(global, "1.1") == "<none>");
}

TEST_CASE("mime section: HEADER.FIELDS.NOT of a header cut short by a boundary")
{
    // The empty line went to the boundary; Dovecot still prints it.
    auto m = ParsedMessage::parse("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
                                  "Content-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\n--zz--\r\n");
    CHECK(fetch(m, "1.HEADER") == "Subject: a\r\n");
    CHECK(fetch(m, "1.HEADER.FIELDS (subject)") == "Subject: a\r\n\r\n");
    CHECK(fetch(m, "1.HEADER.FIELDS.NOT (subject)") == "\r\n");
    CHECK(fetch(m, "1.MIME") == "Content-Type: message/rfc822\r\n\r\n");
    CHECK(fetch(m, "1") == "Subject: a\r\n\r\n");

    auto empty = ParsedMessage::parse("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
                                      "Content-Type: message/rfc822\r\n\r\n--zz--\r\n");
    CHECK(fetch(empty, "1.MIME") == "Content-Type: message/rfc822\r\n");
    CHECK(fetch(empty, "1") == "");
    CHECK(fetch(empty, "1.HEADER") == "");
    CHECK(fetch(empty, "1.HEADER.FIELDS.NOT (subject)") == "\r\n");
}

TEST_CASE("mime section: CrlfNormalizer and crlf_size")
{
    std::string out;
    CrlfNormalizer n;
    n.feed("a\nb\r", out);
    n.feed("\nc\r", out);  // CR then LF across chunks: one CRLF
    n.feed("d\n", out);    // a lone CR stays
    n.feed("", out);
    n.feed("\n", out);
    n.finish(out);
    CHECK(out == "a\r\nb\r\nc\rd\r\n\r\n");
    CHECK(crlf_size("a\nb\r\nc\rd\n") == 11);
    CHECK(crlf_size("") == 0);
    CHECK(crlf_size("\n\n") == 4);
}

TEST_CASE("mime section: BINARY of leaves")
{
    auto one = [](const std::string& cte, const std::string& body) {
        std::string h = "MIME-Version: 1.0\n";
        if (!cte.empty())
            h += "Content-Transfer-Encoding: " + cte + "\n";
        return h + "\n" + body;
    };
    auto b = [&](const std::string& cte, const std::string& body) {
        std::string raw = one(cte, body);  // ParsedMessage keeps a view: keep the bytes alive
        auto m = ParsedMessage::parse(raw);
        return binary(m, {1});
    };
    CHECK(b("quoted-printable", "line1=3D\nline2=\nsoft\n") == "line1=\r\nline2soft\r\n");
    CHECK(b("base64", "aGVsbG8K\nd29ybGQ=\n") == "hello\nworld");
    CHECK(b("", "plain\nlf\n") == "plain\r\nlf\r\n");
    CHECK(b("x-uuencode", "begin\n") == "ERROR:unknown-cte");
    CHECK(b("base64", "!!bad**aGk=\n") == "ERROR:invalid-data");
    CHECK(b("BASE64 (c)", "aGk=\n") == "hi");
    CHECK(b("binary", "x\0y\n"s) == "x\0y\r\n"s);
    CHECK(b("8bit", "caf\xc3\xa9\n") == "caf\xc3\xa9\r\n");
    CHECK(b("quoted-printable", "a=G1b\n") == "ERROR:invalid-data");
    CHECK(b("base64", "aGk=\nmore\n") == "ERROR:invalid-data");
    CHECK(b("7bit", "a\r\nb\r\n") == "a\r\nb\r\n");
    CHECK(b("quoted-printable", "a=\n") == "a");
    CHECK(b("quoted-printable", "a  \nb\n") == "a\r\nb\r\n");
    CHECK(b("base64", "a GV\tsbG8=\n") == "hello");

    std::string qp = one("quoted-printable", "a=3Db\n");
    auto m = ParsedMessage::parse(qp);
    CHECK(binary(m, {2}) == "ERROR:no such part");
    CHECK(binary(m, {}) == "MIME-Version: 1.0\r\nContent-Transfer-Encoding: binary\r\n\r\na=b\r\n");
    std::string uu = one("x-uuencode", "begin\n");
    auto bad = ParsedMessage::parse(uu);
    CHECK(binary(bad, {}) == "ERROR:unknown-cte");
}

TEST_CASE("mime section: BINARY of containers rewrites each decoded part's header")
{
    std::string raw = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\npre\r\n--o\r\n"
                      "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nContent-Transfer-Encoding: base64\r\n"
                      "X-A: b\r\n\r\naGk=\r\n--i\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n--i--\r\nepi\r\n"
                      "--o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSubject: x\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n--o--\r\n";
    auto m = ParsedMessage::parse(raw);
    CHECK(binary(m, {1}) == "--i\r\nX-A: b\r\nContent-Transfer-Encoding: binary\r\n\r\nhi\r\n--i\r\n"
                            "Content-Transfer-Encoding: binary\r\n\r\na=b\r\n--i--\r\nepi");
    CHECK(binary(m, {2}) == "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\nhi");
    CHECK(binary(m, {1, 1}) == "hi");
    CHECK(binary(m, {2, 1}) == "hi");  // decoded although the inner header has no MIME-Version
    CHECK(binary(m, {}) ==
          "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\npre\r\n--o\r\n"
          "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nX-A: b\r\nContent-Transfer-Encoding: binary\r\n\r\n"
          "hi\r\n--i\r\nContent-Transfer-Encoding: binary\r\n\r\na=b\r\n--i--\r\nepi\r\n--o\r\n"
          "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSubject: x\r\n"
          "Content-Transfer-Encoding: binary\r\n\r\nhi\r\n--o--\r\n");
}

TEST_CASE("mime section: NUL is sent as 0x80 in BODY sections, kept in BINARY")
{
    std::string raw = "Subject: a\0b\r\nContent-Type: text/plain; name=\"a\0b\"\r\n\r\nx\0y\r\n"s;
    auto m = ParsedMessage::parse(raw);
    CHECK(fetch(m, "") == "Subject: a\x80" "b\r\nContent-Type: text/plain; name=\"a\x80" "b\"\r\n\r\nx\x80y\r\n");
    CHECK(fetch(m, "HEADER.FIELDS (Subject)") == "Subject: a\x80" "b\r\n\r\n");
    CHECK(fetch(m, "HEADER.FIELDS.NOT (Subject)") == "Content-Type: text/plain; name=\"a\x80" "b\"\r\n\r\n");
    CHECK(fetch(m, "TEXT") == "x\x80y\r\n");
    CHECK(binary(m, {1}) == "x\0y\r\n"s);

    std::string out;
    CrlfNormalizer keep;
    keep.feed("a\0\n"s, out);
    CHECK(out == "a\0\r\n"s);
    out.clear();
    CrlfNormalizer imap(true);
    imap.feed("a\0\n"s, out);
    imap.finish(out);
    CHECK(out == "a\x80\r\n");
}

TEST_CASE("mime section: BINARY of a container: unknown encodings first, empty bodies untouched")
{
    // A damaged base64 part comes before an x-foo part: Dovecot still
    // answers [UNKNOWN-CTE] for the whole message.
    std::string raw = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                      "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!AGM9Yw==\r\n"
                      "--b\r\nContent-Transfer-Encoding: x-foo\r\n\r\nzzz\r\n--b--\r\n";
    auto m = ParsedMessage::parse(raw);
    CHECK(binary(m, {}) == "ERROR:unknown-cte");
    CHECK(binary(m, {1}) == "ERROR:invalid-data");
    CHECK(binary(m, {2}) == "ERROR:unknown-cte");

    // An empty base64 body: the header keeps its Content-Transfer-Encoding.
    std::string empty = "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    auto e = ParsedMessage::parse(empty);
    CHECK(binary(e, {}) == empty);
    CHECK(binary(e, {1}) == "");
    std::string blank = "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n\r\n";
    auto b = ParsedMessage::parse(blank);
    CHECK(binary(b, {}) == "MIME-Version: 1.0\r\nContent-Transfer-Encoding: binary\r\n\r\n");
}

TEST_CASE("mime section: HEADER.FIELDS of a header cut by a boundary reads on to the next empty line")
{
    auto wrap = [](const std::string& inner) {
        return "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\n" + inner;
    };
    std::string ca = wrap("Subject: a\r\n--zz--\r\n");
    auto a = ParsedMessage::parse(ca);
    CHECK(fetch(a, "1.HEADER") == "Subject: a");
    CHECK(fetch(a, "1.HEADER.FIELDS (subject)") == "Subject: a\r\n");  // cut, no empty line: none added
    CHECK(fetch(a, "1.HEADER.FIELDS.NOT (subject)") == "--zz--\r\n");
    CHECK(fetch(a, "1.HEADER.FIELDS (from)") == "");

    std::string cb = wrap("Subject: a\r\nFrom: b\r\n--zz\r\n\r\nX\r\n--zz--\r\n");
    auto b = ParsedMessage::parse(cb);
    CHECK(fetch(b, "1.HEADER.FIELDS (subject)") == "Subject: a\r\n\r\n");
    CHECK(fetch(b, "1.HEADER.FIELDS.NOT (subject)") == "From: b\r\n--zz\r\n\r\n");

    std::string cc = wrap("Subject: a\r\n--zz--\r\nepi: x\r\n\r\nmore\r\n");
    auto c = ParsedMessage::parse(cc);
    CHECK(fetch(c, "1.HEADER.FIELDS (from epi)") == "epi: x\r\n\r\n");
    CHECK(fetch(c, "1.HEADER.FIELDS.NOT (subject)") == "--zz--\r\nepi: x\r\n\r\n");

    std::string ce = wrap("Subject: a\r\n--zz--");
    auto e = ParsedMessage::parse(ce);
    CHECK(fetch(e, "1.HEADER.FIELDS (subject)") == "Subject: a\r\n");
    CHECK(fetch(e, "1.HEADER.FIELDS.NOT (subject)") == "--zz--");

    // A whole message that is all header is not cut: the empty line is added.
    auto nb = ParsedMessage::parse("Subject: x\r\nFrom: y\r\n");
    CHECK(fetch(nb, "HEADER.FIELDS (Subject)") == "Subject: x\r\n\r\n");
    CHECK(fetch(nb, "HEADER.FIELDS.NOT (Subject)") == "From: y\r\n");
    CHECK(fetch(nb, "HEADER.FIELDS (none)") == "\r\n");
}

TEST_CASE("mime section: BINARY of a base64 body with an incomplete last quantum fails")
{
    // RFC 2045 §6.8 base64 is whole 24-bit groups; Dovecot 2.3 fails the
    // FETCH of BINARY[1] for each of these ("BYE ... Internal error").
    for (const char* body : {"aGVsbG8gd29ybGQ\r\n", "aGVsbG8gd29ybA\r\n", "aGVsbG8gd29yb\r\n", "aGk=\r\n="}) {
        CAPTURE(body);
        const std::string raw = "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n"s + body;
        auto m = ParsedMessage::parse(raw);
        CHECK(binary(m, {1}) == "ERROR:invalid-data");
    }
}

TEST_CASE("mime section: BINARY reads Content-Transfer-Encoding without MIME-Version")
{
    // As Dovecot's BINARY does (and SEARCH, see test_mime_search_text).
    const std::string raw = "Subject: a\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n";
    auto m = ParsedMessage::parse(raw);
    CHECK(binary(m, {1}) == "hello world");
    const std::string params = "Subject: a\r\nContent-Transfer-Encoding: base64; x=y\r\n\r\naGk=\r\n";
    auto p = ParsedMessage::parse(params);
    CHECK(binary(p, {1}) == "hi");
}

TEST_CASE("mime section: streamed BINARY and ranges of a large base64 part")
{
    // 300 000 decoded octets: several 64 KiB pieces, base64 groups and
    // CRLF line ends cut at piece boundaries (LF-only input).
    std::string data;
    for (std::size_t i = 0; i < 300000; ++i)
        data.push_back(static_cast<char>((i * 7 + i / 251) & 0xFF));
    std::string encoded = encode_base64(data, 76);
    std::string lf;
    for (char c : encoded)
        if (c != '\r')
            lf.push_back(c);
    const std::string raw = "MIME-Version: 1.0\nContent-Type: application/octet-stream\n"
                            "Content-Transfer-Encoding: base64\n\n" + lf + "\n";
    auto m = ParsedMessage::parse(raw);
    const std::vector<std::uint32_t> one{1};
    auto size = binary_size(m, one);
    REQUIRE(size.is_ok());
    CHECK(size.value() == data.size());
    std::string streamed;
    std::size_t pieces = 0, biggest = 0;
    CHECK(write_part_binary(m, one, [&](std::string_view p) {
              streamed += p;
              ++pieces;
              biggest = std::max(biggest, p.size());
          }).is_ok());
    CHECK(streamed == data);
    CHECK(pieces > 3);
    CHECK(biggest <= 256 * 1024);
    for (std::uint64_t origin : {0ul, 1ul, 65535ul, 65536ul, 196607ul, 299999ul, 300000ul}) {
        for (std::uint64_t length : {1ul, 2ul, 70000ul, 400000ul}) {
            std::string part;
            auto n = write_part_binary_range(m, one, origin, length, [&](std::string_view p) { part += p; });
            REQUIRE(n.is_ok());
            CHECK(part == (origin < data.size() ? data.substr(origin, length) : ""));
        }
    }
    // A damaged last quantum is found by BINARY.SIZE, not by a range that
    // ends before it.
    const std::string cut = raw.substr(0, raw.size() - 3) + "\n";
    auto d = ParsedMessage::parse(cut);
    CHECK(binary_size(d, one).status().message() == "invalid-data");
    std::string head;
    CHECK(write_part_binary_range(d, one, 0, 10, [&](std::string_view p) { head += p; }).is_ok());
    CHECK(head == data.substr(0, 10));
}

TEST_CASE("mime section: BODY ranges of a large LF-only section")
{
    // Lines of varying length with bare LF, CRLF and NUL: the virtual
    // offsets must land on the right raw byte anywhere in 200 KB.
    std::string body;
    for (int i = 0; body.size() < 200000; ++i) {
        body.append(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
        if (i % 11 == 0)
            body.push_back('\0');
        body += i % 3 == 0 ? "\r\n" : "\n";
    }
    const std::string raw = "Subject: big\n\n" + body;
    auto m = ParsedMessage::parse(raw);
    auto c = locate_section(m, *parse_section_spec("TEXT"));
    REQUIRE(c.has_value());
    const std::string bytes = section_bytes(m, *c);
    REQUIRE(bytes.size() == c->vsize);
    for (std::uint64_t origin : {0ul, 1ul, 5000ul, 65536ul, 65537ul, 131071ul, 199999ul,
                                 static_cast<unsigned long>(bytes.size() - 1)}) {
        for (std::uint64_t length : {1ul, 2ul, 3ul, 100000ul}) {
            std::string part;
            const std::uint64_t n = write_section_range(m, *c, origin, length, [&](std::string_view p) { part += p; });
            CHECK(part == bytes.substr(origin, length));
            CHECK(n == part.size());
        }
    }
    // Every offset around one bare LF: its CR, its LF, and the byte after.
    const std::size_t lf = bytes.find("\r\n", 1000);
    for (std::size_t origin = lf - 2; origin < lf + 3; ++origin) {
        std::string part;
        write_section_range(m, *c, origin, 4, [&](std::string_view p) { part += p; });
        CHECK(part == bytes.substr(origin, 4));
    }
}

TEST_CASE("mime section: BINARY of a message nested beyond any limit")
{
    // 200 000 message/rfc822 levels with the limits raised as far as they
    // go: the parser clamps the depth (ParseLimits::kMaxDepth), so the
    // writer's recursion stays bounded; the rest is one opaque body.
    std::string raw;
    for (int i = 0; i < 200000; ++i)
        raw += "Content-Type: message/rfc822\r\n\r\n";
    raw += "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
    ParseLimits limits;
    limits.max_depth = 1u << 30;
    limits.max_parts = 1u << 30;
    auto m = ParsedMessage::parse(raw, limits);
    auto size = binary_size(m, std::vector<std::uint32_t>{});
    REQUIRE(size.is_ok());
    CHECK(size.value() == raw.size());  // nothing decoded: the base64 leaf is below the limit
    std::string tail;
    CHECK(write_part_binary_range(m, std::vector<std::uint32_t>{}, raw.size() - 6, 100,
                                  [&](std::string_view p) { tail += p; })
              .value() == 6);
    CHECK(tail == "aGk=\r\n");
}
