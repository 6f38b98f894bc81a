// Header fields written by Loft itself (Return-Path, Delivered-To,
// Received): folded per RFC 5322 §2.2.3 and placed in front of the message
// in its own line-ending style, so the stored bytes after them are exactly
// the bytes received.
#include <mailstore/mime/header_writer.hpp>

#include <cstring>

namespace mailstore::mime {

namespace {

constexpr std::size_t kFoldAt = 78;  // RFC 5322 §2.1.1 SHOULD limit

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

} // namespace

std::string_view detect_line_ending(std::string_view message)
{
    const void* p = std::memchr(message.data(), '\n', message.size());
    if (p == nullptr)
        return "\r\n";
    std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(p) - message.data());
    return lf > 0 && message[lf - 1] == '\r' ? std::string_view("\r\n") : std::string_view("\n");
}

bool is_field_name(std::string_view name)
{
    if (name.empty() || name.size() > kMaxFieldName)
        return false;
    for (char c : name) {
        // ftext = %d33-57 / %d59-126 (RFC 5322 §3.6.8)
        if (c < 33 || c > 126 || c == ':')
            return false;
    }
    return true;
}

std::string format_field(std::string_view name, std::string_view value, std::string_view eol)
{
    if (!is_field_name(name))
        return {};
    // One logical line: a CR or LF in the value would end the field early
    // and let the rest pose as another header field.
    std::string line;
    line.reserve(name.size() + value.size() + 2);
    line.append(name);
    line += ": ";
    for (char c : value) {
        if (c == '\0')
            continue;
        line.push_back(c == '\r' || c == '\n' ? ' ' : c);
    }

    // Greedy folding: break before the last whitespace that keeps the line
    // within the limit; a word longer than the limit stays whole (folding
    // may only happen at whitespace). Whitespace stays in the value, which
    // is what unfolding gives back (§2.2.3).
    std::string out;
    out.reserve(line.size() + line.size() / kFoldAt * eol.size() + eol.size());
    std::size_t start = 0;                 // start of the current output line in `line`
    const std::size_t body_from = name.size() + 2;  // never fold inside "Name: "
    while (line.size() - start > kFoldAt) {
        std::size_t limit = start + kFoldAt;
        std::size_t brk = std::string::npos;
        // Last whitespace before `limit` that is followed by non-whitespace.
        for (std::size_t i = limit; i > start && i > body_from; --i) {
            if (is_wsp(line[i]) && i + 1 < line.size() && !is_wsp(line[i + 1]) && i > start) {
                brk = i;
                break;
            }
        }
        if (brk == std::string::npos) {
            // No break before the limit: take the first one after it.
            for (std::size_t i = limit + 1; i < line.size(); ++i) {
                if (is_wsp(line[i]) && i + 1 < line.size() && !is_wsp(line[i + 1]) && i > body_from) {
                    brk = i;
                    break;
                }
            }
        }
        if (brk == std::string::npos || brk <= start)
            break;
        // The line before the break must not be only whitespace.
        out.append(line, start, brk - start);
        out.append(eol);
        start = brk;
    }
    out.append(line, start, std::string::npos);
    out.append(eol);
    return out;
}

std::string prepend_fields(std::string_view message,
                           const std::vector<std::pair<std::string, std::string>>& fields)
{
    std::string_view eol = detect_line_ending(message);
    std::string out;
    for (const auto& [name, value] : fields)
        out += format_field(name, value, eol);
    // A first line starting with a blank continues the field before it.
    if (!out.empty() && !message.empty() && is_wsp(message.front())) {
        out += "X-Loft-Continued:";
        out += eol;
    }
    return out;
}

} // namespace mailstore::mime
