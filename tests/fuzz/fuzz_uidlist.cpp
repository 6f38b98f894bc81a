// libFuzzer target for the dovecot-uidlist parser (libmailstore/src/storage/
// maildir/uidlist.cpp). The input is the file. Checks: a parsed list has
// strictly increasing non-zero UIDs below its next UID, a version 1..3 and a
// non-zero UIDVALIDITY; end_offset is within the input and at a line end;
// what format_uidlist writes parses back to the same list (as version 3);
// a refused input's message names a line.
#include "fuzz_check.hpp"

#include "storage/maildir/uidlist.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace mailstore::storage::maildir;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto list = parse_uidlist(text);
    if (!list) {
        FUZZ_CHECK(list.status().message().find("line ") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(list->header.version >= 1 && list->header.version <= 3);
    FUZZ_CHECK(list->header.uidvalidity != 0);
    FUZZ_CHECK(list->end_offset <= size);
    FUZZ_CHECK(list->end_offset > 0 && text[list->end_offset - 1] == '\n');
    mailstore::storage::Uid prev = 0;
    for (const auto& e : list->entries) {
        FUZZ_CHECK(e.uid > prev);
        FUZZ_CHECK(!e.base.empty());
        prev = e.uid;
    }
    FUZZ_CHECK(list->header.next_uid > prev);
    const std::string written = format_uidlist(*list);
    auto again = parse_uidlist(written);
    // A v1/v2 base name or a field value can hold bytes a v3 line cannot
    // carry (a space before ':'): those need not round-trip.
    bool representable = list->header.version == 3;
    for (const auto& e : list->entries)
        for (const auto& [k, v] : e.ext)
            if (v.find(' ') != std::string::npos) representable = false;
    if (!representable) return 0;
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->header.uidvalidity == list->header.uidvalidity);
    FUZZ_CHECK(again->header.next_uid == list->header.next_uid);
    FUZZ_CHECK(again->header.guid == list->header.guid);
    FUZZ_CHECK(again->entries.size() == list->entries.size());
    for (std::size_t i = 0; i < list->entries.size(); ++i) {
        FUZZ_CHECK(again->entries[i].uid == list->entries[i].uid);
        FUZZ_CHECK(again->entries[i].base == list->entries[i].base);
        FUZZ_CHECK(again->entries[i].ext == list->entries[i].ext);
    }
    FUZZ_CHECK(format_uidlist(*again) == written);
    return 0;
}
