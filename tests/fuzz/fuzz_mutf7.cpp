// libFuzzer target for modified UTF-7 (libmailstore/src/storage/mutf7.cpp).
// The input is read both ways. Checks: valid UTF-8 encodes to printable
// ASCII that is valid modified UTF-7 and decodes back to the input; decoded
// modified UTF-7 is valid UTF-8 and encodes back to the same text (one
// spelling per name); is_valid_mutf7 agrees with the decoder.
#include "fuzz_check.hpp"

#include <mailstore/mutf7.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto enc = mailstore::utf8_to_mutf7(text)) {
        for (char c : *enc) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
        FUZZ_CHECK(mailstore::is_valid_mutf7(*enc));
        auto dec = mailstore::mutf7_to_utf8(*enc);
        FUZZ_CHECK(dec && *dec == text);
    }
    auto dec = mailstore::mutf7_to_utf8(text);
    FUZZ_CHECK(dec.has_value() == mailstore::is_valid_mutf7(text));
    if (dec) {
        auto enc = mailstore::utf8_to_mutf7(*dec);
        FUZZ_CHECK(enc);
        FUZZ_CHECK(*enc == text);
    }
    return 0;
}
