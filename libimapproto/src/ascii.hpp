// ASCII case folding for IMAP's case-insensitive atoms (command options,
// FETCH items, STATUS items, "INBOX"): locale-independent, bytes >= 0x80
// compared as they are.
#pragma once

#include <string>
#include <string_view>

namespace imapproto::detail {

inline char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline bool ascii_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_upper(a[i]) != ascii_upper(b[i]))
            return false;
    return true;
}

} // namespace imapproto::detail
