// pop3_uidl_format expansion and the UIDL helpers (uidl.hpp).
#include "uidl.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unordered_map>

namespace pop3proto::detail {

namespace {

std::optional<std::string> value_of(std::string_view key, const UidlValues& v) {
    if (key == "v" || key == "uidvalidity")
        return std::to_string(v.uidvalidity);
    if (key == "u" || key == "uid")
        return std::to_string(v.uid);
    if (key == "m" || key == "md5")
        return v.header_md5;
    if (key == "f" || key == "filename")
        return v.filename;
    if (key == "g" || key == "guid")
        return v.guid;
    return std::nullopt;
}

std::string to_hex(const std::string& decimal) {
    if (decimal.empty() || decimal.size() > 19 ||
        !std::all_of(decimal.begin(), decimal.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return "0";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", std::stoull(decimal));
    return buf;
}

struct Parsed {
    std::size_t next = 0;    // index after the variable
    std::string key;         // one letter or the long name
    std::string modifiers;
    bool zero_pad = false;
    std::size_t width = 0;   // 0: none
    bool ok = false;
};

// Reads the variable after the '%' at `i`.
Parsed parse_variable(std::string_view f, std::size_t i) {
    Parsed p;
    ++i;
    if (i < f.size() && f[i] == '0') {
        p.zero_pad = true;
        ++i;
    }
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])) && p.width < 1000)
        p.width = p.width * 10 + static_cast<std::size_t>(f[i++] - '0');
    while (i < f.size() && (f[i] == 'X' || f[i] == 'L' || f[i] == 'U') && p.modifiers.size() < 8)
        p.modifiers += f[i++];
    if (i >= f.size())
        return p;
    if (f[i] == '{') {
        auto close = f.find('}', i);
        if (close == std::string_view::npos)
            return p;
        p.key = std::string(f.substr(i + 1, close - i - 1));
        p.next = close + 1;
    } else {
        p.key = std::string(1, f[i]);
        p.next = i + 1;
    }
    p.ok = true;
    return p;
}

} // namespace

mailstore::Result<std::string> expand_uidl(std::string_view format, const UidlValues& values) {
    std::string out;
    for (std::size_t i = 0; i < format.size();) {
        if (format[i] != '%') {
            out += format[i++];
            continue;
        }
        if (i + 1 < format.size() && format[i + 1] == '%') {
            out += '%';
            i += 2;
            continue;
        }
        Parsed p = parse_variable(format, i);
        if (!p.ok)
            return mailstore::Status::invalid("pop3_uidl_format: bad variable at the end of " + std::string(format));
        auto v = value_of(p.key, values);
        if (!v)
            return mailstore::Status::invalid("pop3_uidl_format: unknown variable %" + p.key);
        std::string value = std::move(*v);
        for (char m : p.modifiers) {
            if (m == 'X')
                value = to_hex(value);
            for (auto& c : value)
                c = static_cast<char>(m == 'U' ? std::toupper(static_cast<unsigned char>(c))
                                     : m == 'L' ? std::tolower(static_cast<unsigned char>(c))
                                                : c);
        }
        // Dovecot: "%08Xu" pads with zeros to 8; a width without the 0
        // keeps only that many characters.
        if (p.zero_pad && value.size() < p.width)
            value.insert(0, p.width - value.size(), '0');
        else if (!p.zero_pad && p.width > 0 && value.size() > p.width)
            value.resize(p.width);
        out += value;
        i = p.next;
        if (out.size() > 4096)
            return mailstore::Status::invalid("pop3_uidl_format: UIDL too long");
    }
    return out;
}

bool uidl_format_uses(std::string_view format, char key) {
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%')
            continue;
        if (i + 1 < format.size() && format[i + 1] == '%') {
            ++i;
            continue;
        }
        Parsed p = parse_variable(format, i);
        if (!p.ok)
            return false;
        if (p.key.size() == 1 ? p.key[0] == key
                              : (key == 'm' && p.key == "md5") || (key == 'f' && p.key == "filename") ||
                                    (key == 'g' && p.key == "guid"))
            return true;
        i = p.next - 1;
    }
    return false;
}

std::optional<std::string> find_xuidl(std::string_view header) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        auto nl = header.find('\n', pos);
        std::string_view line = header.substr(pos, nl == std::string_view::npos ? header.size() - pos : nl - pos);
        if (line.size() >= 7) {
            std::string name(line.substr(0, 7));
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (name == "x-uidl:") {
                std::string_view v = line.substr(7);
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                    v.remove_prefix(1);
                while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
                    v.remove_suffix(1);
                if (!v.empty())
                    return std::string(v);
            }
        }
        if (nl == std::string_view::npos)
            break;
        pos = nl + 1;
    }
    return std::nullopt;
}

bool valid_uidl(std::string_view uidl) {
    if (uidl.empty() || uidl.size() > 70)
        return false;
    return std::all_of(uidl.begin(), uidl.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

void rename_duplicates(std::vector<std::string>& uidls) {
    std::unordered_map<std::string, unsigned> seen;
    seen.reserve(uidls.size());
    for (auto& u : uidls) {
        unsigned& n = seen[u];
        if (++n > 1)
            u += "-" + std::to_string(n);
    }
}

} // namespace pop3proto::detail
