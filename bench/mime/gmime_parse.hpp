// GMime 3 as the reference parser: a message parsed from memory into its
// complete part tree, and the tree's part count in libmailstore's terms.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bench {

// g_mime_init(); call once before gmime_part_count().
void gmime_setup();

// A prepared message: its bytes in a GByteArray made once, outside the
// timed loop, that each parse reads through a GMimeStreamMem without copying.
class GMimeInput {
public:
    explicit GMimeInput(std::string_view raw);
    ~GMimeInput();
    GMimeInput(GMimeInput&&) noexcept;
    GMimeInput(const GMimeInput&) = delete;
    GMimeInput& operator=(const GMimeInput&) = delete;
    GMimeInput& operator=(GMimeInput&&) = delete;

    // Parses the message with g_mime_parser_construct_message (GMime builds
    // the whole tree while parsing) and counts its parts the way
    // mailstore::mime::ParsedMessage::part_count() does: one for the message
    // itself (its top-level entity), one for each multipart child, and for a
    // message/rfc822 part one more for the encapsulated message, whose own
    // parts follow. 0 when GMime gives no message at all. Where GMime's tree
    // differs from Dovecot's by design, it is counted Dovecot's way, or
    // `comparable` (optional) is set to false (see gmime_parse.cpp).
    std::size_t parse_and_count(bool* comparable = nullptr) const;
    // GMime's tree as indented MIME types, for looking into a disagreement.
    std::string dump() const;

private:
    void* bytes_;  // GByteArray*
};

const char* gmime_version();

} // namespace bench
