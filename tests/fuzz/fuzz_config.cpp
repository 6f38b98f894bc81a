// libFuzzer target for the config parser: any bytes must give a Config or an
// error Status, never a crash, a hang or unbounded memory.
#include "fuzz_check.hpp"

#include <mailstore/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // A base dir that does not exist keeps relative !include and <file paths
    // from reading whatever the fuzzer's working directory holds.
    auto result = mailstore::config::Config::load_string(text, "fuzz.conf", "/nonexistent-fuzz-dir");
    if (result) {
        const auto& config = result.value();
        mailstore::config::LookupContext ctx;
        ctx.protocol = "imap";
        ctx.remote_ip = "192.0.2.1";
        ctx.local_ip = "::1";
        ctx.local_name = "mail.example.com";
        (void)config.get("login_greeting", ctx);
        (void)config.get_size("imap_max_line_length", ctx);
        (void)config.get_time("haproxy_timeout", ctx);
        for (const auto& section : config.root().children()) {
            (void)section.entries();
            (void)section.get_uint("port");
        }
    } else {
        // Every error must say what went wrong (and where).
        FUZZ_CHECK(!result.status().message().empty());
    }
    return 0;
}
