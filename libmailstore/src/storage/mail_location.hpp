// mail_location syntax (Dovecot's): `DRIVER:ROOT[:KEY=VALUE]*`, e.g.
// `maildir:~/Maildir:INDEX=/var/index/%u:LAYOUT=fs`. A ':' inside a value is
// written "::". Variables (%u, %h, ...) are expanded by the caller; `~` at
// the start of a path is the home directory and is expanded here.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <string>
#include <string_view>

namespace mailstore::storage {

enum class MaildirLayout { maildirplusplus, fs };

struct MailLocation {
    std::string driver;        // "maildir" (lower-cased)
    std::string root;          // absolute path
    std::string index_dir;     // INDEX=; "" = inside the mail dirs; "MEMORY" = none on disk
    std::string control_dir;   // CONTROL=; "" = inside the mail dirs
    std::string inbox_dir;     // INBOX=; "" = the root (Maildir) 
    std::string volatile_dir;  // VOLATILEDIR=
    std::string subscriptions_file = "subscriptions"; // SUBSCRIPTIONS=
    std::string dirname;       // DIRNAME= (fs layout: folder dir name prefix)
    MaildirLayout layout = MaildirLayout::maildirplusplus; // LAYOUT=maildir++|fs
    bool utf8 = false;         // UTF-8: folder names on disk in UTF-8, not modified UTF-7
    bool no_noselect = false;  // NO-NOSELECT
};

// Parses an already %-expanded location. `home` replaces a leading "~".
// invalid_argument names the problem ("mail_location: unknown driver
// 'mdbox'", "...: relative path", "unknown parameter FOO").
MAILSTORE_INTERNAL_API Result<MailLocation> parse_mail_location(std::string_view text, std::string_view home);

} // namespace mailstore::storage
