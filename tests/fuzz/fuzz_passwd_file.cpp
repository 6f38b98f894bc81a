// libFuzzer target for the passwd-file parser (passwd_file::parse). The
// input is a whole file. Checks: every entry has a non-empty user name
// without ':' or NUL and is found again through the index at its own
// position; user names are unique; uid/gid are empty or decimal; problems
// carry increasing line numbers within the input's line count, and each
// non-comment line gives at most one entry or one problem.
#include "fuzz_check.hpp"

#include "auth/db/passwd_file.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool decimal_or_empty(const std::string& s) {
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return s.size() <= 10;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = mailstore::auth::passwd_file::parse(input);

    std::size_t lines = 0;
    for (std::size_t i = 0; i < input.size(); ++i)
        if (input[i] == '\n')
            ++lines;
    if (!input.empty() && input.back() != '\n')
        ++lines;

    FUZZ_CHECK(parsed.index.size() == parsed.entries.size());
    FUZZ_CHECK(parsed.entries.size() + parsed.problems.size() <= lines);
    for (std::size_t i = 0; i < parsed.entries.size(); ++i) {
        const auto& e = parsed.entries[i];
        FUZZ_CHECK(!e.user.empty());
        FUZZ_CHECK(e.user.find(':') == std::string::npos);
        FUZZ_CHECK(e.user.find('\0') == std::string::npos);
        FUZZ_CHECK(e.user.find('\n') == std::string::npos);
        FUZZ_CHECK(e.password.find(':') == std::string::npos);
        FUZZ_CHECK(decimal_or_empty(e.uid));
        FUZZ_CHECK(decimal_or_empty(e.gid));
        FUZZ_CHECK(e.home.find(':') == std::string::npos);
        FUZZ_CHECK(parsed.find(e.user) == &e);
        for (const auto& [k, v] : e.extra) {
            FUZZ_CHECK(!k.empty());
            FUZZ_CHECK(k.find(' ') == std::string::npos && v.find(' ') == std::string::npos);
        }
    }
    std::size_t last = 0;
    for (const auto& p : parsed.problems) {
        FUZZ_CHECK(p.line > last);
        FUZZ_CHECK(p.line <= lines);
        FUZZ_CHECK(!p.reason.empty());
        last = p.line;
    }
    return 0;
}
