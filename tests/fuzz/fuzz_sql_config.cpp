// libFuzzer target for the SQL driver's settings file parser
// (dovecot-sql.conf.ext: key = value lines, comments, quoted values with
// escapes, backslash continuation lines). Checks: a successful parse has a
// driver and a connect string and no value longer than the line limit; an
// error message starts with the file name; writing the parsed settings back
// as quoted values and parsing that gives the same settings.
#include "fuzz_check.hpp"

#include "auth/sql/sql_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
    return out + "\"";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mailstore::auth::sql;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto c = parse_sql_config(text, "f.conf");
    if (!c) {
        FUZZ_CHECK(c.status().message().rfind("f.conf", 0) == 0);
        return 0;
    }
    FUZZ_CHECK(!c->driver.empty());
    FUZZ_CHECK(!c->connect.empty());
    FUZZ_CHECK(c->driver_line >= 1);
    for (const std::string* v : {&c->driver, &c->connect, &c->password_query, &c->user_query, &c->iterate_query,
                                 &c->default_pass_scheme}) {
        FUZZ_CHECK(v->size() <= sql_config_max_line);
        FUZZ_CHECK(v->find('\0') == std::string::npos);
    }
    std::string back = "driver = " + quoted(c->driver) + "\nconnect = " + quoted(c->connect) +
                       "\npassword_query = " + quoted(c->password_query) + "\nuser_query = " +
                       quoted(c->user_query) + "\niterate_query = " + quoted(c->iterate_query) +
                       "\ndefault_pass_scheme = " + quoted(c->default_pass_scheme) + "\n";
    // Escaping can double a value past the line limit: nothing to compare.
    for (const std::string* v : {&c->driver, &c->connect, &c->password_query, &c->user_query, &c->iterate_query,
                                 &c->default_pass_scheme})
        if (quoted(*v).size() + 32 > sql_config_max_line)
            return 0;
    auto again = parse_sql_config(back, "f.conf");
    FUZZ_CHECK(again.is_ok());
    FUZZ_CHECK(again->driver == c->driver);
    FUZZ_CHECK(again->connect == c->connect);
    FUZZ_CHECK(again->password_query == c->password_query);
    FUZZ_CHECK(again->user_query == c->user_query);
    FUZZ_CHECK(again->iterate_query == c->iterate_query);
    FUZZ_CHECK(again->default_pass_scheme == c->default_pass_scheme);
    FUZZ_CHECK(again->driver_line == 1);
    return 0;
}
