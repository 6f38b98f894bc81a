// The corpus's vocabulary (vocabulary.cpp): English words, words in each
// charset the generator writes, and the senders.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace corpus {

struct CharsetWords {
    std::string_view name;                   // MIME charset name as written in headers
    std::span<const std::string_view> words; // words as bytes of that charset (none for us-ascii)
};

struct Sender {
    std::string_view display;  // display name in `charset` (encoded-word when not us-ascii)
    std::string_view charset;
    std::string_view local;    // local part of the address (ASCII)
};

inline constexpr std::size_t kCharsetCount = 7;
inline constexpr std::size_t kSenderCount = 24;

// kCharsets[0] is us-ascii, [1] utf-8; the rest are the legacy charsets.
extern const std::array<CharsetWords, kCharsetCount> kCharsets;
// kSenders[0] is the sender the corpus guarantees (see generator.hpp).
extern const std::array<Sender, kSenderCount> kSenders;
// Lower-case English words of body text; none is or contains a guaranteed
// search term of generator.hpp except kSubjectTerm.
extern const std::span<const std::string_view> kBodyWords;
// Subject words (kSubjectTerm among them).
extern const std::span<const std::string_view> kSubjectWords;
// Mail domains of the senders and recipients.
extern const std::span<const std::string_view> kDomains;

} // namespace corpus
