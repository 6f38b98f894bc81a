// Streaming charset conversion to UTF-8 (internal): the same result as
// convert_to_utf8() on the whole text, fed in pieces cut anywhere, in
// memory bounded by the piece size. Used where a whole body part must not
// be materialised (SEARCH BODY on a 50 MB attachment).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::mime::detail {

// Whether a stream of bytes, fed in pieces, is valid UTF-8 (RFC 3629) as a
// whole. Stops looking after the first invalid sequence.
class Utf8Validator {
public:
    void feed(std::string_view in);
    // The verdict on everything fed; resets for a new stream.
    bool finish();
private:
    std::string carry_;  // an incomplete sequence at the end of a piece (<= 3 bytes)
    bool invalid_ = false;
};

// convert_to_utf8(charset, ...) in pieces. Output pieces never split a
// UTF-8 character. Some charsets' conversion depends on the whole input:
// US-ASCII and "unknown-8bit" keep valid UTF-8 as it is and read anything
// else as Windows-1252 (see charset.hpp). For those needs_whole_input_check()
// is true and the caller tells set_whole_input_valid() what a
// Utf8Validator pass over the same input found, before the first feed().
class Utf8Stream {
public:
    explicit Utf8Stream(std::string_view charset);
    ~Utf8Stream();
    Utf8Stream(const Utf8Stream&) = delete;
    Utf8Stream& operator=(const Utf8Stream&) = delete;

    bool needs_whole_input_check() const;
    void set_whole_input_valid(bool valid) { whole_valid_ = valid; }
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
    // Whether the charset was known (convert_to_utf8's return value).
    bool known() const { return known_; }

    struct State;
private:
    std::unique_ptr<State> state_;
    std::string carry_;  // input bytes of an incomplete character
    bool whole_valid_ = true;
    bool known_ = true;
};

// Bytes at the end of `s` that may be the start of a UTF-8 sequence still
// missing continuation bytes: the last non-continuation byte when it is a
// lead byte and fewer bytes than it announces follow. Every non-
// continuation byte starts a decoding step (decode_utf8_step), so holding
// these back and prepending them to the next piece decodes exactly as the
// whole text would.
inline std::size_t incomplete_utf8_tail(std::string_view s)
{
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
        const auto b = static_cast<unsigned char>(s[n - back]);
        if ((b & 0xC0) == 0x80)
            continue;  // continuation byte
        std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        if (b >= 0xF5)
            need = 1;  // never a lead byte
        return need > back ? back : 0;
    }
    return 0;
}

} // namespace mailstore::mime::detail
