// libFuzzer target for the transfer decoders, charset conversion, casemap and
// UTF-8 hygiene of the message layer. Input: byte 0 seeds the chunk sizes the
// streaming decoders are fed with; byte 1 picks the charset (a known name
// from the list below, or, from kCharsets.size() on, the first
// `byte % 16` payload bytes taken as the name) and the base64 line length;
// the rest is the payload.
//
// Checks: Base64Decoder and QuotedPrintableDecoder (body and header mode)
// fed in random chunks give the one-shot result and the same error flag;
// encode_base64 and encode_quoted_printable output is 7-bit, CRLF-only,
// within its line length, and decodes back to the payload without errors;
// convert_to_utf8 appends valid UTF-8, fails exactly for unknown charsets and
// keeps valid UTF-8 unchanged when the charset is UTF-8; casemap output is
// valid UTF-8, the casemap of a concatenation is the concatenation of the
// casemaps, casemap_compare is antisymmetric, casemap_contains finds a string
// and its halves in it and agrees with the whole casemapped text on
// haystacks longer than its 64 KB pieces; sanitize_utf8/utf8_or_latin1 give valid UTF-8 and
// keep valid input unchanged; encode_header_text decodes back to its input.
#include "fuzz_check.hpp"

#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/encoded_word.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using mailstore::mime::is_valid_utf8;

constexpr std::array<std::string_view, 24> kCharsets = {
    "utf-8", "UTF8", "us-ascii", "iso-8859-1", "latin1", "ISO-8859-2", "iso-8859-15",
    "windows-1252", "cp1251", "koi8-r", "iso-2022-jp", "shift_jis", "euc-jp", "gb2312",
    "gb18030", "big5", "euc-kr", "ks_c_5601-1987", "utf-16", "utf-16le", "utf-7",
    "x-unknown-charset", "", "unicode-1-1-utf-7",
};

// Chunk sizes from a small linear congruential generator: mostly short
// chunks (0..16, so that escapes and quanta are split everywhere), now and
// then a long one.
struct Chunker {
    std::uint32_t state;
    std::size_t next() {
        state = state * 1103515245u + 12345u;
        std::uint32_t r = state >> 16;
        return (r & 0x70) == 0x70 ? (r & 0x3ff) : (r & 0x0f) + ((r >> 8) & 1);
    }
};

template <typename Decoder>
std::string feed_in_chunks(Decoder& decoder, std::string_view in, std::uint8_t seed) {
    Chunker chunker{seed};
    std::string out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        std::size_t n = chunker.next();
        if (n > in.size() - pos)
            n = in.size() - pos;
        decoder.feed(in.substr(pos, n), out);
        pos += n;
    }
    decoder.finish(out);
    return out;
}

// Encoder output: printable ASCII, SP and TAB, CRLF line ends only, lines at
// most `max_line` octets (0: no limit).
void check_encoded_text(std::string_view s, std::size_t max_line) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\r') {
            FUZZ_CHECK(i + 1 < s.size() && s[i + 1] == '\n');
            if (max_line)
                FUZZ_CHECK(line <= max_line);
            line = 0;
            ++i;
            continue;
        }
        FUZZ_CHECK(c == '\t' || (c >= 0x20 && c <= 0x7e));
        ++line;
    }
    if (max_line)
        FUZZ_CHECK(line <= max_line);
}

std::string lf_to_crlf(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            out += '\r';
        out += s[i];
    }
    return out;
}

void check_transfer_decoders(std::string_view payload, std::uint8_t seed, std::size_t line_length) {
    bool errors = false;
    std::string once = mailstore::mime::decode_base64(payload, &errors);
    FUZZ_CHECK(once.size() <= payload.size() / 4 * 3 + 3);
    mailstore::mime::Base64Decoder b64;
    FUZZ_CHECK(feed_in_chunks(b64, payload, seed) == once);
    FUZZ_CHECK(b64.had_errors() == errors);

    for (bool header_mode : {false, true}) {
        bool qp_errors = false;
        std::string qp_once = mailstore::mime::decode_quoted_printable(payload, header_mode, &qp_errors);
        FUZZ_CHECK(qp_once.size() <= 2 * payload.size());
        mailstore::mime::QuotedPrintableDecoder qp(header_mode);
        FUZZ_CHECK(feed_in_chunks(qp, payload, seed) == qp_once);
        FUZZ_CHECK(qp.had_errors() == qp_errors);
    }

    // Round trips through the encoders.
    std::string b64_text = mailstore::mime::encode_base64(payload, line_length);
    check_encoded_text(b64_text, line_length);
    FUZZ_CHECK(b64_text.find_first_not_of(
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n") ==
               std::string::npos);
    bool b64_errors = true;
    FUZZ_CHECK(mailstore::mime::decode_base64(b64_text, &b64_errors) == payload);
    FUZZ_CHECK(!b64_errors);

    std::string qp_text = mailstore::mime::encode_quoted_printable(payload);
    check_encoded_text(qp_text, 76);
    bool qp_errors = true;
    std::string qp_back = mailstore::mime::decode_quoted_printable(qp_text, false, &qp_errors);
    FUZZ_CHECK(!qp_errors);
    // Line breaks may be written as text line breaks (CRLF) or encoded as
    // =0D/=0A; either way nothing else changes.
    FUZZ_CHECK(qp_back == payload || qp_back == lf_to_crlf(payload));

    for (auto te : {mailstore::mime::TransferEncoding::seven_bit, mailstore::mime::TransferEncoding::base64,
                    mailstore::mime::TransferEncoding::quoted_printable,
                    mailstore::mime::TransferEncoding::unknown}) {
        std::string out = "kept";
        bool ok = mailstore::mime::decode_transfer(te, payload, out);
        FUZZ_CHECK(ok == (te != mailstore::mime::TransferEncoding::unknown));
        if (!ok)
            FUZZ_CHECK(out == "kept");
    }
    (void)mailstore::mime::parse_transfer_encoding(payload.substr(0, 64));
}

void check_charsets(std::string_view charset, std::string_view payload) {
    std::string out = "prefix\xe2\x82\xac";
    bool known = mailstore::mime::convert_to_utf8(charset, payload, out);
    FUZZ_CHECK(known == mailstore::mime::is_known_charset(charset));
    FUZZ_CHECK(out.compare(0, 9, "prefix\xe2\x82\xac") == 0);
    FUZZ_CHECK(is_valid_utf8(out));
    // UTF-8 stays as it is (a byte order mark may be dropped).
    if (known && is_valid_utf8(payload) && (charset == "utf-8" || charset == "UTF8") &&
        payload.substr(0, 3) != "\xef\xbb\xbf")
        FUZZ_CHECK(std::string_view(out).substr(9) == payload);
}

void check_unicode(std::string_view payload, std::uint8_t seed) {
    std::string sanitized = mailstore::mime::sanitize_utf8(payload);
    FUZZ_CHECK(is_valid_utf8(sanitized));
    std::string latin = mailstore::mime::utf8_or_latin1(payload);
    FUZZ_CHECK(is_valid_utf8(latin));
    if (is_valid_utf8(payload)) {
        FUZZ_CHECK(sanitized == payload);
        FUZZ_CHECK(latin == payload);
    }

    // casemap is not idempotent, and must not be: RFC 5051 §2 titlecases
    // and then decomposes once, so U+FB01 "ﬁ" becomes lower-case "fi"
    // (Dovecot 2.3 agrees: SEARCH SUBJECT "FILE" does not find "ﬁle").
    // What does hold: valid UTF-8 out, and the casemap of a concatenation
    // is the concatenation of the casemaps when cut between characters
    // (no canonical reordering across the cut, as in Dovecot), which is
    // what lets casemap_contains search long text piece by piece.
    std::string folded = mailstore::mime::casemap(payload);
    FUZZ_CHECK(is_valid_utf8(folded));
    FUZZ_CHECK(mailstore::mime::casemap_compare(payload, payload) == 0);
    FUZZ_CHECK(mailstore::mime::casemap_contains(payload, payload));
    FUZZ_CHECK(mailstore::mime::casemap_contains(payload, ""));
    std::size_t cut = payload.size() / 2;
    while (cut < payload.size() && (static_cast<unsigned char>(payload[cut]) & 0xc0) == 0x80)
        ++cut;
    std::string_view a = payload.substr(0, cut);
    std::string_view b = payload.substr(cut);
    int ab = mailstore::mime::casemap_compare(a, b);
    int ba = mailstore::mime::casemap_compare(b, a);
    FUZZ_CHECK((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0));
    if (is_valid_utf8(payload)) {
        FUZZ_CHECK(mailstore::mime::casemap(a) + mailstore::mime::casemap(b) == folded);
        FUZZ_CHECK(mailstore::mime::casemap_contains(payload, a));
        FUZZ_CHECK(mailstore::mime::casemap_contains(payload, b));
    }
    // Now and then a haystack longer than the 64 KB pieces casemap_contains
    // works in, with a needle across the first cut: the answer must be the
    // one the whole casemapped text gives.
    if ((seed & 31) == 0 && !payload.empty()) {
        std::string big;
        while (big.size() < 64 * 1024 + payload.size())
            big.append(payload);
        std::size_t back = std::min<std::size_t>(payload.size(), 5);
        std::string_view needle = std::string_view(big).substr(64 * 1024 - back, std::min<std::size_t>(payload.size(), 12));
        bool expected = mailstore::mime::casemap(big).find(mailstore::mime::casemap(needle)) != std::string::npos;
        FUZZ_CHECK(mailstore::mime::casemap_contains(big, needle) == expected);
    }

    // Header text: printable characters only (line breaks and controls are
    // not header text), encoded and decoded again.
    bool plain = is_valid_utf8(payload);
    for (char c : payload)
        if ((static_cast<unsigned char>(c) < 0x20) || c == 0x7f)
            plain = false;
    if (plain) {
        std::string encoded = mailstore::mime::encode_header_text(payload);
        FUZZ_CHECK(mailstore::mime::decode_encoded_words(mailstore::mime::unfold(encoded)) == payload);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint8_t seed = size > 0 ? data[0] : 0;
    std::uint8_t select = size > 1 ? data[1] : 0;
    std::string_view payload(reinterpret_cast<const char*>(data), size);
    payload.remove_prefix(size < 2 ? size : 2);

    static constexpr std::size_t kLineLengths[] = {76, 0, 4, 64, 1, 72, 8, 76};
    check_transfer_decoders(payload, seed, kLineLengths[select & 7]);

    std::string_view charset;
    if (select < kCharsets.size()) {
        charset = kCharsets[select];
    } else {
        std::size_t n = select % 16;
        charset = payload.substr(0, n < payload.size() ? n : payload.size());
    }
    check_charsets(charset, payload);
    check_unicode(payload, seed);
    return 0;
}
