// libFuzzer target for mail_location parsing (libmailstore/src/storage/
// mail_location.cpp). The input is the location; the home is fixed. Checks:
// an accepted location is the maildir driver with absolute paths (INDEX may
// be MEMORY) without a trailing '/' or a ".." component, file names without
// '/'; a refusal's message starts with "mail_location: ".
#include "fuzz_check.hpp"

#include "storage/mail_location.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace mailstore::storage;

namespace {
void check_path(const std::string& p, bool may_be_empty) {
    if (p.empty()) {
        FUZZ_CHECK(may_be_empty);
        return;
    }
    FUZZ_CHECK(p[0] == '/');
    FUZZ_CHECK(p.size() == 1 || p.back() != '/');
    FUZZ_CHECK(p.find("/../") == std::string::npos);
    for (char c : p) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto loc = parse_mail_location(text, "/home/fuzz");
    if (!loc) {
        FUZZ_CHECK(loc.status().message().rfind("mail_location: ", 0) == 0);
        FUZZ_CHECK(loc.status().code() == mailstore::Status::Code::invalid_argument);
        return 0;
    }
    FUZZ_CHECK(loc->driver == "maildir");
    check_path(loc->root, false);
    if (loc->index_dir != "MEMORY") check_path(loc->index_dir, true);
    check_path(loc->control_dir, true);
    check_path(loc->inbox_dir, true);
    check_path(loc->volatile_dir, true);
    FUZZ_CHECK(!loc->subscriptions_file.empty());
    FUZZ_CHECK(loc->subscriptions_file.find('/') == std::string::npos);
    FUZZ_CHECK(loc->dirname.find('/') == std::string::npos);
    return 0;
}
