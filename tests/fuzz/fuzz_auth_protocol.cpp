// libFuzzer target for loft-authd's line protocol (daemons/common/
// auth_protocol, docs/authd.md). Checks: tab_escape→tab_unescape
// round-trips any bytes and an escaped field never holds TAB, CR or LF;
// splitting is bounded by kMaxFields; every parser (AUTH, CONT, VERSION,
// USER/PASS/LIST, replies) accepts or refuses each line without crashing,
// and what it accepts is consistent (ids non-zero, ports ≤ 65535, a
// service present, master users non-empty); reply lines built from the
// parsed values parse back to the same id; mask matching terminates and
// "*" matches everything, and a name without wildcards matches itself.
#include "fuzz_check.hpp"

#include "auth_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ap = loft::authproto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.size() > 4 * ap::kMaxLineLength)
        return 0; // the server never sees longer lines

    std::string escaped = ap::tab_escape(input);
    FUZZ_CHECK(escaped.find_first_of(std::string_view("\t\r\n", 3)) == std::string::npos);
    auto back = ap::tab_unescape(escaped);
    FUZZ_CHECK(back.has_value() && *back == input);
    (void)ap::tab_unescape(input);

    // Each input line as a client request.
    std::size_t start = 0;
    while (start <= input.size()) {
        std::size_t nl = input.find('\n', start);
        std::string_view line = input.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        start = nl == std::string_view::npos ? input.size() + 1 : nl + 1;

        auto fields = ap::split_fields(line);
        if (!fields)
            continue;
        FUZZ_CHECK(!fields->empty() && fields->size() <= ap::kMaxFields);

        ap::ParseError err;
        if (auto v = ap::parse_version(*fields))
            FUZZ_CHECK((*fields)[0] == "VERSION");
        if (auto a = ap::parse_auth(*fields, err)) {
            FUZZ_CHECK(a->id != 0);
            FUZZ_CHECK(!a->service.empty());
            FUZZ_CHECK(!a->mechanism.empty() && a->mechanism.size() <= 64);
            FUZZ_CHECK(a->local_port <= 65535 && a->remote_port <= 65535);
            auto fail = ap::parse_reply(ap::fail_line(a->id, {.user = a->service, .code = {}, .reason = a->session,
                                                              .temp = a->secured}));
            FUZZ_CHECK(fail && fail->command == "FAIL" && fail->id == a->id);
            auto ok = ap::parse_reply(ap::ok_line(a->id, a->mechanism, {{a->local_ip, a->remote_ip}}));
            FUZZ_CHECK(ok && ok->command == "OK" && ok->id == a->id);
        } else {
            FUZZ_CHECK(!err.message.empty());
        }
        if (auto c = ap::parse_cont(*fields, err))
            FUZZ_CHECK(c->id != 0);
        if (auto m = ap::parse_master(*fields, err)) {
            FUZZ_CHECK(m->id != 0);
            if (m->kind != ap::MasterCommand::Kind::list) {
                FUZZ_CHECK(!m->user.empty());
                FUZZ_CHECK(!m->service.empty());
            }
            FUZZ_CHECK(ap::mask_matches("*", m->user));
            FUZZ_CHECK(ap::mask_matches(m->user, m->user) || m->user.find_first_of("*?") != std::string::npos);
        }
        if (auto r = ap::parse_reply(line))
            FUZZ_CHECK(!r->command.empty());
        // The line as a mask against itself (bounded: masks are one field).
        if (line.size() <= 256)
            (void)ap::mask_matches(line, input.substr(0, 1024));
    }
    return 0;
}
