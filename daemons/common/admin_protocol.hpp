// The admin socket's framing (docs/admin-socket.md): one request or response
// line per record, fields separated by TAB, and TAB, LF, CR and backslash
// inside a field escaped as \t \n \r \\.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loft::admin {

constexpr std::string_view kHandshake = "VERSION\tloft-admin\t1\t0";

std::string escape(std::string_view field);
std::string unescape(std::string_view field);
// Join escaped fields with TAB (no line end).
std::string join(const std::vector<std::string>& fields);
// Split a line (without its LF) into unescaped fields.
std::vector<std::string> split(std::string_view line);

} // namespace loft::admin
