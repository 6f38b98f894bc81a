// loftadm user: userdb lookups as `doveadm user` 2.3.19 prints them.
//
//   loftadm user bla@example.org       field<TAB>value header, then key<TAB>value rows
//   loftadm user -u bla@example.org    "userdb: bla@example.org" and "  key       : value" lines
//   loftadm user -f home USER          the value alone
//   loftadm user '*'                   every user, one per line (masks with * and ?)
//
// Unknown users exit 67 (EX_NOUSER) so scripts can test existence; a backend
// failure exits 75 (EX_TEMPFAIL) and never claims the user is unknown.
#include "commands.hpp"
#include "output.hpp"

#include <mailstore/var_expand.hpp>

#include <fnmatch.h>
#include <iostream>

namespace loftadm {

namespace auth = mailstore::auth;

namespace {

bool is_mask(const std::string& user) { return user.find_first_of("*?") != std::string::npos; }

// mail_location when the userdb gives no `mail`: what a mail process would
// use for this user (doveadm prints it too).
std::string default_mail_location(const mailstore::config::Config& config) {
    if (mailstore::config::find_setting("mail_location") == nullptr) {
        return "";
    }
    return config.get("mail_location");
}

// The table rows: uid, gid, home and mail first (always, empty when unset),
// then every other userdb field in the backend's order.
auth::FieldList table_fields(const auth::LookupResult& result, const mailstore::config::Config& config) {
    auth::FieldList out;
    for (const char* key : {"uid", "gid", "home"}) {
        out.set(key, result.fields.get_or(key, ""));
    }
    out.set("mail", result.fields.get_or("mail", default_mail_location(config)));
    for (const auto& [key, value] : result.fields) {
        if (key != "user" && !out.has(key)) {
            out.set(key, value);
        }
    }
    return out;
}

mailstore::Result<std::string> expand_template(const std::string& text, const std::string& user,
                                               const auth::FieldList& fields) {
    auto at = user.find('@');
    std::string local = user.substr(0, at);
    std::string domain = at == std::string::npos ? "" : user.substr(at + 1);
    std::string home = fields.get_or("home", "");
    const mailstore::ExpandVariable vars[] = {
        {'u', "user", user},
        {'n', "username", local},
        {'d', "domain", domain},
        {'h', "home", home},
    };
    mailstore::ExpandOptions options;
    options.resolve = [&fields](std::string_view name) -> std::optional<std::string> {
        if (name.substr(0, 7) == "userdb:") {
            name.remove_prefix(7);
        }
        return fields.get(name);
    };
    return mailstore::expand_variables(text, vars, options);
}

int list_matching(Backend& backend, const std::string& mask) {
    mailstore::Status status = backend.iterate_users([&mask](std::string_view user) {
        std::string name(user);
        if (mask == "*" || ::fnmatch(mask.c_str(), name.c_str(), 0) == 0) {
            std::cout << printable(name) << "\n";
        }
        return true;
    });
    if (!status.is_ok()) {
        std::cerr << "Error: user listing failed: " << printable(status.message()) << "\n";
        return exit_tempfail;
    }
    return exit_ok;
}

} // namespace

int run_user(Backend& backend, const mailstore::config::Config& config, const UserOptions& options) {
    auth::ClientInfo client;
    client.service = "doveadm";
    if (auto problem = apply_request_fields(options.request_fields, client); !problem.empty()) {
        std::cerr << "Error: " << problem << "\n";
        return exit_usage;
    }
    int status = exit_ok;
    bool header_done = false;
    bool first = true;
    for (const auto& user : options.users) {
        if (is_mask(user)) {
            int listed = list_matching(backend, user);
            if (listed != exit_ok) {
                status = listed;
            }
            continue;
        }
        auth::LookupResult result = backend.lookup_user(user, client);
        if (result.kind == auth::LookupResult::Kind::temporary_failure) {
            std::cerr << "Error: userdb lookup failed for " << printable(user) << ": " << printable(result.error)
                      << "\n";
            status = exit_tempfail;
            continue;
        }
        if (result.kind == auth::LookupResult::Kind::not_found) {
            std::cout << "userdb lookup: user " << printable(user) << " doesn't exist\n";
            if (status == exit_ok) {
                status = exit_no_user;
            }
            continue;
        }
        std::string name = result.user.empty() ? user : result.user;
        if (!options.expand.empty()) {
            auto expanded = expand_template(options.expand, name, result.fields);
            if (!expanded) {
                std::cerr << "Error: -e: " << expanded.status().message() << "\n";
                return exit_usage;
            }
            std::cout << printable(expanded.value()) << "\n";
            continue;
        }
        if (!options.field.empty()) {
            // As doveadm: a field the user lacks prints nothing.
            std::optional<std::string> value;
            if (options.field == "user") {
                value = name;
            } else if (options.field == "mail" && !result.fields.has("mail")) {
                value = default_mail_location(config);
            } else {
                value = result.fields.get(options.field);
            }
            if (value) {
                std::cout << printable(*value) << "\n";
            }
            continue;
        }
        if (options.userdb_only) {
            if (!first) {
                std::cout << "\n";
            }
            auth::FieldList fields;
            fields.set("user", name);
            for (const auto& [key, value] : result.fields) {
                if (key != "user") {
                    fields.set(key, value);
                }
            }
            std::cout << "userdb: " << printable(user) << "\n" << format_aligned_fields(fields);
        } else {
            if (!header_done) {
                std::cout << "field\tvalue\n";
                header_done = true;
            } else {
                std::cout << "\n";
            }
            std::cout << format_table_rows(table_fields(result, config));
        }
        first = false;
    }
    return status;
}

} // namespace loftadm
