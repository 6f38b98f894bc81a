// A 50 MB message is delivered without being held in memory: the peak RSS
// (VmHWM) grows by far less than the message.
#include "delivery_fixture.hpp"

#include <fstream>

using namespace loft_test;

namespace {

// AddressSanitizer's shadow memory and quarantine add to the peak RSS; the
// bound stays far below the message's 50 MB either way (a copy of the
// message in memory would exceed both).
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t rss_bound_kb = 20 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::uint64_t rss_bound_kb = 20 * 1024;
#else
constexpr std::uint64_t rss_bound_kb = 8 * 1024;
#endif
#else
constexpr std::uint64_t rss_bound_kb = 8 * 1024;
#endif

// VmHWM of this process in kB.
std::uint64_t peak_rss_kb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoull(line.substr(6));
    FAIL("no VmHWM in /proc/self/status");
    return 0;
}

} // namespace

TEST_CASE("a 50 MB message to two recipients: bounded memory, bytes intact") {
    DeliveryFixture f;
    auto d = f.deliverer();
    const std::uint64_t before = peak_rss_kb();
    auto made = Spool::create(f.dir.str());
    REQUIRE(made.is_ok());
    Spool spool = std::move(made.value());
    REQUIRE(spool.append("Subject: large\r\nMessage-ID: <large@x>\r\n\r\n").is_ok());
    std::string line(78, 'a');
    line += "\r\n";
    constexpr std::uint64_t target = 50ull * 1024 * 1024;
    std::uint64_t lines = 0;
    bool appended = true;
    while (spool.size() < target && appended) {
        line[0] = char('a' + lines % 26);
        appended = spool.append(line).is_ok();
        ++lines;
    }
    REQUIRE(appended);
    REQUIRE(spool.finish().is_ok());
    auto results = d.deliver(test_envelope(),
                             {f.recipient("alice@example.com", "alice@example.com"),
                              f.recipient("bob@example.com", "bob@example.com")},
                             spool);
    const std::uint64_t after = peak_rss_kb();
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[1].outcome == RecipientResult::Outcome::delivered);
    // Far below the 50 MB (51,200 kB) of the message.
    CHECK(after - before < rss_bound_kb);
    for (const char* user : {"alice@example.com", "bob@example.com"}) {
        auto files = f.files(user);
        REQUIRE(files.size() == 1);
        // LF line ends: the message loses one byte per line.
        const std::uint64_t header = std::filesystem::file_size(files[0]) - (spool.size() - lines - 3);
        CHECK(header < 400);
        CHECK(std::filesystem::file_size(files[0]) > target - lines);
    }
}
