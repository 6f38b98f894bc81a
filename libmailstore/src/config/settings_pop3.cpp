// The pop3_* settings (docs/pop3.md), used by libpop3proto.
// A row's last field says whether Loft acts on the setting: false rows load
// with a one-line warning per use, as the rest of settings_dovecot.cpp.
#include "config/settings_tables.hpp"

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr std::string_view kDoc = "Dovecot setting, accepted but not implemented by Loft yet.";

constexpr SettingInfo kSettings[] = {
    {"pop3_client_workarounds", T::string, "", "", kDoc, "", false},
    {"pop3_delete_type", T::string, "default", "", kDoc, "", false},
    {"pop3_deleted_flag", T::string, "", "", kDoc, "", false},
    {"pop3_enable_last", T::boolean, "no", "", kDoc, "", false},
    {"pop3_fast_size_lookups", T::boolean, "no", "", kDoc, "", false},
    {"pop3_lock_session", T::boolean, "no", "", kDoc, "", false},
    {"pop3_logout_format", T::string, "top=%t/%p, retr=%r/%b, del=%d/%m, size=%s", "", kDoc, "", false},
    {"pop3_no_flag_updates", T::boolean, "no", "", kDoc, "", false},
    {"pop3_reuse_xuidl", T::boolean, "no", "", kDoc, "", false},
    {"pop3_save_uidl", T::boolean, "no", "", kDoc, "", false},
    {"pop3_uidl_duplicates", T::string, "allow", "", kDoc, "", false},
    {"pop3_uidl_format", T::string, "%08Xu%08Xv", "", kDoc, "", false},
};

} // namespace

std::span<const SettingInfo> pop3_settings() { return kSettings; }

} // namespace mailstore::config
