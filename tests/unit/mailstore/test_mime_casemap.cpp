// i;unicode-casemap (RFC 5051): per character, simple titlecase, then full
// decomposition. Where the RFC gives results people may not expect (ß, ﬁ,
// combining marks in another order), the tests pin what the RFC says, which
// is also what Dovecot 2.3's SEARCH does (each case checked against it).
#include <doctest/doctest.h>

#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/charset.hpp>

#include <string>
#include <string_view>

using namespace mailstore::mime;

TEST_CASE("mime casemap ASCII")
{
    CHECK(casemap("") == "");
    CHECK(casemap("Hello, World 123!") == "HELLO, WORLD 123!");
    CHECK(casemap(std::string_view("a\0b", 3)) == std::string_view("A\0B", 3));
    CHECK(casemap("\x7F~") == "\x7F~");
}

TEST_CASE("mime casemap accents and decomposition")
{
    // Precomposed and decomposed é give the same form: E + U+0301.
    CHECK(casemap("\xC3\xA9") == "E\xCC\x81");
    CHECK(casemap("e\xCC\x81") == "E\xCC\x81");
    CHECK(casemap("\xC3\x89") == "E\xCC\x81");
    CHECK(casemap_compare("caf\xC3\xA9", "CAFE\xCC\x81") == 0);
    CHECK(casemap_contains("Caf\xC3\xA9 au lait", "CAFE\xCC\x81"));
    CHECK(casemap_contains("caf\xC3\xA9", "cafe"));  // substring of E + U+0301
    // Decomposition is per character, without canonical reordering: the
    // same marks in another order differ, but á + dot below equals
    // a + acute + dot below.
    CHECK(casemap_compare("a\xCC\x81\xCC\xA3", "a\xCC\xA3\xCC\x81") != 0);
    CHECK(casemap_compare("\xC3\xA1\xCC\xA3", "a\xCC\x81\xCC\xA3") == 0);
    CHECK(casemap_compare("\xE1\xBA\xA1\xCC\x81", "a\xCC\x81\xCC\xA3") != 0);  // ạ + acute
    CHECK(casemap("\xE1\xBA\xA1\xCC\x81") == "A\xCC\xA3\xCC\x81");
    // Compatibility decompositions: ½ → 1⁄2, Hangul syllables → jamo.
    CHECK(casemap("\xC2\xBD") == "1\xE2\x81\x84" "2");
    CHECK(casemap("\xED\x95\x9C") == "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
}

TEST_CASE("mime casemap special cases")
{
    // ß has no simple titlecase (only the full mapping "Ss"), so it stays
    // and does not match "SS".
    CHECK(casemap("stra\xC3\x9F" "e") == "STRA\xC3\x9F" "E");
    CHECK(casemap_contains("Stra\xC3\x9F" "e", "STRA\xC3\x9F" "E"));
    CHECK_FALSE(casemap_contains("Stra\xC3\x9F" "e", "STRASSE"));
    // Turkish: dotted capital I decomposes to I + U+0307; dotless ı
    // titlecases to plain I.
    CHECK(casemap("\xC4\xB0") == "I\xCC\x87");
    CHECK(casemap("\xC4\xB1") == "I");
    CHECK(casemap_compare("\xC4\xB1", "i") == 0);
    CHECK(casemap_contains("\xC4\xB0stanbul", "stanbul"));
    CHECK_FALSE(casemap_contains("\xC4\xB0stanbul", "istanbul"));
    // Ligature ﬁ: no simple titlecase, NFKD gives lower-case "fi".
    CHECK(casemap("\xEF\xAC\x81") == "fi");
    CHECK_FALSE(casemap_contains("\xEF\xAC\x81le", "FILE"));
    CHECK(casemap_contains("\xEF\xAC\x81le", "\xEF\xAC\x81LE"));
    CHECK(casemap_contains("\xEF\xAC\x83", "\xEF\xAC\x81"));  // ﬃ contains ﬁ ("ffi" ⊃ "fi")
    CHECK_FALSE(casemap_contains("\xEF\xAC\x83", "ffi"));
    CHECK(casemap(casemap("\xEF\xAC\x81")) == "FI");           // not idempotent
    // Full-width letters: titlecase then NFKD gives plain ASCII capitals.
    CHECK(casemap("\xEF\xBC\xA1\xEF\xBD\x82") == "AB");  // ＡＢ (Ａｂ)
    CHECK(casemap_contains("\xEF\xBD\x88\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F", "Hello"));
    // Titlecase is not uppercase: ǆ and Ǆ both become Dž, whose NFKD is
    // D + z + caron.
    CHECK(casemap("\xC7\x86") == "Dz\xCC\x8C");
    CHECK(casemap_compare("\xC7\x84", "\xC7\x86") == 0);
    // Greek final sigma titlecases to Σ like σ.
    CHECK(casemap_compare("\xCF\x82", "\xCF\x83") == 0);
    // Cyrillic.
    CHECK(casemap_compare("\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
                          "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2") == 0);
}

TEST_CASE("mime casemap invalid UTF-8")
{
    CHECK(casemap("a\xFF" "b") == "A\xEF\xBF\xBD" "B");
    CHECK(casemap("\xE2\x82") == "\xEF\xBF\xBD");
    CHECK(casemap_contains("x\xFFy", "\xEF\xBF\xBD"));
    CHECK(is_valid_utf8(casemap("\xC0\xAF\xED\xA0\x80\xF4\x90")));
}

TEST_CASE("mime casemap_compare")
{
    CHECK(casemap_compare("abc", "ABC") == 0);
    CHECK(casemap_compare("a", "B") == -1);
    CHECK(casemap_compare("b", "A") == 1);
    CHECK(casemap_compare("", "") == 0);
    CHECK(casemap_compare("", "a") == -1);
    CHECK(casemap_compare("ab", "a") == 1);
    // Octet order of the casemaps: E + U+0301 sorts before "EA".
    CHECK(casemap_compare("\xC3\xA9", "ea") == 1);  // 0xCC > 'A'
    CHECK(casemap_compare("\xC3\xA9", "e") == 1);
}

TEST_CASE("mime casemap_contains")
{
    CHECK(casemap_contains("anything", ""));
    CHECK(casemap_contains("", ""));
    CHECK_FALSE(casemap_contains("", "a"));
    CHECK(casemap_contains("Hello World", "o w"));
    CHECK_FALSE(casemap_contains("Hello", "hello!"));
    CasemapMatcher m("CAF\xC3\x89");
    CHECK(m.folded_needle() == "CAFE\xCC\x81");
    CHECK(m.found_in("un caf\xC3\xA9"));
    CHECK_FALSE(m.found_in("un cafe"));
    CHECK(CasemapMatcher("").found_in(""));
}

TEST_CASE("mime casemap_contains on large text and across pieces")
{
    // A 10 MB body with the match at the very end.
    std::string body(10 * 1024 * 1024, 'x');
    body += "Caf\xC3\xA9";
    CHECK(casemap_contains(body, "XCAFE\xCC\x81"));
    CHECK_FALSE(casemap_contains(body, "xcafes"));

    // Matches that straddle the 64 KiB pieces, in ASCII, in text that is
    // mostly non-ASCII, and in text with long runs of combining marks: the
    // result must equal searching the whole casemap.
    const std::string fills[] = {"a", "\xE4\xB8\xAD", "\xC3\xA9", "e\xCC\x81\xCC\xA3", "\xCC\x81"};
    const std::string needles[] = {"zq\xC3\xA9Z", "\xE4\xB8\xAD" "ZQ", "\xCC\x81" "ZQ"};
    for (const auto& fill : fills) {
        for (const auto& needle : needles) {
            for (std::size_t at : {65536 - 7, 65536 - 1, 65536, 65536 + 2, 3 * 65536 + 1}) {
                std::string h;
                while (h.size() < at)
                    h += fill;
                h += needle;
                while (h.size() < 5 * 65536)
                    h += fill;
                CAPTURE(fill);
                CAPTURE(needle);
                CAPTURE(at);
                const bool expected = casemap(h).find(casemap(needle)) != std::string::npos;
                CHECK(casemap_contains(h, needle) == expected);
                CHECK(expected);
            }
        }
    }
}

TEST_CASE("mime casemap of pathological mark runs")
{
    // 200k combining marks of alternating classes: linear work, kept in order.
    std::string marks;
    for (int i = 0; i < 100000; ++i)
        marks += "\xCC\x81\xCC\xA3";  // ccc 230, 220
    const std::string folded = casemap("a" + marks);
    CHECK(is_valid_utf8(folded));
    CHECK(folded.size() == marks.size() + 1);
    CHECK(casemap_contains(marks, "\xCC\xA3\xCC\x81\xCC\xA3"));
    CHECK_FALSE(casemap_contains(marks, "\xCC\xA3\xCC\xA3"));
    // A long run of stray continuation bytes, one U+FFFD each.
    const std::string stray(300000, '\x80');
    CHECK(casemap(stray).size() == 3 * stray.size());
    CHECK(casemap_contains(stray + "end", "\xEF\xBF\xBD" "END"));
}

TEST_CASE("mime casemap CasemapSearch: pieces cut anywhere")
{
    // Cut at every byte, also inside multi-byte characters: the same
    // answers as found_in on the whole haystack.
    const std::string hay = "x\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 Stra\xC3\x9F" "e \xEF\xAC\x81le \xE9!";
    for (std::string_view needle : {"\xC3\x89T\xC3\x89", "\xE2\x82\xAC \xF0\x9F\x98\x80", "STRA\xC3\x9F" "E",
                                    "FILE", "\xEF\xBF\xBD!", "x", "!", "", "absent", "\xC3\xA9 \xC3\xA9"}) {
        CAPTURE(needle);
        const CasemapMatcher m(needle);
        const bool whole = m.found_in(hay);
        for (std::size_t cut = 0; cut <= hay.size(); ++cut) {
            CasemapSearch s(m);
            s.feed(std::string_view(hay).substr(0, cut));
            s.feed(std::string_view(hay).substr(cut));
            CHECK(s.finish() == whole);
        }
        CasemapSearch bytes(m);
        for (char c : hay)
            bytes.feed(std::string_view(&c, 1));
        CHECK(bytes.finish() == whole);
    }
    // A lone lead byte at the very end reads as U+FFFD.
    const CasemapMatcher fffd("a\xEF\xBF\xBD");
    CasemapSearch s(fffd);
    s.feed("xa\xE2\x82");
    CHECK(s.finish());
}

TEST_CASE("mime casemap CasemapSearch: haystacks are kept apart")
{
    const CasemapMatcher m("abcd");
    CasemapSearch s(m);
    CHECK_FALSE(s.feed("xxab"));
    CHECK_FALSE(s.finish());
    CHECK_FALSE(s.feed("cdxx"));  // "ab" + "cd" across two haystacks
    s.reset();
    CHECK_FALSE(s.feed("ab"));
    CHECK(s.feed("CD"));
    CHECK(s.found());
    // A needle straddling 64 KiB pieces inside one large feed.
    std::string big(65536 - 2, 'z');
    big += "AbCd";
    big += std::string(100000, 'z');
    CasemapSearch t(m);
    CHECK(t.feed(big));
    const CasemapMatcher absent("zy");
    CasemapSearch u(absent);
    CHECK_FALSE(u.feed(big));
    CHECK_FALSE(u.finish());
}
