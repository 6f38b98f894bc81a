// Parsing of passwd-files (format: passwd_file.hpp). Kept apart from the
// file cache so the fuzz target needs nothing but libc.
#include "auth/db/passwd_file.hpp"

#include "auth/db/drivers.hpp"

#include <grp.h>
#include <pwd.h>

namespace mailstore::auth::passwd_file {
namespace {

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// A number below 2^32-1 ((uid_t)-1 means "no change" to chown).
std::optional<std::string> numeric_id(std::string_view s) {
    if (!all_digits(s) || s.size() > 10)
        return std::nullopt;
    unsigned long long v = 0;
    for (char c : s)
        v = v * 10 + static_cast<unsigned>(c - '0');
    if (v >= 0xffffffffULL)
        return std::nullopt;
    return std::to_string(v);
}

// Splits off the next ':'-terminated field; `rest` keeps what follows.
std::string_view next_field(std::string_view& rest, bool& more) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
        std::string_view f = rest;
        rest = {};
        more = false;
        return f;
    }
    std::string_view f = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
    return f;
}

void parse_line(std::string_view line, std::size_t lineno, Parsed& out) {
    auto problem = [&](std::string reason) { out.problems.push_back({lineno, std::move(reason)}); };
    if (line.size() > max_line_length) {
        problem("line longer than " + std::to_string(max_line_length) + " bytes");
        return;
    }
    if (line.find('\0') != std::string_view::npos) {
        problem("NUL byte in line");
        return;
    }
    Entry e;
    std::string_view rest = line;
    bool more = true;
    e.user = next_field(rest, more);
    if (e.user.empty()) {
        problem("empty user name");
        return;
    }
    std::string_view uid, gid;
    if (more)
        e.password = next_field(rest, more);
    if (more)
        uid = next_field(rest, more);
    if (more)
        gid = next_field(rest, more);
    if (more)
        e.gecos = next_field(rest, more);
    if (more)
        e.home = next_field(rest, more);
    if (more)
        e.shell = next_field(rest, more);
    if (more)
        e.extra = parse_field_string(rest); // the rest, ':' included
    if (!uid.empty()) {
        auto v = resolve_uid(uid);
        if (!v) {
            problem("user " + e.user + " has invalid uid '" + std::string(uid) + "'");
            return;
        }
        e.uid = *v;
    }
    if (!gid.empty()) {
        auto v = resolve_gid(gid);
        if (!v) {
            problem("user " + e.user + " has invalid gid '" + std::string(gid) + "'");
            return;
        }
        e.gid = *v;
    }
    if (out.entries.size() >= 0xffffffffu) {
        problem("too many users");
        return;
    }
    auto [it, inserted] = out.index.emplace(e.user, static_cast<std::uint32_t>(out.entries.size()));
    if (!inserted) {
        problem("user " + e.user + " exists more than once (the first line is used)");
        return;
    }
    out.entries.push_back(std::move(e));
}

} // namespace

std::optional<std::string> resolve_uid(std::string_view field) {
    if (auto v = numeric_id(field))
        return v;
    if (all_digits(field) || field.empty() || field.size() > 256)
        return std::nullopt;
    std::string name(field);
    struct passwd pw, *res = nullptr;
    std::vector<char> buf(16384);
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr)
        return std::nullopt;
    return std::to_string(pw.pw_uid);
}

std::optional<std::string> resolve_gid(std::string_view field) {
    if (auto v = numeric_id(field))
        return v;
    if (all_digits(field) || field.empty() || field.size() > 256)
        return std::nullopt;
    std::string name(field);
    struct group gr, *res = nullptr;
    std::vector<char> buf(65536);
    if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || res == nullptr)
        return std::nullopt;
    return std::to_string(gr.gr_gid);
}

Parsed parse(std::string_view content) {
    Parsed out;
    // A typical line is 60-100 bytes: reserve so a 100,000-user file does not
    // rehash a dozen times.
    out.index.reserve(content.size() / 64 + 16);
    std::size_t lineno = 0, pos = 0;
    while (pos < content.size()) {
        ++lineno;
        auto nl = content.find('\n', pos);
        std::string_view line =
            content.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? content.size() : nl + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1); // files edited on Windows
        std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        parse_line(line, lineno, out);
    }
    return out;
}

} // namespace mailstore::auth::passwd_file
