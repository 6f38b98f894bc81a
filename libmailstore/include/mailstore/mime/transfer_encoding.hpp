// Content-Transfer-Encoding (RFC 2045 §6): base64 and quoted-printable
// decoding that survives real-world damage, streaming decoders for large
// bodies, and encoders for what Loft writes itself.
#pragma once

#include <mailstore/export.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mailstore::mime {

enum class TransferEncoding { seven_bit, eight_bit, binary, base64, quoted_printable, unknown };

// Maps a Content-Transfer-Encoding value (case-insensitive, comments and
// whitespace ignored); an empty value is 7bit. Anything else is unknown
// (x-uuencode included: IMAP BINARY answers [UNKNOWN-CTE] for it).
MAILSTORE_API TransferEncoding parse_transfer_encoding(std::string_view value);

// Streaming base64 decoder: characters outside the alphabet (line breaks,
// spaces, garbage) are skipped and counted as errors except whitespace;
// decoding stops at the first '=' pad group and ignores what follows.
// had_errors() is set exactly for input that is not valid RFC 2045 §6.8
// base64 (garbage, data or extra '=' after the padding, a missing pad or an
// unpadded final quantum) — the inputs Dovecot refuses for IMAP BINARY with
// NO [PARSE]. Feeding the input in any chunks gives the same output.
class MAILSTORE_API Base64Decoder {
public:
    void feed(std::string_view in, std::string& out);
    // Flushes a partial quantum (2 or 3 chars still give bytes; 1 is an error).
    void finish(std::string& out);
    bool had_errors() const { return errors_; }
private:
    std::uint32_t bits_ = 0;
    int count_ = 0;
    bool done_ = false;
    bool errors_ = false;
};

// Streaming quoted-printable decoder (RFC 2045 §6.7): soft line breaks
// removed, trailing whitespace before a line end removed, "=XX" decoded in
// either case; a bad escape ("=G1", "=" before a non-break) is kept
// literally and flagged. `header_mode` is RFC 2047's Q: '_' means space.
// In body mode a hard line break (CRLF or bare LF) is written as CRLF
// (RFC 2045 §6.7 (4); Dovecot's BINARY does the same), and a CR that is
// not part of a line break, or '=' as one of the last two characters, is
// kept and flagged. Header mode has no line structure: blanks, CR and LF
// are plain characters there.
class MAILSTORE_API QuotedPrintableDecoder {
public:
    explicit QuotedPrintableDecoder(bool header_mode = false) : header_mode_(header_mode) {}
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
    bool had_errors() const { return errors_; }
private:
    // What the bytes in pending_ are (see transfer_encoding.cpp).
    enum class State : unsigned char { text, escape, escape_hex, escape_blanks, escape_cr, blanks,
                                       blanks_cr, cr };
    std::string pending_;  // bytes whose meaning depends on what follows, as written
    State state_ = State::text;
    bool header_mode_;
    bool errors_ = false;
};

// One-shot helpers. `errors` (optional) is set when the input was damaged.
MAILSTORE_API std::string decode_base64(std::string_view in, bool* errors = nullptr);
MAILSTORE_API std::string decode_quoted_printable(std::string_view in, bool header_mode = false,
                                                  bool* errors = nullptr);

// Undoes `encoding` on `in`; 7bit/8bit/binary copy. Returns false (out
// untouched) for TransferEncoding::unknown.
MAILSTORE_API bool decode_transfer(TransferEncoding encoding, std::string_view in, std::string& out);

// Base64 with CRLF after every `line_length` output characters (0: one line).
// No CRLF after the last line.
MAILSTORE_API std::string encode_base64(std::string_view in, std::size_t line_length = 76);
// Quoted-printable for a body (CRLF line ends, soft breaks at 76). CRLF or
// a bare LF in the input is a line break; a bare CR is escaped as =0D.
MAILSTORE_API std::string encode_quoted_printable(std::string_view in);

} // namespace mailstore::mime
