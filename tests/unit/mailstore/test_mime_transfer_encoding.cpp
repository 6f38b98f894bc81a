// Content-Transfer-Encoding: parsing the field, base64 and quoted-printable
// decoding (streaming and one-shot, damaged input) and the encoders. The
// error flags are compared with what Dovecot 2.3 does for IMAP BINARY: it
// answers NO [PARSE] (or drops the connection) exactly for the inputs
// flagged here.
#include <doctest/doctest.h>

#include <mailstore/mime/transfer_encoding.hpp>

#include <string>
#include <string_view>

using namespace mailstore::mime;

namespace {

struct Decoded {
    std::string out;
    bool errors = false;
};

Decoded b64(std::string_view in)
{
    Decoded d;
    d.out = decode_base64(in, &d.errors);
    return d;
}

Decoded qp(std::string_view in, bool header = false)
{
    Decoded d;
    d.out = decode_quoted_printable(in, header, &d.errors);
    return d;
}

// Feeds the input in pieces of `step` bytes.
template <class Decoder>
Decoded chunked(Decoder dec, std::string_view in, std::size_t step)
{
    Decoded d;
    for (std::size_t i = 0; i < in.size(); i += step)
        dec.feed(in.substr(i, step), d.out);
    dec.finish(d.out);
    d.errors = dec.had_errors();
    return d;
}

} // namespace

TEST_CASE("mime parse_transfer_encoding")
{
    CHECK(parse_transfer_encoding("") == TransferEncoding::seven_bit);
    CHECK(parse_transfer_encoding("  ") == TransferEncoding::seven_bit);
    CHECK(parse_transfer_encoding("7bit") == TransferEncoding::seven_bit);
    CHECK(parse_transfer_encoding("8BIT") == TransferEncoding::eight_bit);
    CHECK(parse_transfer_encoding("Binary") == TransferEncoding::binary);
    CHECK(parse_transfer_encoding("BASE64") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("Quoted-Printable") == TransferEncoding::quoted_printable);
    // Comments and folding whitespace anywhere around the token.
    CHECK(parse_transfer_encoding(" base64 ") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("BASE64 (comment)") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("(c) base64") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("quoted-printable (x (y))") == TransferEncoding::quoted_printable);
    CHECK(parse_transfer_encoding("\r\n\tbase64") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("base64 (unclosed") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("base64 (a \\) b)") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("(\\") == TransferEncoding::seven_bit);
    // Dovecot accepts a stray parameter list after the token, nothing else.
    CHECK(parse_transfer_encoding("base64;") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("base64 ; x") == TransferEncoding::base64);
    CHECK(parse_transfer_encoding("base64 x") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("base64 =") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("\"base64\"") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("bin ary") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("x-uuencode") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("7-bit") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding("base64x") == TransferEncoding::unknown);
    CHECK(parse_transfer_encoding(std::string_view("base\0" "64", 7)) == TransferEncoding::unknown);
}

TEST_CASE("mime base64 valid input")
{
    CHECK(b64("aGVsbG8gd29ybGQ=").out == "hello world");
    CHECK_FALSE(b64("aGVsbG8gd29ybGQ=").errors);
    CHECK(b64("aGVsbA==").out == "hell");
    CHECK(b64("aGVsbG8=").out == "hello");
    CHECK(b64("aGVsbG8h").out == "hello!");
    CHECK(b64("").out.empty());
    CHECK_FALSE(b64("").errors);
    CHECK_FALSE(b64("\r\n\r\n").errors);
    // Line breaks, spaces and tabs anywhere are not data.
    const auto d = b64("aGVs bG8g\td29y\r\nbGQ=\r\n");
    CHECK(d.out == "hello world");
    CHECK_FALSE(d.errors);
    CHECK(b64("aGVsbG8gd29ybGQ=\n").out == "hello world");
    CHECK_FALSE(b64("aGVsbG8g\rd29ybGQ=").errors);
    // Whitespace after the padding and between the two pads is fine.
    CHECK_FALSE(b64("aGVsbG8gd29ybGQ=  \r\n\r\n \t\r\n").errors);
    const auto split = b64("aGVsbA=\r\n=\r\n");
    CHECK(split.out == "hell");
    CHECK_FALSE(split.errors);
    // Every byte value survives.
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    CHECK(decode_base64(encode_base64(all)) == all);
}

TEST_CASE("mime base64 damaged input")
{
    // Garbage is skipped (the rest decodes) and flagged.
    auto d = b64("aGVs*bG8g!d29y bGQ=");
    CHECK(d.out == "hello world");
    CHECK(d.errors);
    d = b64("aGVs-bG8=");
    CHECK(d.out == "hello");
    CHECK(d.errors);
    CHECK(b64("aGVs_bG8=").errors);  // base64url is not MIME base64
    d = b64("aGVs\xE9" "bG8=");
    CHECK(d.out == "hello");
    CHECK(d.errors);
    d = b64(std::string_view("aGVs\0bG8=", 9));
    CHECK(d.out == "hello");
    CHECK(d.errors);
    CHECK(b64("aGVs\fbG8=").errors);  // form feed is not among the skipped blanks
    // Decoding stops at the padding; what follows is ignored and flagged.
    d = b64("aGVsbG8=d29ybGQ=");
    CHECK(d.out == "hello");
    CHECK(d.errors);
    d = b64("aGVsbA==\r\nd29ybGQ=\r\n");
    CHECK(d.out == "hell");
    CHECK(d.errors);
    CHECK(b64("aGVsbA==*").errors);
    CHECK(b64("aGVsbA==\r\n==\r\n").errors);
    // Too many pads.
    d = b64("aGVsbG8==");
    CHECK(d.out == "hello");
    CHECK(d.errors);
    CHECK(b64("aGVsbA===").errors);
    // A pad where none can be.
    d = b64("=aGVsbA==");
    CHECK(d.out.empty());
    CHECK(d.errors);
    d = b64("aGVs====");
    CHECK(d.out == "hel");
    CHECK(d.errors);
    d = b64("aGVsb=G8=");
    CHECK(d.out == "hel");
    CHECK(d.errors);
    // Missing pads: the partial quantum still gives its bytes, but Dovecot
    // calls it "Base64 data ends prematurely".
    d = b64("aGVsbA");
    CHECK(d.out == "hell");
    CHECK(d.errors);
    d = b64("aGVsbG8");
    CHECK(d.out == "hello");
    CHECK(d.errors);
    d = b64("aGVsb");
    CHECK(d.out == "hel");
    CHECK(d.errors);
    d = b64("aGVsbA=");
    CHECK(d.out == "hell");
    CHECK(d.errors);
}

TEST_CASE("mime base64 streaming equals one-shot")
{
    const std::string_view inputs[] = {
        "aGVsbG8gd29ybGQ=",
        "aGVs bG8g\td29y\r\nbGQ=\r\n",
        "aGVs*bG8g!d29y bGQ=",
        "aGVsbA=\r\n=\r\nxyz",
        "aGVsbG8",
        "aGVsbA",
        "aGVsbG8==",
        "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=",
    };
    for (const auto in : inputs) {
        CAPTURE(in);
        const auto one = b64(in);
        for (std::size_t step : {1, 2, 3, 5, 7}) {
            const auto c = chunked(Base64Decoder{}, in, step);
            CHECK(c.out == one.out);
            CHECK(c.errors == one.errors);
        }
    }
    // finish() makes the decoder ready for the next input.
    Base64Decoder dec;
    std::string out;
    dec.feed("aGVsbA==", out);
    dec.finish(out);
    dec.feed("aGVsbA==", out);
    dec.finish(out);
    CHECK(out == "hellhell");
    CHECK_FALSE(dec.had_errors());
}

TEST_CASE("mime quoted-printable valid input")
{
    auto d = qp("caf=C3=A9 ok\r\n");
    CHECK(d.out == "caf\xC3\xA9 ok\r\n");
    CHECK_FALSE(d.errors);
    CHECK(qp("caf=c3=a9").out == "caf\xC3\xA9");  // lower-case hex
    CHECK_FALSE(qp("caf=c3=A9").errors);
    // Soft line breaks, CRLF and bare LF.
    CHECK(qp("abc=\r\ndef\r\n").out == "abcdef\r\n");
    CHECK(qp("abc=\ndef\n").out == "abcdef\r\n");
    CHECK(qp("abc=\r\n").out == "abc");
    CHECK(qp("=\r\n").out.empty());
    // Blanks after the '=' of a soft break were added in transport.
    d = qp("a=  \r\nb\r\n");
    CHECK(d.out == "ab\r\n");
    CHECK_FALSE(d.errors);
    CHECK(qp("ab=\t\ncd\n").out == "abcd\r\n");
    // Trailing blanks on a line are dropped; blanks before a soft break stay.
    CHECK(qp("abc  \t\r\ndef\r\n").out == "abc\r\ndef\r\n");
    CHECK(qp("ab  \ncd\n").out == "ab\r\ncd\r\n");
    d = qp("abc  ");
    CHECK(d.out == "abc");
    CHECK_FALSE(d.errors);
    CHECK(qp("abc  =\r\ndef\r\n").out == "abc  def\r\n");
    CHECK(qp("a b\tc\r\n").out == "a b\tc\r\n");
    // Hard line breaks come out as CRLF.
    CHECK(qp("line1\nline2\n").out == "line1\r\nline2\r\n");
    // 8-bit bytes, NUL and '_' pass through in a body (Dovecot does not
    // reject them); long lines are fine.
    CHECK(qp("caf\xC3\xA9").out == "caf\xC3\xA9");
    d = qp(std::string_view("a\0b", 3));
    CHECK(d.out == std::string_view("a\0b", 3));
    CHECK_FALSE(d.errors);
    CHECK(qp("a_b").out == "a_b");
    const std::string long_line(200, 'x');
    CHECK(qp(long_line).out == long_line);
    CHECK_FALSE(qp(long_line).errors);
}

TEST_CASE("mime quoted-printable bad escapes and line ends")
{
    // A bad escape is kept as written and flagged (RFC 2045 §6.7 note 2).
    auto d = qp("a=G1b\r\n");
    CHECK(d.out == "a=G1b\r\n");
    CHECK(d.errors);
    d = qp("a=4xb");
    CHECK(d.out == "a=4xb");
    CHECK(d.errors);
    d = qp("a=gzb");
    CHECK(d.out == "a=gzb");
    CHECK(d.errors);
    d = qp("a==41b");
    CHECK(d.out == "a=Ab");
    CHECK(d.errors);
    d = qp("a= x\r\n");
    CHECK(d.out == "a= x\r\n");
    CHECK(d.errors);
    // '=' as the last or second-to-last character (note 3), even when it
    // was a soft break before a multipart boundary.
    d = qp("abc=");
    CHECK(d.out == "abc=");
    CHECK(d.errors);
    d = qp("abc=4");
    CHECK(d.out == "abc=4");
    CHECK(d.errors);
    d = qp("abc= ");
    CHECK(d.out == "abc= ");
    CHECK(d.errors);
    // A CR must be part of CRLF.
    d = qp("a\rb\r\n");
    CHECK(d.out == "a\rb\r\n");
    CHECK(d.errors);
    d = qp("a=\rb");
    CHECK(d.out == "a=\rb");
    CHECK(d.errors);
    d = qp("ab  \r");
    CHECK(d.out == "ab  \r");
    CHECK(d.errors);
    d = qp("ab  \rc");
    CHECK(d.out == "ab  \rc");
    CHECK(d.errors);
    d = qp("ab\r");
    CHECK(d.out == "ab\r");
    CHECK(d.errors);
}

TEST_CASE("mime quoted-printable header mode (RFC 2047 Q)")
{
    auto d = qp("caf=C3=A9_au_lait", true);
    CHECK(d.out == "caf\xC3\xA9 au lait");
    CHECK_FALSE(d.errors);
    CHECK(qp("a=5Fb", true).out == "a_b");
    // No line structure in an encoded word: blanks are kept.
    CHECK(qp("a ", true).out == "a ");
    d = qp("a=", true);
    CHECK(d.out == "a=");
    CHECK(d.errors);
    d = qp("a=ZZ", true);
    CHECK(d.out == "a=ZZ");
    CHECK(d.errors);
    d = qp("a= b", true);
    CHECK(d.out == "a= b");
    CHECK(d.errors);
}

TEST_CASE("mime quoted-printable streaming equals one-shot")
{
    const std::string_view inputs[] = {
        "caf=C3=A9 ok\r\n",   "abc=\r\ndef\r\n",  "a=  \r\nb\r\n",   "abc  \t\r\ndef\r\n",
        "abc  =\r\ndef\r\n",  "a=G1b\r\n",        "a==41b\r\n",      "a= x\r\n",
        "abc=",               "abc=4",            "a\rb\r\n",        "ab  \r",
        "ab=\t\ncd\n",        "x    y   \n  \n",  "=\r\n=\r\n=41",   "a=\rb",
    };
    for (const auto in : inputs) {
        for (bool header : {false, true}) {
            CAPTURE(in);
            CAPTURE(header);
            const auto one = qp(in, header);
            for (std::size_t step : {1, 2, 3, 4}) {
                const auto c = chunked(QuotedPrintableDecoder(header), in, step);
                CHECK(c.out == one.out);
                CHECK(c.errors == one.errors);
            }
        }
    }
}

TEST_CASE("mime decode_transfer")
{
    std::string out = "x";
    CHECK(decode_transfer(TransferEncoding::base64, "aGVsbG8=", out));
    CHECK(out == "xhello");
    out.clear();
    CHECK(decode_transfer(TransferEncoding::quoted_printable, "a=3Db=\r\n", out));
    CHECK(out == "a=b");
    out.clear();
    CHECK(decode_transfer(TransferEncoding::seven_bit, "a=3D\n", out));
    CHECK(out == "a=3D\n");
    out.clear();
    CHECK(decode_transfer(TransferEncoding::eight_bit, "\xE9", out));
    CHECK(out == "\xE9");
    out.clear();
    CHECK(decode_transfer(TransferEncoding::binary, std::string_view("\0", 1), out));
    CHECK(out.size() == 1);
    out = "keep";
    CHECK_FALSE(decode_transfer(TransferEncoding::unknown, "begin 644 x\n", out));
    CHECK(out == "keep");
}

TEST_CASE("mime encode_base64")
{
    CHECK(encode_base64("") == "");
    CHECK(encode_base64("h") == "aA==");
    CHECK(encode_base64("he") == "aGU=");
    CHECK(encode_base64("hel") == "aGVs");
    CHECK(encode_base64("hello world") == "aGVsbG8gd29ybGQ=");
    // CRLF between lines of `line_length` characters, none at the end.
    const std::string data(60, 'a');  // 80 characters encoded
    const std::string enc = encode_base64(data);
    CHECK(enc.size() == 82);
    CHECK(enc.substr(76, 2) == "\r\n");
    CHECK(enc.find("\r\n", 78) == std::string::npos);
    CHECK(encode_base64(std::string(57, 'a')).find('\r') == std::string::npos);  // exactly 76
    CHECK(encode_base64(data, 0).find('\r') == std::string::npos);
    CHECK(encode_base64("hello world", 4) == "aGVs\r\nbG8g\r\nd29y\r\nbGQ=");
    CHECK(decode_base64(enc) == data);
}

TEST_CASE("mime encode_quoted_printable")
{
    CHECK(encode_quoted_printable("plain text\r\n") == "plain text\r\n");
    CHECK(encode_quoted_printable("a=b") == "a=3Db");
    CHECK(encode_quoted_printable("caf\xC3\xA9") == "caf=C3=A9");
    // Blanks at a line end or at the end are escaped.
    CHECK(encode_quoted_printable("a \r\nb\t") == "a=20\r\nb=09");
    CHECK(encode_quoted_printable("a \nb") == "a=20\r\nb");
    CHECK(encode_quoted_printable("a\rb") == "a=0Db");
    // Lines at most 76 characters, soft breaks at 75 + '='.
    const std::string input(200, 'x');
    const std::string enc = encode_quoted_printable(input);
    CHECK(enc.substr(0, 78) == std::string(75, 'x') + "=\r\n");
    std::size_t start = 0;
    while (start < enc.size()) {
        auto end = enc.find("\r\n", start);
        if (end == std::string::npos)
            end = enc.size();
        CHECK(end - start <= 76);
        start = end + 2;
    }
    CHECK(decode_quoted_printable(enc) == input);
    // A line of exactly 76 needs no soft break.
    CHECK(encode_quoted_printable(std::string(76, 'y')) == std::string(76, 'y'));
    // An escape is never split by a soft break.
    const std::string esc = encode_quoted_printable(std::string(74, 'z') + "\xE9\xE9");
    CHECK(esc == std::string(74, 'z') + "=\r\n=E9=E9");
    // Round trip of arbitrary bytes (bare LF becomes CRLF).
    std::string all;
    for (int i = 0; i < 256; ++i)
        if (i != '\n' && i != '\r')
            all.push_back(static_cast<char>(i));
    all += "  \r\nend ";
    bool errors = true;
    CHECK(decode_quoted_printable(encode_quoted_printable(all), false, &errors) == all);
    CHECK_FALSE(errors);
}
