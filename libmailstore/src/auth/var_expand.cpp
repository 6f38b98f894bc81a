// Dovecot 2.3 %variable expansion (see var_expand.hpp for the syntax). The
// modifier semantics were checked against Debian's Dovecot 2.3.19 with a
// static userdb template (`doveadm user`), not taken from its source.
#include "auth/crypto.hpp"

#include <mailstore/var_expand.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace mailstore {
namespace {

constexpr std::size_t max_output = 64 * 1024;
constexpr std::size_t max_modifiers = 8;
constexpr std::size_t max_long_name = 1024;
constexpr std::string_view modifier_chars = "LUEXRTHMND";

std::string to_hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(v));
    return buf;
}

// Dovecot's %H: the classic ELF/PJW string hash over the bytes.
std::uint32_t elf_hash(std::string_view s) {
    std::uint32_t h = 0;
    for (unsigned char c : s) {
        h = (h << 4) + c;
        std::uint32_t g = h & 0xf0000000u;
        if (g != 0) {
            h ^= g >> 24;
            h ^= g;
        }
    }
    return h;
}

// Dovecot's %N: bytes 4..7 of the MD5, big-endian.
std::uint32_t md5_hash(std::string_view s) {
    std::string d = auth::crypto::md5(s);
    std::uint32_t v = 0;
    for (int i = 4; i < 8; ++i)
        v = (v << 8) | static_cast<unsigned char>(d[static_cast<std::size_t>(i)]);
    return v;
}

// %X: a decimal number in hex; anything else (Dovecot: "12ab") is 0.
std::string decimal_to_hex(std::string_view s) {
    if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return "0";
    unsigned long long v = 0;
    for (char c : s)
        v = v * 10 + static_cast<unsigned>(c - '0');
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", v);
    return buf;
}

struct Spec {
    long offset = 0;
    long width = 0; // 0: to the end
    bool has_width = false;
    char modifiers[max_modifiers] = {};
    std::size_t modifier_count = 0;
};

std::string substring(const std::string& v, long offset, long width, bool has_width) {
    const long len = static_cast<long>(v.size());
    long start = offset < 0 ? std::max(0L, len + offset) : std::min(offset, len);
    long end = len;
    if (has_width && width > 0)
        end = std::min(len, start + width);
    else if (has_width && width < 0)
        end = std::max(start, len + width);
    return v.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start));
}

// Parses a signed decimal with a bound; returns false when no digit.
bool parse_number(std::string_view text, std::size_t& i, long& out) {
    std::size_t start = i;
    long v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (v < 1000000)
            v = v * 10 + (text[i] - '0');
        ++i;
    }
    out = v;
    return i > start;
}

} // namespace

Result<std::string> expand_variables(std::string_view text, std::span<const ExpandVariable> variables,
                                     const ExpandOptions& options) {
    std::string out;
    auto fail = [&](std::string why) -> Status { return Status::invalid(why + " in \"" + std::string(text) + "\""); };
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t pct = text.find('%', i);
        if (pct == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        out.append(text.substr(i, pct - i));
        i = pct + 1;
        if (i >= text.size())
            return fail("'%' at the end");
        if (text[i] == '%') {
            out.push_back('%');
            ++i;
            continue;
        }
        // [offset.length]: Dovecot reads the numbers before the modifiers.
        Spec spec;
        int sign = 1;
        if (text[i] == '-') {
            sign = -1;
            ++i;
        }
        long n = 0;
        bool have_n = parse_number(text, i, n);
        if (i < text.size() && text[i] == '.') {
            ++i;
            spec.offset = sign * n;
            int wsign = 1;
            if (i < text.size() && text[i] == '-') {
                wsign = -1;
                ++i;
            }
            long w = 0;
            if (parse_number(text, i, w)) {
                spec.width = wsign * w;
                spec.has_width = true;
            }
        } else if (have_n) {
            spec.width = n; // the sign is ignored here, as Dovecot does
            spec.has_width = n != 0;
        } else if (sign < 0) {
            return fail("'%-' without a number");
        }
        while (i < text.size() && modifier_chars.find(text[i]) != std::string_view::npos) {
            if (spec.modifier_count == max_modifiers)
                return fail("too many modifiers");
            spec.modifiers[spec.modifier_count++] = text[i++];
        }
        if (i >= text.size())
            return fail("'%' at the end");
        // The key: one character or {long_name}.
        std::string_view name;
        char key = '\0';
        std::string shown;
        if (text[i] == '{') {
            std::size_t close = text.find('}', i + 1);
            if (close == std::string_view::npos)
                return fail("unterminated \"%{\"");
            name = text.substr(i + 1, close - i - 1);
            if (name.size() > max_long_name)
                return fail("variable name too long");
            shown = "%{" + std::string(name) + "}";
            i = close + 1;
        } else {
            key = text[i++];
            shown = std::string("%") + key;
        }
        std::optional<std::string> value;
        for (const auto& v : variables) {
            if ((key != '\0' && v.key == key) || (key == '\0' && !v.long_name.empty() && v.long_name == name)) {
                value = std::string(v.value);
                break;
            }
        }
        if (!value && key == '\0' && options.resolve)
            value = options.resolve(name);
        if (!value)
            return fail("unknown variable " + shown);

        std::string v = std::move(*value);
        bool escape = options.escape_all;
        for (std::size_t m = 0; m < spec.modifier_count; ++m) {
            switch (spec.modifiers[m]) {
            case 'L':
                for (auto& c : v)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                break;
            case 'U':
                for (auto& c : v)
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                break;
            case 'E':
                escape = true;
                break;
            case 'X':
                v = decimal_to_hex(v);
                break;
            case 'R':
                std::reverse(v.begin(), v.end());
                break;
            case 'T':
                while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
                    v.pop_back();
                break;
            case 'H':
            case 'N': {
                // The length is the modulus here, not a cut (%256Hu: 0..ff).
                std::uint32_t h = spec.modifiers[m] == 'H' ? elf_hash(v) : md5_hash(v);
                if (spec.has_width && spec.width > 0)
                    h %= static_cast<std::uint32_t>(spec.width);
                spec.has_width = false;
                spec.width = 0;
                v = to_hex(h);
                break;
            }
            case 'M':
                v = auth::crypto::hex(auth::crypto::md5(v));
                break;
            case 'D': {
                std::string d;
                for (char c : v) {
                    if (c == '.')
                        d += ",dc=";
                    else
                        d.push_back(c);
                    if (d.size() > max_output)
                        return fail("expansion longer than 65536 bytes");
                }
                v = std::move(d);
                break;
            }
            default:
                break;
            }
        }
        if (spec.has_width || spec.offset != 0)
            v = substring(v, spec.offset, spec.width, spec.has_width);
        if (escape && options.escape)
            v = options.escape(v);
        if (out.size() + v.size() > max_output)
            return fail("expansion longer than 65536 bytes");
        out += v;
    }
    if (out.size() > max_output)
        return Status::invalid("expansion longer than 65536 bytes");
    return out;
}

bool has_variables(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%')
            continue;
        if (i + 1 < text.size() && text[i + 1] == '%') {
            ++i;
            continue;
        }
        return true;
    }
    return false;
}

} // namespace mailstore
