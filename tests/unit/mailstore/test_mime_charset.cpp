// Charset conversion to UTF-8 and UTF-8 hygiene: the charsets mail really
// uses, their mislabellings, damaged input and hostile charset names.
#include <doctest/doctest.h>

#include <mailstore/mime/charset.hpp>

#include <string>
#include <string_view>
#include <thread>

using namespace mailstore::mime;

namespace {

constexpr std::string_view fffd = "\xEF\xBF\xBD";

struct Converted {
    std::string out;
    bool known = false;
};

Converted conv(std::string_view charset, std::string_view in)
{
    Converted c;
    c.known = convert_to_utf8(charset, in, c.out);
    return c;
}

std::string utf8(std::string_view charset, std::string_view in)
{
    return conv(charset, in).out;
}

} // namespace

TEST_CASE("mime charset UTF-8 and US-ASCII")
{
    CHECK(utf8("utf-8", "caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(utf8("UTF8", "caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(utf8("unicode-1-1-utf-8", "x") == "x");
    // Invalid UTF-8 in a UTF-8 part: U+FFFD per damaged spot, then go on.
    CHECK(utf8("utf-8", "a\xE9z") == std::string("a") + std::string(fffd) + "z");
    CHECK(utf8("utf-8", "\xE6\x97") == fffd);  // truncated at the end
    CHECK(utf8("utf-8", "\xE6\x97" "a") == std::string(fffd) + "a");
    // Surrounding blanks/quotes and an RFC 2231 language suffix are ignored.
    CHECK(conv(" \"UTF-8\" ", "x").known);
    CHECK(conv("utf-8*en", "x").known);
    CHECK(conv("utf-8*en", "\xC3\xA9").out == "\xC3\xA9");

    // US-ASCII is taken as a superset: 8-bit text that is valid UTF-8 is
    // kept, anything else is read as Windows-1252.
    CHECK(utf8("us-ascii", "plain") == "plain");
    CHECK(utf8("US-ASCII", "caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(utf8("us-ascii", "caf\xE9") == "caf\xC3\xA9");
    CHECK(utf8("ascii", "\x93q\x94") == "\xE2\x80\x9Cq\xE2\x80\x9D");
    CHECK(utf8("ANSI_X3.4-1968", "x") == "x");
}

TEST_CASE("mime charset Windows-1252 and ISO-8859-x")
{
    // ISO-8859-1 labels are read as Windows-1252 (what Outlook sends under it).
    CHECK(utf8("iso-8859-1", "caf\xE9") == "caf\xC3\xA9");
    CHECK(utf8("latin1", "\xFF") == "\xC3\xBF");
    CHECK(utf8("ISO_8859-1:1987", "\xE9") == "\xC3\xA9");
    CHECK(utf8("iso-8859-1", "\x80") == "\xE2\x82\xAC");
    CHECK(utf8("windows-1252", "\x93hi\x94 \x96 \x85") ==
          "\xE2\x80\x9Chi\xE2\x80\x9D \xE2\x80\x93 \xE2\x80\xA6");
    CHECK(utf8("cp1252", "\x9F") == "\xC5\xB8");
    // The five bytes Windows-1252 leaves undefined become C1 controls.
    CHECK(utf8("windows-1252", "\x81\x8D\x8F\x90\x9D") == "\xC2\x81\xC2\x8D\xC2\x8F\xC2\x90\xC2\x9D");
    CHECK(utf8("iso-8859-2", "\xB1") == "\xC4\x85");         // ą
    CHECK(utf8("ISO-8859-5", "\xD0") == "\xD0\xB0");         // а
    CHECK(utf8("iso-8859-7", "\xE1") == "\xCE\xB1");         // α
    CHECK(utf8("iso-8859-15", "\xA4") == "\xE2\x82\xAC");    // €
    CHECK(utf8("iso-8859-8-i", "\xE0") == "\xD7\x90");       // א, logical order label
    CHECK(utf8("iso-8859-8", "\xE0") == "\xD7\x90");
    CHECK(utf8("iso-8859-6-i", "\xC7") == "\xD8\xA7");       // ا
    CHECK(utf8("koi8-r", "\xC1") == "\xD0\xB0");             // а
    CHECK(utf8("windows-1251", "\xE0") == "\xD0\xB0");
    CHECK(utf8("cp1250", "\xB9") == "\xC4\x85");
    CHECK(utf8("windows-874", "\xA1") == "\xE0\xB8\x81");    // ก
    CHECK(utf8("tis-620", "\xA1") == "\xE0\xB8\x81");
    CHECK(utf8("windows-874", "\x80") == "\xE2\x82\xAC");
    CHECK(utf8("macintosh", "\x8E") == "\xC3\xA9");
}

TEST_CASE("mime charset CJK")
{
    // ISO-2022-JP (stateful): escapes switch sets; half-width katakana
    // (ESC ( I) as Windows writes it is understood too.
    const std::string konnichiwa = "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF";
    CHECK(utf8("iso-2022-jp", "\x1B$B$3$s$K$A$O\x1B(B abc") == konnichiwa + " abc");
    CHECK(utf8("ISO-2022-JP", "\x1B(I12\x1B(B") == "\xEF\xBD\xB1\xEF\xBD\xB2");
    // A part left in JIS X 0208 mode must not leak into the next conversion.
    CHECK(utf8("iso-2022-jp", "\x1B$B$3") == "\xE3\x81\x93");
    CHECK(utf8("iso-2022-jp", "$3") == "$3");
    // An invalid byte in the middle: U+FFFD, the shift state goes on.
    const auto bad = utf8("iso-2022-jp", "\x1B$B$3\x80$s\x1B(B");
    CHECK(bad.find(fffd) != std::string::npos);
    CHECK(bad.find("\xE3\x82\x93") != std::string::npos);

    // GB2312 / GBK labels use GB18030 (a superset), four-byte forms included.
    CHECK(utf8("gb2312", "\xD6\xD0\xCE\xC4") == "\xE4\xB8\xAD\xE6\x96\x87");  // 中文
    CHECK(utf8("GBK", "\xA8\xA6") == "\xC3\xA9");
    CHECK(utf8("gb18030", "\x95\x32\x82\x36") == "\xF0\xA0\x80\x80");         // U+20000
    CHECK(utf8("gb2312", "\x81\x30\x81\x30") == "\xC2\x80");                  // 4-byte form
    CHECK(utf8("gb18030", "a\x80z") == std::string("a") + std::string(fffd) + "z");
    CHECK(utf8("gb18030", "a\xD6") == std::string("a") + std::string(fffd));  // truncated

    // Shift_JIS labels use CP932: ASCII stays ASCII, NEC extensions decode.
    CHECK(utf8("shift_jis", "\x93\xFA\x96\x7B") == "\xE6\x97\xA5\xE6\x9C\xAC");  // 日本
    CHECK(utf8("x-sjis", "C:\\dir~") == "C:\\dir~");
    CHECK(utf8("shift-jis", "\x87\x40") == "\xE2\x91\xA0");                       // ①
    CHECK(utf8("Shift_JIS", "\x93") == fffd);
    CHECK(utf8("shift_jis", "a\xA0z") == std::string("a") + std::string(fffd) + "z");
    CHECK(utf8("euc-jp", "\xC6\xFC\xCB\xDC") == "\xE6\x97\xA5\xE6\x9C\xAC");

    // Korean: Outlook's ks_c_5601-1987 is CP949, EUC-KR gets CP949's extras.
    CHECK(utf8("ks_c_5601-1987", "\xC7\xD1") == "\xED\x95\x9C");  // 한
    CHECK(utf8("euc-kr", "\x81\x41") == "\xEA\xB0\x82");          // 갂 (CP949 only)
    CHECK(utf8("euc-kr", "\xFF") == fffd);

    CHECK(utf8("big5", "\xA4\xA4") == "\xE4\xB8\xAD");  // 中
}

TEST_CASE("mime charset UTF-7 and UTF-16")
{
    CHECK(utf8("utf-7", "Hi Mom -+Jjo--!") == "Hi Mom -\xE2\x98\xBA-!");
    CHECK(utf8("unicode-1-1-utf-7", "+AOk-") == "\xC3\xA9");
    CHECK(utf8("UTF-16BE", std::string_view("\0a\0\xE9", 4)) == "a\xC3\xA9");
    CHECK(utf8("utf-16le", std::string_view("a\0", 2)) == "a");
}

TEST_CASE("mime charset unknown and hostile names")
{
    auto c = conv("x-klingon", "ok \xC3\xA9 \xE9");
    CHECK_FALSE(c.known);
    CHECK(c.out == std::string("ok \xC3\xA9 ") + std::string(fffd));
    CHECK_FALSE(is_known_charset("x-klingon"));
    // Names that must never reach iconv_open.
    for (std::string_view name : {"../../x", "utf-8//TRANSLIT", "UTF-8//IGNORE", "", "  ", "\"\"",
                                  "utf 8", "utf-8\n", "-", "...", "a/b", "%75tf-8"}) {
        CAPTURE(name);
        CHECK_FALSE(is_known_charset(name));
        std::string out;
        CHECK_FALSE(convert_to_utf8(name, "x\xE9", out));
        CHECK(out == std::string("x") + std::string(fffd));
    }
    CHECK_FALSE(is_known_charset(std::string(65, 'a')));
    CHECK_FALSE(is_known_charset(std::string(1000000, 'u')));
    CHECK_FALSE(is_known_charset(std::string_view("utf-8\0x", 7)));
    // The same unknown name twice (second answer from the cache).
    CHECK_FALSE(is_known_charset("x-klingon"));
    CHECK(is_known_charset("utf-8"));
    CHECK(is_known_charset("ISO-8859-9"));
    CHECK(is_known_charset("ks_c_5601-1987"));
    CHECK(is_known_charset("unknown-8bit"));
    // Undeclared 8-bit: UTF-8 if it is, else Windows-1252.
    CHECK(utf8("unknown-8bit", "\xE9") == "\xC3\xA9");
    CHECK(utf8("x-unknown", "\xC3\xA9") == "\xC3\xA9");
}

TEST_CASE("mime charset descriptor cache")
{
    // More distinct charsets than the cache holds, twice over, in turns.
    const char* names[] = {"iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6",
                           "iso-8859-7", "iso-8859-9", "iso-8859-10", "iso-8859-13", "iso-8859-14",
                           "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u", "windows-1250",
                           "windows-1251", "windows-1253", "windows-1254", "windows-1255",
                           "windows-1256", "windows-1257", "windows-1258", "cp850", "cp866"};
    for (int round = 0; round < 2; ++round)
        for (const char* name : names) {
            CAPTURE(name);
            CHECK(utf8(name, "plain ascii") == "plain ascii");
        }
    // Each thread has its own descriptors.
    std::string a, b;
    std::thread t1([&] { convert_to_utf8("iso-2022-jp", "\x1B$B$3$s\x1B(B", a); });
    std::thread t2([&] { convert_to_utf8("gb2312", "\xD6\xD0", b); });
    t1.join();
    t2.join();
    CHECK(a == "\xE3\x81\x93\xE3\x82\x93");
    CHECK(b == "\xE4\xB8\xAD");
}

TEST_CASE("mime is_valid_utf8")
{
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii text longer than eight bytes"));
    CHECK(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));    // U+10FFFF
    CHECK(is_valid_utf8("\xED\x9F\xBF"));        // U+D7FF
    CHECK(is_valid_utf8(std::string_view("\0", 1)));
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));  // overlong
    CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));
    CHECK_FALSE(is_valid_utf8("\xC1\xBF"));
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));  // surrogate U+DFFF
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("\x80"));
    CHECK_FALSE(is_valid_utf8("abc\xE2\x82"));   // truncated
    CHECK_FALSE(is_valid_utf8("abcdefgh\xE9"));  // after the 8-byte fast path
}

TEST_CASE("mime sanitize_utf8")
{
    const std::string r(fffd);
    CHECK(sanitize_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(sanitize_utf8("a\xFF" "b") == "a" + r + "b");
    // Maximal subparts: a truncated sequence is one U+FFFD.
    CHECK(sanitize_utf8("\xE2\x82" "a") == r + "a");
    CHECK(sanitize_utf8("\xF0\x9F\x98") == r);
    // Overlongs and surrogates: each byte that cannot continue is one.
    CHECK(sanitize_utf8("\xC0\xAF") == r + r);
    CHECK(sanitize_utf8("\xED\xA0\x80") == r + r + r);
    CHECK(sanitize_utf8("\xF4\x90\x80\x80") == r + r + r + r);
    CHECK(sanitize_utf8("\x80\x80") == r + r);
    CHECK(sanitize_utf8("\xC3\xC3\xA9") == r + "\xC3\xA9");
    CHECK(is_valid_utf8(sanitize_utf8("\xE0\xA0\xF0\x90\x80\xED")));
}

TEST_CASE("mime utf8_or_latin1")
{
    CHECK(utf8_or_latin1("plain") == "plain");
    CHECK(utf8_or_latin1("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(utf8_or_latin1("caf\xE9") == "caf\xC3\xA9");
    // One invalid byte makes the whole text Latin-1 (Windows-1252 for 0x80..0x9F).
    CHECK(utf8_or_latin1("\xC3\xA9 \xE9") == "\xC3\x83\xC2\xA9 \xC3\xA9");
    CHECK(utf8_or_latin1("\x93x\x94") == "\xE2\x80\x9Cx\xE2\x80\x9D");
}
