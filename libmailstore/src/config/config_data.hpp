// Internal representation of a loaded configuration, shared by the parser, the
// lookup code and the tools that print a config back (loftconf).
#pragma once

#include <mailstore/config.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::config {

// One `key = value` line of a block.
struct Entry {
    std::string key;
    std::string value;
    Location where;
    // Set when the value was written as `<path`: the file it was read from, so
    // that loftconf can print `key = <path` instead of the file's content.
    std::string file_path;
};

class SectionData {
public:
    std::string type; // "" for the root
    std::string name;
    Location where;
    std::vector<Entry> entries;
    std::vector<std::shared_ptr<SectionData>> children;

    // The entry for `key` written directly in this block, or nullptr.
    const Entry* find(std::string_view key) const;
    // Set `key`, replacing an earlier value in place (the last assignment wins).
    void set(Entry entry);
    // The child block `type name` that a repeated block continues, or nullptr.
    SectionData* find_child(std::string_view type, std::string_view name) const;
    void add_child(std::shared_ptr<SectionData> child);

private:
    // Indexes, so that a block with very many keys or children loads in
    // n log n rather than n^2.
    std::map<std::string, std::size_t, std::less<>> entry_index_;
    std::map<std::pair<std::string, std::string>, SectionData*, std::less<>> child_index_;
};

// An IPv4 or IPv6 network (an address is a network with all bits set).
struct Network {
    unsigned char bytes[16] = {}; // IPv4 stored as IPv4-mapped IPv6
    int bits = 0;                 // prefix length over the 128-bit form
    bool matches(const Network& address) const;
};
// Parse "10.0.0.0/8", "192.168.1.1", "::1", "[2001:db8::]/32"; nullopt if invalid.
std::optional<Network> parse_network(std::string_view text);

// One override block (`protocol`, `local`, `remote`, `local_name`), with the
// conditions of every enclosing override block folded in.
struct Filter {
    std::optional<std::string> protocol;
    std::optional<Network> local;
    std::optional<Network> remote;
    std::optional<std::string> local_name;
    const SectionData* section = nullptr;
    std::size_t order = 0; // position in the file, for ties

    bool matches(const LookupContext& ctx) const;
};

// Compare how specific two matching filters are: <0 when `a` is less specific
// than `b` (so `b` wins), >0 when more specific, 0 when equal.
int compare_specificity(const Filter& a, const Filter& b);

// True when `pattern` (a name or "*.domain") matches the SNI name `name`.
bool local_name_matches(std::string_view pattern, std::string_view name);

class ConfigData {
public:
    std::shared_ptr<SectionData> root;
    std::vector<Diagnostic> warnings;
    std::string path;
    std::vector<Filter> filters; // in file order
};

// Section types that are override blocks for global settings.
bool is_filter_section(std::string_view type);

} // namespace mailstore::config
