// Maildir file names as Dovecot writes and reads them:
//   <secs>.M<usecs>P<pid>.<host>,S=<psize>,W=<vsize>:2,<flags>
// Other programs' names (Postfix's "1122460858.V301Ic964.linux", or "test")
// are accepted: everything before ':' is free-form and only needs to be unique.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailstore::storage::maildir {

struct MaildirFilename {
    std::string base;                 // before ":2," (the uidlist key and default GUID)
    std::optional<std::uint64_t> psize; // ,S= in the base
    std::optional<std::uint64_t> vsize; // ,W= in the base
    bool has_info = false;            // ":2," present
    MailFlags flags = 0;              // D F R S T
    bool passed = false;              // P (forwarded; no IMAP flag, kept on rename)
    std::string keyword_letters;      // a-z, sorted, unique
    std::string other_info;           // other info letters we keep as they are (upper-case unknowns)
};

// Splits a file name of cur/ or new/. Never fails: a name without ":2," has
// no flags. A ":1," (experimental) info part is kept as is in other_info.
MAILSTORE_INTERNAL_API MaildirFilename parse_filename(std::string_view name);
// The base part of a name (up to ':'), e.g. the uidlist key.
MAILSTORE_INTERNAL_API std::string_view filename_base(std::string_view name);
// Full name for `parsed` with its flags: the info part ":2," + flags in
// ASCII order (upper-case system letters, then keyword letters); no info part
// for a new/ file without flags when `for_new` is true.
MAILSTORE_INTERNAL_API std::string make_filename(const MaildirFilename& parsed, bool for_new = false);
// A new unique base name: "<secs>.M<usecs>P<pid>.<host>,S=<psize>,W=<vsize>"
// (W only when it differs from S). `host` has '/' and ':' replaced as
// Dovecot does ("\057", "\072").
MAILSTORE_INTERNAL_API std::string new_base_name(std::string_view host, std::uint64_t psize, std::uint64_t vsize);

} // namespace mailstore::storage::maildir
