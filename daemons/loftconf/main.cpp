// loftconf: print Loft's configuration the way doveconf prints Dovecot's.
//
//   loftconf [-c FILE]          every global setting with its effective value, and the blocks
//   loftconf -n                 only what differs from the defaults
//   loftconf -N                 like -n, plus what the file sets to its default value
//   loftconf -a                 everything, also Dovecot settings Loft ignores and block defaults
//   loftconf -d                 the defaults, without reading a file
//   loftconf NAME...            "NAME = value" (-h: the value alone); a block type prints its blocks
//   loftconf -f protocol=imap   look up as a connection with these properties would
//                               (also local=IP, remote=IP, local_name=NAME; repeatable)
//   loftconf --settings-doc     the Markdown settings reference (docs/settings.md)
#include "dump.hpp"
#include "settings_doc.hpp"

#include <mailstore/config.hpp>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <cstdlib>
#include <iostream>
#include <loft_build_config.hpp>
#include <sys/stat.h>

namespace cfg = mailstore::config;

namespace {

// -c, else $LOFT_CONFIG, else the installed loft.conf when it exists; "" for
// none (the registry defaults).
std::string config_path(const std::string& cli) {
    if (!cli.empty()) {
        return cli;
    }
    if (const char* env = std::getenv("LOFT_CONFIG"); env != nullptr && *env != '\0') {
        return env;
    }
    std::string installed = std::string(LOFT_SYSCONFDIR) + "/loft.conf";
    struct stat st {};
    if (::stat(installed.c_str(), &st) == 0) {
        return installed;
    }
    return "";
}

bool is_ip_address(const std::string& text) {
    std::string addr = text;
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
        addr = addr.substr(1, addr.size() - 2);
    }
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, addr.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

// One -f NAME=VALUE, as doveconf takes them (its short names too). Returns
// an error message, or "" when applied.
std::string apply_filter(const std::string& filter, cfg::LookupContext& ctx) {
    auto eq = filter.find('=');
    std::string key = filter.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : filter.substr(eq + 1);
    if (eq == std::string::npos || value.empty()) {
        return "expected NAME=VALUE with NAME protocol, local, remote or local_name";
    }
    if (key == "protocol" || key == "service") {
        ctx.protocol = value;
    } else if (key == "local" || key == "lip" || key == "remote" || key == "rip") {
        if (!is_ip_address(value)) {
            return "'" + value + "' is not an IP address";
        }
        (key == "local" || key == "lip" ? ctx.local_ip : ctx.remote_ip) = value;
    } else if (key == "local_name" || key == "lname") {
        ctx.local_name = value;
    } else {
        return "unknown filter '" + key + "': expected protocol, local, remote or local_name";
    }
    return "";
}

bool is_section_type(std::string_view name) {
    static constexpr std::string_view types[] = {
        "protocol", "local",     "remote", "local_name", "service", "namespace",
        "passdb",   "userdb",    "plugin", "dict",       "metric",  "event_exporter"};
    for (auto t : types) {
        if (t == name) {
            return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Print Loft's configuration (Dovecot config syntax)", "loftconf"};
    // -h means "value only", as in doveconf; help is --help.
    app.set_help_flag("--help", "Print this help and exit");

    std::string config_file;
    bool non_default = false;
    bool explicit_set = false;
    bool all = false;
    bool defaults_only = false;
    bool value_only = false;
    bool show_secrets = false;
    bool settings_doc = false;
    bool version = false;
    std::vector<std::string> filters;
    std::vector<std::string> names;
    app.add_option("-c,--config", config_file,
                   "Config file (default: $LOFT_CONFIG, else " LOFT_SYSCONFDIR "/loft.conf)");
    app.add_flag("-n", non_default, "Only settings that differ from their defaults");
    app.add_flag("-N", explicit_set,
                 "Like -n, plus settings the file sets explicitly to their default value");
    app.add_flag("-a", all, "All settings, also Dovecot settings Loft ignores");
    app.add_flag("-d", defaults_only, "Default values only; do not read a config file");
    app.add_flag("-h", value_only, "With NAMEs: print only the values");
    app.add_flag("-P", show_secrets, "Show secrets (ssl_key, ssl_key_password)");
    app.add_option("-f", filters,
                   "Look up as a connection with protocol=NAME, local=IP, remote=IP, local_name=SNI")
        ->allow_extra_args(false);
    app.add_flag("--settings-doc", settings_doc, "Print the Markdown settings reference");
    app.add_flag("--version", version, "Print the version");
    app.add_option("names", names, "Settings (or block types) to print");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    if (version) {
        std::cout << "loftconf " << LOFT_VERSION << "\n";
        return 0;
    }
    if (settings_doc) {
        std::cout << loftconf::settings_reference_markdown();
        return 0;
    }

    loftconf::DumpOptions options;
    options.mode = all            ? loftconf::DumpMode::all
                   : explicit_set ? loftconf::DumpMode::explicit_set
                   : non_default  ? loftconf::DumpMode::non_default
                                  : loftconf::DumpMode::normal;
    options.show_secrets = show_secrets;
    for (const auto& f : filters) {
        if (auto problem = apply_filter(f, options.context); !problem.empty()) {
            std::cerr << "loftconf: Error: bad filter '" << f << "': " << problem << "\n";
            return 1;
        }
    }

    std::string path = defaults_only ? "" : config_path(config_file);
    cfg::Config config = cfg::Config::defaults();
    if (!path.empty()) {
        auto loaded = cfg::Config::load_file(path);
        if (!loaded) {
            std::cerr << "loftconf: Error: " << loaded.status().message() << "\n";
            return 1;
        }
        config = loaded.value();
    }
    for (const auto& w : config.warnings()) {
        std::cerr << "loftconf: Warning: " << w.where.to_string() << ": " << w.message << "\n";
    }

    if (!names.empty()) {
        int status = 0;
        for (const auto& name : names) {
            if (cfg::find_setting(name) != nullptr) {
                std::string value = loftconf::printable_global(config, name, options);
                if (value_only) {
                    std::cout << value << "\n";
                } else {
                    std::cout << name << " =" << (value.empty() ? "" : " ") << value << "\n";
                }
            } else if (is_section_type(name)) {
                std::cout << loftconf::dump_sections(config, name, options);
            } else {
                std::cerr << "loftconf: Error: unknown setting '" << name << "'\n";
                status = 1;
            }
        }
        return status;
    }

    std::cout << "# Loft " << LOFT_VERSION << ": "
              << (path.empty() ? std::string("no config file, built-in defaults") : path) << "\n";
    std::cout << loftconf::dump_config(config, options);
    return 0;
}
