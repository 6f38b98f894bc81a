// The pieces the settings registry is assembled from. Each table lives in its
// own file so that Loft's own settings, the section-scope settings and the
// list of Dovecot settings Loft accepts but ignores stay easy to review.
#pragma once

#include <mailstore/config.hpp>

#include <span>
#include <string_view>

namespace mailstore::config {

// Global settings Loft acts on (scope "").
std::span<const SettingInfo> core_settings();
// The auth_* settings and the plaintext policy (settings_auth.cpp).
std::span<const SettingInfo> auth_settings();
// The pop3_* settings (settings_pop3.cpp).
std::span<const SettingInfo> pop3_settings();
// LMTP, LDA and the delivery pipeline (settings_delivery.cpp).
std::span<const SettingInfo> delivery_settings();
// Settings of service, listener, namespace, mailbox, passdb and userdb blocks.
std::span<const SettingInfo> section_settings();
// Dovecot 2.3 global settings that Loft accepts with a warning.
std::span<const SettingInfo> dovecot_unimplemented_settings();

// Whether a value of unimplemented setting `info` (a registry entry) is
// still checked against its type: true for Loft's own rows, false for the
// Dovecot list, whose types only approximate Dovecot's parsing, so that a
// real dovecot.conf never fails on a setting Loft ignores anyway.
bool value_checked_when_unimplemented(const SettingInfo& info);

// A kind of `type [name] { }` block.
struct SectionTypeInfo {
    std::string_view type;
    // Where the block may appear: space-separated parent types, where "@global"
    // stands for the top level and every override block.
    std::string_view parents;
    bool name_required;
    // Keys inside are not checked against the registry (plugin { }, dict { }).
    bool free_form;
    // false: a Dovecot block Loft does not act on; it loads with a warning.
    bool implemented;
    std::string_view doc;
};

std::span<const SectionTypeInfo> all_section_types();
const SectionTypeInfo* find_section_type(std::string_view type);
// True when a block of `type` may appear directly inside a block of `parent`
// ("" for the top level).
bool section_allowed_in(const SectionTypeInfo& info, std::string_view parent);

} // namespace mailstore::config
