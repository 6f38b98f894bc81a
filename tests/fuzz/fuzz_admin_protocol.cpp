// libFuzzer target for the admin socket's field escaping and line splitting
// (docs/admin-socket.md). Checks: escape→unescape round-trips any bytes; an
// escaped field never contains TAB, LF or CR (so it cannot add a field or a
// record); split(join(fields)) gives the fields back; splitting an arbitrary
// line gives one field per TAB plus one, and splitting is stable once the
// fields are re-joined.
#include "fuzz_check.hpp"

#include "admin_protocol.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace adm = loft::admin;

namespace {

bool framing_safe(std::string_view s) {
    return s.find_first_of(std::string_view("\t\n\r", 3)) == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    // The whole input as one field.
    std::string escaped = adm::escape(input);
    FUZZ_CHECK(framing_safe(escaped));
    FUZZ_CHECK(adm::unescape(escaped) == input);
    FUZZ_CHECK(escaped.size() >= input.size() && escaped.size() <= 2 * input.size());

    // The whole input as a line from a client.
    std::vector<std::string> fields = adm::split(input);
    FUZZ_CHECK(fields.size() == static_cast<std::size_t>(std::count(input.begin(), input.end(), '\t')) + 1);
    std::size_t total = 0;
    for (const auto& f : fields) {
        FUZZ_CHECK(f.size() <= input.size());
        total += f.size();
    }
    FUZZ_CHECK(total + fields.size() - 1 <= input.size()); // unescaping only shrinks
    std::string rejoined = adm::join(fields);
    FUZZ_CHECK(rejoined.find('\n') == std::string::npos && rejoined.find('\r') == std::string::npos);
    FUZZ_CHECK(adm::split(rejoined) == fields);

    // Fields chosen by the input (the first byte separates them, so a field
    // can hold TAB, LF, CR and backslashes) survive join and split.
    if (size > 0) {
        char sep = input[0];
        std::vector<std::string> chosen;
        std::string_view rest = input.substr(1);
        for (;;) {
            auto pos = rest.find(sep);
            chosen.emplace_back(rest.substr(0, pos));
            if (pos == std::string_view::npos)
                break;
            rest.remove_prefix(pos + 1);
        }
        std::string line = adm::join(chosen);
        FUZZ_CHECK(line.find('\n') == std::string::npos && line.find('\r') == std::string::npos);
        FUZZ_CHECK(static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t')) == chosen.size() - 1);
        FUZZ_CHECK(adm::split(line) == chosen);
    }
    return 0;
}
