// POP3 UIDLs (RFC 1939 §7): pop3_uidl_format with Dovecot's variables, the
// UIDL preserved by a migration (the dovecot-uidlist P field) first, then a
// UIDL saved earlier (pop3_save_uidl), then an X-UIDL: header
// (pop3_reuse_xuidl), then the format. pop3_uidl_duplicates = rename makes
// repeated UIDLs unique.
#pragma once

#include <mailstore/status.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pop3proto::detail {

// What the format's variables stand for, for one message.
struct UidlValues {
    std::uint32_t uidvalidity = 0; // %v
    std::uint32_t uid = 0;         // %u
    std::string header_md5;        // %m (hex MD5 of the header; computed only when the format has %m)
    std::string filename;          // %f (Maildir base name)
    std::string guid;              // %g
};

// Expands a pop3_uidl_format: '%' [0-padded or truncating width] [modifiers
// X (hex), L, U] key, '%%' and %{uidvalidity}/%{uid}/%{md5}/%{filename}/
// %{guid}. invalid_argument for an unknown variable or a '%' at the end.
mailstore::Result<std::string> expand_uidl(std::string_view format, const UidlValues& values);

// Which variables the format uses (so the header is read only for %m).
bool uidl_format_uses(std::string_view format, char key);

// The value of the first X-UIDL: header in `header` (trimmed), or nullopt.
std::optional<std::string> find_xuidl(std::string_view header);

// RFC 1939 §7: a UIDL is 1..70 characters in 0x21..0x7E. A value outside
// that (from a header or a migration) cannot go on the wire as it is.
bool valid_uidl(std::string_view uidl);

// pop3_uidl_duplicates = rename: the second and later copies of a UIDL get
// "-2", "-3", ... appended (Dovecot's scheme).
void rename_duplicates(std::vector<std::string>& uidls);

} // namespace pop3proto::detail
