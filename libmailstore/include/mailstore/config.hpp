// Reading Loft's configuration: Dovecot's config syntax, one registry of
// settings with types, defaults and documentation, and lookups that apply the
// per-protocol / per-address / per-SNI-name overrides of the file.
//
// A Config is immutable once loaded and cheap to copy (it shares its data), so
// a daemon can keep the old one alive for running sessions while a reload
// builds the next.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailstore::config {

enum class SettingType {
    string,      // any text
    boolean,     // yes/no (also true/false, 1/0)
    uint,        // a non-negative integer
    size,        // bytes with an optional unit: 10k, 5M, 1G, 2T ("unlimited" = 0 where allowed)
    time,        // a duration: 30s, 5 mins, 2h, 1d, 100ms; a bare number is seconds
    enumeration, // one of SettingInfo::values
    list,        // space- or comma-separated words
};

// One registered setting. The registry (all_settings()) is the single source
// for validation, loftconf's output and docs/settings.md.
struct SettingInfo {
    std::string_view name;
    SettingType type;
    std::string_view default_value; // as it would be written in a config file
    // enumeration: the choices, separated by '|'. uint: empty, or the allowed
    // range as "MIN..MAX" (e.g. "0..65535"), checked at load time.
    std::string_view values;
    std::string_view doc;           // one line
    // Where the key may appear: "" for a global setting (top level, and inside
    // protocol/local/remote/local_name blocks as an override), otherwise the
    // section type that owns it ("service", "inet_listener", "unix_listener",
    // "namespace", "mailbox", "passdb", "userdb", ...).
    std::string_view scope;
    // false: a Dovecot setting that Loft accepts but does not act on yet. It
    // loads with a one-line warning, so an existing dovecot.conf works.
    bool implemented;
};

MAILSTORE_API std::span<const SettingInfo> all_settings();
// The registered setting `name` in `scope` (see SettingInfo::scope), or nullptr.
MAILSTORE_API const SettingInfo* find_setting(std::string_view name, std::string_view scope = {});

// A place in a config file, for messages: "file:line".
struct Location {
    std::string file;
    int line = 0;
    std::string to_string() const { return file + ":" + std::to_string(line); }
};

// A warning produced while loading (an unimplemented Dovecot setting, ...).
struct Diagnostic {
    Location where;
    std::string message;
};

// The circumstances of a lookup. Overrides in `protocol NAME { }`,
// `local IP[/bits] { }`, `remote IP[/bits] { }` and `local_name NAME { }`
// blocks apply when they match; more specific blocks win.
struct LookupContext {
    std::string protocol;   // "imap", "pop3", "lmtp", "sieve", "lda", ... or empty
    std::string local_ip;   // the address the client connected to
    std::string remote_ip;  // the client's address
    std::string local_name; // the TLS SNI name the client asked for
};

class ConfigData;
class SectionData;

// How Config::serialize writes the configuration.
struct SerializeOptions {
    // Precede each key and block with a comment naming where it was written
    // ("# from /etc/loft/conf.d/10-ssl.conf:12"), so that someone reading the
    // text, or a message naming a line of it, can find the original.
    bool origin_comments = true;
};

// A `type [name] { ... }` block of the file, e.g. `service imap-login { }` has
// type "service" and name "imap-login". Values are validated against the
// registry at load time, so the typed getters never fail; for a key that is
// absent they return the registered default for this section type.
class MAILSTORE_API Section {
public:
    const std::string& type() const;
    const std::string& name() const;
    const Location& location() const;

    // The value written directly in this block, or nullopt.
    std::optional<std::string> raw(std::string_view key) const;
    // The value in this block, or the registered default for (key, type()).
    std::string get(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    std::uint64_t get_uint(std::string_view key) const;
    std::uint64_t get_size(std::string_view key) const;
    std::chrono::milliseconds get_time(std::string_view key) const;
    std::vector<std::string> get_list(std::string_view key) const;

    // Nested blocks, in file order; only those of `type` when it is not empty.
    std::vector<Section> children(std::string_view type = {}) const;
    // Every key = value written directly in this block, in file order.
    std::vector<std::pair<std::string, std::string>> entries() const;
    // Where `key` was set in this block (for messages that name file:line), or
    // nullopt when it is not written here.
    std::optional<Location> location_of(std::string_view key) const;
    // For a value written as `key = <path`: the path as written (the value is
    // the file's content). nullopt otherwise. Lets tools print the config back.
    std::optional<std::string> source_file(std::string_view key) const;

    explicit Section(std::shared_ptr<const SectionData> data);

private:
    std::shared_ptr<const SectionData> data_;
};

class MAILSTORE_API Config {
public:
    // Parse a config file and everything it includes. Errors (syntax, unknown
    // setting, bad value, missing !include) fail with a message that starts
    // with "file:line: " and names the bad token (Code::invalid_argument). A
    // `path` that cannot be read fails with Code::not_found and
    // "path: cannot read config file: reason". Unimplemented Dovecot settings
    // are not errors: see warnings().
    static Result<Config> load_file(const std::string& path);
    // Same, from text; `name` stands in for the file name in messages and
    // relative !include paths resolve against `base_dir`.
    static Result<Config> load_string(std::string_view text, std::string_view name = "<string>",
                                      std::string_view base_dir = ".");
    // Every setting at its registered default (no file).
    static Config defaults();

    // Effective value of global setting `name` in `ctx`. `name` must be a
    // registered global setting; anything else is a programming error
    // (assertion in debug builds, empty value otherwise).
    std::string get(std::string_view name, const LookupContext& ctx = {}) const;
    bool get_bool(std::string_view name, const LookupContext& ctx = {}) const;
    std::uint64_t get_uint(std::string_view name, const LookupContext& ctx = {}) const;
    std::uint64_t get_size(std::string_view name, const LookupContext& ctx = {}) const;
    std::chrono::milliseconds get_time(std::string_view name, const LookupContext& ctx = {}) const;
    std::vector<std::string> get_list(std::string_view name, const LookupContext& ctx = {}) const;
    // True when the file sets `name` (at top level or in a matching override).
    bool is_set(std::string_view name, const LookupContext& ctx = {}) const;
    // Where the effective value of `name` in `ctx` was set, or nullopt when it
    // is the default. For messages such as "loft.conf:7: ssl_cert: ...".
    std::optional<Location> location_of(std::string_view name, const LookupContext& ctx = {}) const;
    // For an effective value written as `name = <path`: the path as written.
    // nullopt otherwise.
    std::optional<std::string> source_file(std::string_view name, const LookupContext& ctx = {}) const;

    // The top-level block of all settings; sections("service") etc. are its
    // children of that type.
    Section root() const;
    std::vector<Section> sections(std::string_view type) const;

    // This configuration as one self-contained config text: no !include,
    // every `<file` value replaced by the file's content (as read at load
    // time), `$variables` already expanded, every block and key in order.
    // Values are quoted where needed so that load_string() of the text gives
    // an equal configuration (same blocks, keys and values, same lookups in
    // every context). What does not carry over: file:line locations (the
    // text's own lines instead) and source_file(). Fails with
    // Code::invalid_argument, naming file:line and the key, for a value that
    // no config text can hold (a NUL byte from a binary `<file`).
    Result<std::string> serialize(const SerializeOptions& options = {}) const;

    // Warnings collected while loading.
    const std::vector<Diagnostic>& warnings() const;
    // The file this was loaded from ("" for defaults()).
    const std::string& path() const;

    explicit Config(std::shared_ptr<const ConfigData> data);

private:
    std::shared_ptr<const ConfigData> data_;
};

// Parsing helpers shared by the config loader and other settings consumers.
// Each returns nullopt for text that is not a valid value of its type.
// `value` as it must be written after `key = ` to read back as itself:
// unchanged when that is safe, else double-quoted with \\ \" \n \r \t escapes.
MAILSTORE_API std::string format_value(std::string_view value);
// The same for a block name (`service NAME {`).
MAILSTORE_API std::string format_section_name(std::string_view name);
MAILSTORE_API std::optional<bool> parse_bool(std::string_view text);
MAILSTORE_API std::optional<std::uint64_t> parse_uint(std::string_view text);
MAILSTORE_API std::optional<std::uint64_t> parse_size(std::string_view text);
MAILSTORE_API std::optional<std::chrono::milliseconds> parse_time(std::string_view text);

} // namespace mailstore::config
