// Stub: replaced by the implementation.
#include <imapproto/string_writer.hpp>

namespace imapproto {
void write_string(std::string& out, std::string_view s) { out += '"'; out.append(s); out += '"'; }
void write_nstring(std::string& out, const std::optional<std::string>& s) { if (s) write_string(out, *s); else out += "NIL"; }
void write_astring(std::string& out, std::string_view s) { write_string(out, s); }
} // namespace imapproto
