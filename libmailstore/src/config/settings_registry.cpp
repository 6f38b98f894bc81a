// The settings registry: one table assembled from the per-topic tables, with
// lookups by (name, scope).
#include "config/settings_tables.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mailstore::config {
namespace {

struct Registry {
    std::vector<SettingInfo> settings;
    std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> index;
    std::vector<bool> from_dovecot_list; // parallel to settings

    Registry() {
        auto dovecot = dovecot_unimplemented_settings();
        for (auto table : {core_settings(), auth_settings(), pop3_settings(), delivery_settings(), section_settings(), dovecot}) {
            for (const auto& info : table) {
                auto key = std::make_pair(std::string(info.name), std::string(info.scope));
                // The first table wins, so a setting Loft implements is never
                // shadowed by its entry in the Dovecot list.
                if (index.emplace(key, settings.size()).second) {
                    settings.push_back(info);
                    // The pop3/delivery tables hold Dovecot rows too until
                    // each is implemented: their types are Dovecot's
                    // approximations as well.
                    bool dovecot_row = table.data() == dovecot.data() ||
                                       ((table.data() == pop3_settings().data() ||
                                         table.data() == delivery_settings().data()) &&
                                        !info.implemented);
                    from_dovecot_list.push_back(dovecot_row);
                }
            }
        }
    }
};

const Registry& registry() {
    static const Registry instance;
    return instance;
}

} // namespace

std::span<const SettingInfo> all_settings() { return registry().settings; }

const SettingInfo* find_setting(std::string_view name, std::string_view scope) {
    const auto& reg = registry();
    auto it = reg.index.find(std::make_pair(std::string(name), std::string(scope)));
    if (it == reg.index.end()) {
        return nullptr;
    }
    return &reg.settings[it->second];
}

bool value_checked_when_unimplemented(const SettingInfo& info) {
    const auto& reg = registry();
    const SettingInfo* first = reg.settings.data();
    std::less<const SettingInfo*> before;
    if (before(&info, first) || !before(&info, first + reg.settings.size())) {
        return true;
    }
    return !reg.from_dovecot_list[static_cast<std::size_t>(&info - first)];
}

} // namespace mailstore::config
