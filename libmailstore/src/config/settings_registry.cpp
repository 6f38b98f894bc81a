// The settings registry: one table assembled from the per-topic tables, with
// lookups by (name, scope).
#include "config/settings_tables.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mailstore::config {
namespace {

struct Registry {
    std::vector<SettingInfo> settings;
    std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> index;

    Registry() {
        for (auto table : {core_settings(), section_settings(), dovecot_unimplemented_settings()}) {
            for (const auto& info : table) {
                auto key = std::make_pair(std::string(info.name), std::string(info.scope));
                // The first table wins, so a setting Loft implements is never
                // shadowed by its entry in the Dovecot list.
                if (index.emplace(key, settings.size()).second) {
                    settings.push_back(info);
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

} // namespace mailstore::config
