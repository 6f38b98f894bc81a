#include "auth/sql/sql_config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mailstore::auth::sql {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

Status error_at(std::string_view path, int line, const std::string& what) {
    return Status::invalid(std::string(path) + ":" + std::to_string(line) + ": " + what);
}

// A value in double quotes: \" and \\ (and \n, \t) are escapes; nothing but
// spaces may follow the closing quote.
Result<std::string> unquote(std::string_view v, std::string_view path, int line) {
    std::string out;
    std::size_t i = 1;
    for (; i < v.size() && v[i] != '"'; ++i) {
        char c = v[i];
        if (c == '\\' && i + 1 < v.size()) {
            char n = v[++i];
            c = n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
        }
        out += c;
    }
    if (i >= v.size())
        return error_at(path, line, "missing closing quote");
    if (!trim(v.substr(i + 1)).empty())
        return error_at(path, line, "unexpected text after the closing quote");
    return out;
}

} // namespace

Result<SqlConfig> parse_sql_config(std::string_view text, std::string_view path) {
    if (text.size() > sql_config_max_bytes)
        return Status::invalid(std::string(path) + ": file is larger than " +
                               std::to_string(sql_config_max_bytes) + " bytes");
    if (text.find('\0') != std::string_view::npos) {
        int line = 1;
        for (char c : text.substr(0, text.find('\0')))
            line += c == '\n';
        return error_at(path, line, "NUL byte in the file");
    }
    SqlConfig cfg;
    cfg.path = std::string(path);
    bool have_connect = false;
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // One logical line: physical lines joined while they end in '\'.
        std::string logical;
        int start_line = line_no + 1;
        bool more = true;
        while (more && pos < text.size()) {
            std::size_t nl = text.find('\n', pos);
            std::string_view phys = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            ++line_no;
            std::string_view t = trim(phys);
            more = !t.empty() && t.back() == '\\';
            if (more)
                t = trim(t.substr(0, t.size() - 1));
            if (!logical.empty() && !t.empty())
                logical += ' ';
            logical.append(t);
            if (logical.size() > sql_config_max_line)
                return error_at(path, start_line, "line longer than " + std::to_string(sql_config_max_line) +
                                                      " bytes");
        }
        std::string_view l = trim(logical);
        if (l.empty() || l.front() == '#')
            continue;
        std::size_t eq = l.find('=');
        if (eq == std::string_view::npos)
            return error_at(path, start_line, "expected 'key = value', got '" + std::string(l.substr(0, 80)) + "'");
        std::string key(trim(l.substr(0, eq)));
        std::string_view raw = trim(l.substr(eq + 1));
        std::string value;
        if (!raw.empty() && raw.front() == '"') {
            auto v = unquote(raw, path, start_line);
            if (!v)
                return v.status();
            value = std::move(*v);
        } else {
            value = std::string(raw);
        }
        if (key == "driver") {
            cfg.driver = value;
            cfg.driver_line = start_line;
        } else if (key == "connect") {
            cfg.connect = value;
            have_connect = true;
        } else if (key == "password_query") {
            cfg.password_query = value;
        } else if (key == "user_query") {
            cfg.user_query = value;
        } else if (key == "iterate_query") {
            cfg.iterate_query = value;
        } else if (key == "default_pass_scheme") {
            cfg.default_pass_scheme = value;
        } else if (key == "update_query" || key == "userdb_warning_disable") {
            // Accepted for compatibility with Dovecot files; Loft does not
            // run update queries.
        } else {
            return error_at(path, start_line, "unknown setting '" + key.substr(0, 80) + "'");
        }
    }
    if (cfg.driver.empty())
        return Status::invalid(std::string(path) + ": 'driver' is not set (sqlite, pgsql or mysql)");
    if (!have_connect || cfg.connect.empty())
        return Status::invalid(std::string(path) + ": 'connect' is not set");
    return cfg;
}

Result<SqlConfig> load_sql_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Status::not_found(path + ": cannot read SQL settings: " + std::strerror(errno));
    std::string text;
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > sql_config_max_bytes)
            return Status::invalid(path + ": file is larger than " + std::to_string(sql_config_max_bytes) +
                                   " bytes");
    }
    return parse_sql_config(text, path);
}

} // namespace mailstore::auth::sql
