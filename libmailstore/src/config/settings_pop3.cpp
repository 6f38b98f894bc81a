// The pop3_* settings (docs/pop3.md), used by libpop3proto.
// A row's last field says whether Loft acts on the setting: false rows load
// with a one-line warning per use, as the rest of settings_dovecot.cpp.
#include "config/settings_tables.hpp"

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr SettingInfo kSettings[] = {
    {"pop3_client_workarounds", T::list, "", "",
     "Client bug workarounds: outlook-no-nuls (send NUL bytes as 0x80), oe-ns-eoh (add a missing "
     "end-of-header line).",
     "", true},
    {"pop3_delete_type", T::string, "default", "",
     "What QUIT does with DELEted messages: default (set pop3_deleted_flag if set, else expunge), expunge "
     "or flag (needs pop3_deleted_flag).",
     "", true},
    {"pop3_deleted_flag", T::string, "", "",
     "Keyword that QUIT sets on DELEted messages instead of expunging them; POP3 sessions no longer list "
     "them, IMAP still sees them.",
     "", true},
    {"pop3_enable_last", T::boolean, "no", "", "Accept the obsolete LAST command (RFC 1460).", "", true},
    {"pop3_fast_size_lookups", T::boolean, "no", "",
     "LIST/STAT say a Maildir file's physical size (S=) when its name has no CRLF size (W=), as Dovecot does.",
     "", true},
    {"pop3_lock_session", T::boolean, "no", "",
     "Allow one POP3 session per mailbox at a time; another waits about 10 s, then gets -ERR [IN-USE].", "",
     true},
    {"pop3_logout_format", T::string, "top=%t/%p, retr=%r/%b, del=%d/%m, size=%s", "",
     "The counters logged at logout: %i/%o bytes in/out, %t/%p TOP count/bytes, %r/%b RETR count/bytes, "
     "%d messages deleted, %m messages and %s bytes at login, %u UIDL count/hash before -> after QUIT.",
     "", true},
    {"pop3_no_flag_updates", T::boolean, "no", "", "RETR does not set \\Seen.", "", true},
    {"pop3_reuse_xuidl", T::boolean, "no", "", "Use a message's X-UIDL: header as its UIDL when it has one.",
     "", true},
    {"pop3_save_uidl", T::boolean, "no", "",
     "Store each computed UIDL with the message, so a later pop3_uidl_format change keeps the UIDLs clients "
     "know.",
     "", true},
    {"pop3_uidl_duplicates", T::enumeration, "allow", "allow|rename",
     "Duplicate UIDLs in one mailbox: allow them, or rename the later ones UIDL-2, UIDL-3, ...", "", true},
    {"pop3_uidl_format", T::string, "%08Xu%08Xv", "",
     "UIDL template: %u UID, %v UIDVALIDITY, %m header MD5, %f Maildir file name, %g GUID; %08Xu is "
     "zero-padded hex. A UIDL preserved by a migration wins.",
     "", true},
};

} // namespace

std::span<const SettingInfo> pop3_settings() { return kSettings; }

} // namespace mailstore::config
