// Config and Section: loading, and lookups that apply override blocks and
// fall back to the registry's defaults.
#include "config/config_data.hpp"
#include "config/parser.hpp"
#include "config/values.hpp"

#include <cassert>
#include <limits.h>
#include <stdlib.h>

namespace mailstore::config {

// ---------------------------------------------------------------------------
// SectionData

const Entry* SectionData::find(std::string_view key) const {
    auto it = entry_index_.find(key);
    return it == entry_index_.end() ? nullptr : &entries[it->second];
}

void SectionData::set(Entry entry) {
    auto it = entry_index_.find(entry.key);
    if (it != entry_index_.end()) {
        entries[it->second] = std::move(entry);
        return;
    }
    entry_index_.emplace(entry.key, entries.size());
    entries.push_back(std::move(entry));
}

SectionData* SectionData::find_child(std::string_view type, std::string_view name) const {
    auto it = child_index_.find(std::make_pair(std::string(type), std::string(name)));
    return it == child_index_.end() ? nullptr : it->second;
}

void SectionData::add_child(std::shared_ptr<SectionData> child) {
    // The first block of a type and name is the one later ones continue.
    child_index_.emplace(std::make_pair(child->type, child->name), child.get());
    children.push_back(std::move(child));
}

namespace {

// Registry default of `key` in a block of `type` ("" for global settings;
// override blocks hold global settings too).
std::string_view default_for(std::string_view key, std::string_view type) {
    std::string_view scope = is_filter_section(type) ? std::string_view{} : type;
    if (const SettingInfo* info = find_setting(key, scope)) {
        return info->default_value;
    }
    return {};
}

template <typename T, typename Parse>
T parse_or_default(const std::string& value, std::string_view fallback, Parse parse, T zero) {
    if (auto v = parse(value)) {
        return *v;
    }
    if (auto v = parse(fallback)) {
        return *v;
    }
    return zero;
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return "";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

// ---------------------------------------------------------------------------
// Section

Section::Section(std::shared_ptr<const SectionData> data) : data_(std::move(data)) {}

const std::string& Section::type() const { return data_->type; }
const std::string& Section::name() const { return data_->name; }
const Location& Section::location() const { return data_->where; }

std::optional<std::string> Section::raw(std::string_view key) const {
    if (const Entry* e = data_->find(key)) {
        return e->value;
    }
    return std::nullopt;
}

std::string Section::get(std::string_view key) const {
    if (const Entry* e = data_->find(key)) {
        return e->value;
    }
    return std::string(default_for(key, data_->type));
}

bool Section::get_bool(std::string_view key) const {
    return parse_or_default(get(key), default_for(key, data_->type), parse_bool, false);
}

std::uint64_t Section::get_uint(std::string_view key) const {
    return parse_or_default<std::uint64_t>(get(key), default_for(key, data_->type), parse_uint, 0);
}

std::uint64_t Section::get_size(std::string_view key) const {
    return parse_or_default<std::uint64_t>(get(key), default_for(key, data_->type), parse_size, 0);
}

std::chrono::milliseconds Section::get_time(std::string_view key) const {
    return parse_or_default(get(key), default_for(key, data_->type), parse_time,
                            std::chrono::milliseconds(0));
}

std::vector<std::string> Section::get_list(std::string_view key) const {
    return split_list(get(key));
}

std::vector<Section> Section::children(std::string_view type) const {
    std::vector<Section> out;
    for (const auto& child : data_->children) {
        if (type.empty() || child->type == type) {
            out.emplace_back(child);
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Section::entries() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(data_->entries.size());
    for (const auto& e : data_->entries) {
        out.emplace_back(e.key, e.value);
    }
    return out;
}

std::optional<Location> Section::location_of(std::string_view key) const {
    if (const Entry* e = data_->find(key)) {
        return e->where;
    }
    return std::nullopt;
}

std::optional<std::string> Section::source_file(std::string_view key) const {
    if (const Entry* e = data_->find(key); e != nullptr && !e->file_path.empty()) {
        return e->file_path;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------
// Config

Config::Config(std::shared_ptr<const ConfigData> data) : data_(std::move(data)) {}

Result<Config> Config::load_file(const std::string& path) {
    auto text = read_whole_file(path, ParseLimits{}.max_file_size);
    if (!text) {
        return Status::error(Status::Code::not_found,
                             path + ": cannot read config file: " + text.status().message());
    }
    std::string canonical = path;
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) != nullptr) {
        canonical = buf;
    }
    auto data = parse_config(text.value(), path, dir_of(path), canonical);
    if (!data) {
        return data.status();
    }
    data.value()->path = path;
    return Config(std::move(data.value()));
}

Result<Config> Config::load_string(std::string_view text, std::string_view name,
                                   std::string_view base_dir) {
    auto data = parse_config(text, std::string(name), std::string(base_dir), {});
    if (!data) {
        return data.status();
    }
    return Config(std::move(data.value()));
}

Config Config::defaults() {
    auto data = std::make_shared<ConfigData>();
    data->root = std::make_shared<SectionData>();
    return Config(std::move(data));
}

namespace {

const Entry* effective_entry(const ConfigData& data, std::string_view name,
                             const LookupContext& ctx) {
    const Filter* best = nullptr;
    const Entry* best_entry = nullptr;
    for (const auto& f : data.filters) {
        if (!f.matches(ctx)) {
            continue;
        }
        const Entry* e = f.section->find(name);
        if (e == nullptr) {
            continue;
        }
        // Later blocks win ties, like later assignments do.
        if (best == nullptr || compare_specificity(f, *best) >= 0) {
            best = &f;
            best_entry = e;
        }
    }
    if (best_entry != nullptr) {
        return best_entry;
    }
    return data.root->find(name);
}

std::string_view global_default(std::string_view name) {
    const SettingInfo* info = find_setting(name, "");
    assert(info != nullptr && "Config::get of a setting that is not registered as global");
    return info != nullptr ? info->default_value : std::string_view{};
}

} // namespace

std::string Config::get(std::string_view name, const LookupContext& ctx) const {
    if (const Entry* e = effective_entry(*data_, name, ctx)) {
        return e->value;
    }
    return std::string(global_default(name));
}

bool Config::get_bool(std::string_view name, const LookupContext& ctx) const {
    return parse_or_default(get(name, ctx), global_default(name), parse_bool, false);
}

std::uint64_t Config::get_uint(std::string_view name, const LookupContext& ctx) const {
    return parse_or_default<std::uint64_t>(get(name, ctx), global_default(name), parse_uint, 0);
}

std::uint64_t Config::get_size(std::string_view name, const LookupContext& ctx) const {
    return parse_or_default<std::uint64_t>(get(name, ctx), global_default(name), parse_size, 0);
}

std::chrono::milliseconds Config::get_time(std::string_view name, const LookupContext& ctx) const {
    return parse_or_default(get(name, ctx), global_default(name), parse_time,
                            std::chrono::milliseconds(0));
}

std::vector<std::string> Config::get_list(std::string_view name, const LookupContext& ctx) const {
    return split_list(get(name, ctx));
}

bool Config::is_set(std::string_view name, const LookupContext& ctx) const {
    return effective_entry(*data_, name, ctx) != nullptr;
}

std::optional<Location> Config::location_of(std::string_view name, const LookupContext& ctx) const {
    if (const Entry* e = effective_entry(*data_, name, ctx)) {
        return e->where;
    }
    return std::nullopt;
}

std::optional<std::string> Config::source_file(std::string_view name,
                                               const LookupContext& ctx) const {
    if (const Entry* e = effective_entry(*data_, name, ctx); e != nullptr && !e->file_path.empty()) {
        return e->file_path;
    }
    return std::nullopt;
}

Section Config::root() const { return Section(data_->root); }

std::vector<Section> Config::sections(std::string_view type) const {
    return root().children(type);
}

const std::vector<Diagnostic>& Config::warnings() const { return data_->warnings; }

const std::string& Config::path() const { return data_->path; }

} // namespace mailstore::config
