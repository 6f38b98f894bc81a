// RFC 2047 encoded words (with RFC 2231 §5 language suffixes).
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/encoded_word.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace mailstore::mime;

TEST_CASE("mime encoded word RFC 2047 section 8 examples")
{
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?=") == "a");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?= b") == "a b");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=") == "ab");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=") == "ab");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=") == "ab");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a_b?=") == "a b");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=") == "a b");
    CHECK(decode_encoded_words("(=?ISO-8859-1?Q?a?=)") == "(a)");
    CHECK(decode_encoded_words("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>") == "Keith Moore <moore@cs.utk.edu>");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=") == "Keld J\xc3\xb8rn Simonsen");
    CHECK(decode_encoded_words("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
                               "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=") ==
          "If you can read this you understand the example.");
}

TEST_CASE("mime encoded word B and Q, charsets, case")
{
    CHECK(decode_encoded_words("=?utf-8?b?w6Q=?=") == "\xc3\xa4");
    CHECK(decode_encoded_words("=?UTF-8?B?w6Q=?=") == "\xc3\xa4");
    CHECK(decode_encoded_words("=?utf-8?q?J=c3=b6rg?=") == "J\xc3\xb6rg");
    CHECK(decode_encoded_words("Re: =?windows-1252?Q?=80uro?= x") == "Re: \xe2\x82\xacuro x");
    // RFC 2231 §5 language suffix.
    CHECK(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?=") == "Keith Moore");
    // Words glued to text are decoded too (search wants them; clients do it).
    CHECK(decode_encoded_words("abc=?utf-8?q?x?=def") == "abcxdef");
    // Text between words that is not only whitespace stays.
    CHECK(decode_encoded_words("=?utf-8?q?a?= - =?utf-8?q?b?=") == "a - b");
}

TEST_CASE("mime encoded word split characters are joined before conversion")
{
    // "ä" (C3 A4) cut between two words.
    CHECK(decode_encoded_words("=?utf-8?q?=C3?= =?utf-8?q?=A4?=") == "\xc3\xa4");
    CHECK(decode_encoded_words("=?UTF-8?B?w6Q=?==?utf-8?Q?=C3?= =?UTF-8?Q?=B6?=") == "\xc3\xa4\xc3\xb6");
    // Shift_JIS "日本" (93 FA 96 7B) cut in the middle of the second character.
    CHECK(decode_encoded_words("=?Shift_JIS?B?k/qW?= =?shift_jis?B?ew==?=") == "\xe6\x97\xa5\xe6\x9c\xac");
    // ISO-2022-JP keeps its escape state across words only when joined.
    CHECK(decode_encoded_words("=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=") == "\xe6\x97\xa5\xe6\x9c\xac");
    // A different charset ends the run: the lone lead byte becomes U+FFFD.
    CHECK(decode_encoded_words("=?utf-8?q?=C3?= =?iso-8859-1?q?=E4?=") == "\xef\xbf\xbd\xc3\xa4");
}

TEST_CASE("mime encoded word malformed words are kept")
{
    CHECK(decode_encoded_words("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=");
    CHECK(decode_encoded_words("=?utf-8?q?abc") == "=?utf-8?q?abc");
    CHECK(decode_encoded_words("=??q?abc?=") == "=??q?abc?=");
    CHECK(decode_encoded_words("=?utf-8?q?a b?=") == "=?utf-8?q?a b?=");
    CHECK(decode_encoded_words("=?utf-8?q?a?b?=") == "=?utf-8?q?a?b?=");
    CHECK(decode_encoded_words("=?") == "=?");
    CHECK(decode_encoded_words("=?=?utf-8?q?x?=") == "=?x");
    CHECK(decode_encoded_words("") == "");
    // Bad base64 is tolerated: what decodes is used.
    CHECK(decode_encoded_words("=?utf-8?b?w6Q*?=") == "\xc3\xa4");
    // Bad Q escapes stay literal.
    CHECK(decode_encoded_words("=?utf-8?q?a=ZZb?=") == "a=ZZb");
}

TEST_CASE("mime encoded word output is always UTF-8")
{
    // Undeclared 8-bit text outside words: UTF-8 kept, else Latin-1.
    CHECK(decode_encoded_words("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(decode_encoded_words("caf\xe9") == "caf\xc3\xa9");
    // A word whose bytes are not valid in its charset.
    CHECK(is_valid_utf8(decode_encoded_words("=?utf-8?q?=FF=FE?=")));
    // Unknown charset: valid UTF-8 kept, the rest U+FFFD.
    CHECK(decode_encoded_words("=?x-unknown?q?=C3=A4?=") == "\xc3\xa4");
    CHECK(decode_encoded_words("=?x-bogus-charset?q?=FF_=C3=A4?=") == "\xef\xbf\xbd \xc3\xa4");
    // "x-unknown" is what mailers write for undeclared 8-bit: Latin-1 fallback.
    CHECK(is_valid_utf8(decode_encoded_words("=?x-unknown?q?=FF?=")));
}

TEST_CASE("mime encoded word decoding of large inputs")
{
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "=?a=?";
    CHECK(decode_encoded_words(s) == s);
    std::string words;
    for (int i = 0; i < 50000; ++i) words += "=?utf-8?q?ab?= ";
    CHECK(decode_encoded_words(words) == std::string(100000, 'a').replace(0, 100000, [] {
              std::string r;
              for (int i = 0; i < 50000; ++i) r += "ab";
              return r;
          }()) + " ");
}

TEST_CASE("mime encoded word encoding")
{
    CHECK(encode_header_text("plain ASCII subject") == "plain ASCII subject");
    CHECK(encode_header_text("") == "");
    // From the first word that needs it to the last; B here (24 octets
    // against Q's 29).
    CHECK(encode_header_text("Re: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln") ==
          "Re: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=");
    // Mostly ASCII: Q, spaces as '_'.
    CHECK(encode_header_text("Fran\xc3\xa7oise ouvert") == "=?UTF-8?Q?Fran=C3=A7oise?= ouvert");
    CHECK(encode_header_text("la Fran\xc3\xa7oise et Fran\xc3\xa7ois y") ==
          "la =?UTF-8?Q?Fran=C3=A7oise_et_Fran=C3=A7ois?= y");
    CHECK(encode_header_text("x \xc3\xa9t\xc3\xa9 y") == "x =?UTF-8?B?w6l0w6k=?= y");
    // "=?" in plain text must be encoded or a decoder would take it as a word.
    CHECK(encode_header_text("a =?x?q?y?= b") == "a =?UTF-8?B?PT94P3E/eT89?= b");
    CHECK(decode_encoded_words(encode_header_text("a =?x?q?y?= b")) == "a =?x?q?y?= b");
    // Mostly non-ASCII: B is shorter.
    CHECK(encode_header_text("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") == "=?UTF-8?B?5pel5pys6Kqe?=");
    // Long text: several words, each at most 75 octets, characters whole,
    // and it decodes back.
    std::string longtext;
    for (int i = 0; i < 40; ++i) longtext += "\xc3\xa4 ";
    longtext += "\xe2\x82\xac";
    std::string enc = encode_header_text(longtext);
    std::size_t start = 0;
    while (start < enc.size()) {
        std::size_t end = enc.find(' ', start);
        if (end == std::string::npos) end = enc.size();
        CHECK(end - start <= 75);
        start = end + 1;
    }
    CHECK(decode_encoded_words(enc) == longtext);
    // Invalid UTF-8 input is made valid first.
    CHECK(decode_encoded_words(encode_header_text("a\xff")) == "a\xef\xbf\xbd");
    // Control characters are encoded.
    CHECK(encode_header_text("a\x01") == "=?UTF-8?Q?a=01?=");
}
