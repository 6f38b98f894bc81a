#include "dump.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <system_error>
#include <vector>

namespace loftconf {
namespace cfg = mailstore::config;

namespace {

constexpr std::string_view kHidden = "# hidden, use -P to show it";

// Secrets are not printed by default, so `loftconf -n` output can be pasted
// into a bug report.
bool is_secret(std::string_view name) { return name == "ssl_key" || name == "ssl_key_password"; }

std::string format_name(std::string_view name) { return cfg::format_section_name(name); }

std::string line(std::string_view key, std::string_view value) {
    std::string out(key);
    out += " = ";
    out += value;
    // No trailing blank after "key =" for an empty value, like doveconf.
    if (value.empty()) {
        out.pop_back();
    }
    return out + "\n";
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

// `<path` for a value read from `path` (as written in the file at `where`).
// A relative path was read relative to that file's directory; print it
// absolute so that the output, saved anywhere, reads the same file.
std::string file_value(const std::string& path, const std::optional<cfg::Location>& where) {
    namespace fs = std::filesystem;
    if (path.empty() || path.front() == '/' || !where) {
        return "<" + format_value(path);
    }
    std::error_code ec;
    fs::path joined = fs::path(where->file).parent_path() / path;
    fs::path full = fs::absolute(joined, ec);
    if (ec) {
        return "<" + format_value(path);
    }
    // conf.d/../tls/cert.pem reads as tls/cert.pem unless a symlink says otherwise.
    fs::path tidy = full.lexically_normal();
    std::string shown = same_file(tidy.string(), full.string()) ? tidy.string() : full.string();
    return "<" + format_value(shown);
}

std::string entry_value(const cfg::Section& section, const std::string& key,
                        const std::string& value, const DumpOptions& options,
                        bool global_scope) {
    if (auto file = section.source_file(key)) {
        return file_value(*file, section.location_of(key));
    }
    if (global_scope && is_secret(key) && !value.empty() && !options.show_secrets) {
        return std::string(kHidden);
    }
    return format_value(value);
}

// The scope registry lookups use for keys of a block of `type`.
std::string_view scope_of(std::string_view type) {
    if (type == "protocol" || type == "local" || type == "remote" || type == "local_name") {
        return {};
    }
    return type;
}

bool equal_values(const cfg::SettingInfo& info, std::string_view a, std::string_view b) {
    using T = cfg::SettingType;
    switch (info.type) {
    case T::boolean:
        return cfg::parse_bool(a) == cfg::parse_bool(b);
    case T::uint:
        return cfg::parse_uint(a) == cfg::parse_uint(b);
    case T::size:
        return cfg::parse_size(a) == cfg::parse_size(b);
    case T::time:
        return cfg::parse_time(a) == cfg::parse_time(b);
    default:
        return a == b;
    }
}

// A block -n can leave out without changing the configuration: it sets
// nothing, and its mere presence means nothing either: an override or plugin
// block, or an inet_listener (its port defaults to 0: disabled). Empty
// unix_listener, service, namespace, passdb... blocks stay: they exist.
bool droppable_block(const cfg::Section& section) {
    std::string_view type = section.type();
    bool presence_means_nothing = scope_of(type).empty() || type == "plugin" ||
                                  type == "inet_listener";
    if (!presence_means_nothing || !section.entries().empty()) {
        return false;
    }
    for (const auto& child : section.children()) {
        if (!droppable_block(child)) {
            return false;
        }
    }
    return true;
}

void dump_section(std::string& out, const cfg::Section& section, const DumpOptions& options,
                  int depth) {
    // -n leaves out blocks that set nothing, like doveconf -n.
    if ((options.mode == DumpMode::non_default || options.mode == DumpMode::explicit_set) &&
        droppable_block(section)) {
        return;
    }
    std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    out += indent + section.type();
    if (!section.name().empty()) {
        out += " " + format_name(section.name());
    }
    out += " {\n";
    std::string inner = indent + "  ";
    std::string_view scope = scope_of(section.type());
    bool global_scope = scope.empty();
    auto entries = section.entries();
    if (options.mode == DumpMode::all && !global_scope) {
        // Every registered key of this block type, with defaults filled in.
        std::set<std::string> written;
        for (const auto& [key, value] : entries) {
            written.insert(key);
        }
        std::vector<std::pair<std::string, std::string>> all;
        for (const auto& info : cfg::all_settings()) {
            if (info.scope == scope && !written.count(std::string(info.name))) {
                all.emplace_back(std::string(info.name), std::string(info.default_value));
            }
        }
        all.insert(all.end(), entries.begin(), entries.end());
        std::sort(all.begin(), all.end());
        entries = std::move(all);
    }
    for (const auto& [key, value] : entries) {
        out += inner + line(key, entry_value(section, key, value, options, global_scope));
    }
    for (const auto& child : section.children()) {
        dump_section(out, child, options, depth + 1);
    }
    out += indent + "}\n";
}

} // namespace

std::string format_value(std::string_view value) { return cfg::format_value(value); }

std::string printable_global(const cfg::Config& config, std::string_view name,
                             const DumpOptions& options) {
    if (auto file = config.source_file(name, options.context)) {
        return file_value(*file, config.location_of(name, options.context));
    }
    std::string value = config.get(name, options.context);
    if (is_secret(name) && !value.empty() && !options.show_secrets) {
        return std::string(kHidden);
    }
    return format_value(value);
}

std::string dump_sections(const cfg::Config& config, std::string_view type,
                          const DumpOptions& options) {
    std::string out;
    for (const auto& section : config.sections(type)) {
        dump_section(out, section, options, 0);
    }
    return out;
}

std::string dump_config(const cfg::Config& config, const DumpOptions& options) {
    std::string out;
    std::vector<const cfg::SettingInfo*> globals;
    for (const auto& info : cfg::all_settings()) {
        if (info.scope.empty()) {
            globals.push_back(&info);
        }
    }
    std::sort(globals.begin(), globals.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
    for (const auto* info : globals) {
        bool set = config.is_set(info->name, options.context);
        bool show = false;
        switch (options.mode) {
        case DumpMode::all:
            show = true;
            break;
        case DumpMode::normal:
            show = info->implemented || set;
            break;
        case DumpMode::non_default:
            show = set && !equal_values(*info, config.get(info->name, options.context),
                                        info->default_value);
            break;
        case DumpMode::explicit_set:
            show = set;
            break;
        }
        if (show) {
            out += line(info->name, printable_global(config, info->name, options));
        }
    }
    for (const auto& section : config.root().children()) {
        dump_section(out, section, options, 0);
    }
    return out;
}

} // namespace loftconf
