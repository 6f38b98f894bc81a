// libFuzzer target for Maildir file names (libmailstore/src/storage/maildir/
// filename.cpp). The input is a file name. Checks: the base is the part up
// to the first ':' and a prefix of the input; sizes only when the base holds
// ",S="/",W="; keyword letters are a-z, sorted, unique; make_filename keeps
// the base, writes the info letters in ASCII order without repeats, and
// parsing its result gives the same flags, keywords and sizes; make_filename
// of that is a fixed point.
#include "fuzz_check.hpp"

#include "storage/maildir/filename.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace mailstore::storage::maildir;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view name(reinterpret_cast<const char*>(data), size);
    const auto f = parse_filename(name);
    FUZZ_CHECK(f.base == filename_base(name));
    FUZZ_CHECK(name.substr(0, f.base.size()) == f.base);
    FUZZ_CHECK(f.base.find(':') == std::string::npos);
    if (f.psize) FUZZ_CHECK(f.base.find(",S=") != std::string::npos);
    if (f.vsize) FUZZ_CHECK(f.base.find(",W=") != std::string::npos);
    FUZZ_CHECK(std::is_sorted(f.keyword_letters.begin(), f.keyword_letters.end()));
    FUZZ_CHECK(std::adjacent_find(f.keyword_letters.begin(), f.keyword_letters.end()) == f.keyword_letters.end());
    for (char c : f.keyword_letters) FUZZ_CHECK(c >= 'a' && c <= 'z');
    FUZZ_CHECK((f.flags & ~mailstore::storage::all_mail_flags) == 0);

    const std::string made = make_filename(f);
    FUZZ_CHECK(made.substr(0, f.base.size()) == f.base);
    const auto g = parse_filename(made);
    FUZZ_CHECK(g.base == f.base);
    FUZZ_CHECK(g.psize == f.psize && g.vsize == f.vsize);
    if (f.has_info || f.other_info.empty()) {
        FUZZ_CHECK(g.has_info);
        FUZZ_CHECK(g.flags == f.flags && g.passed == f.passed && g.keyword_letters == f.keyword_letters);
        const std::string_view letters = std::string_view(made).substr(f.base.size() + 3);
        FUZZ_CHECK(std::is_sorted(letters.begin(), letters.end()));
        FUZZ_CHECK(std::adjacent_find(letters.begin(), letters.end()) == letters.end());
    }
    FUZZ_CHECK(make_filename(g) == made);
    return 0;
}
