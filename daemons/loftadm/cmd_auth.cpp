// loftadm auth test / auth lookup, with doveadm 2.3.19's output:
//
//   passdb: bla@example.org auth succeeded      passdb: klaus@example.com
//   extra fields:                                 user      : klaus@example.com
//     user=bla@example.org                        host      : 10.152.188.113
//                                                 proxy
#include "commands.hpp"
#include "output.hpp"
#include "terminal.hpp"

#include <iostream>
#include <optional>

namespace loftadm {

namespace auth = mailstore::auth;

namespace {

bool parse_port(const std::string& text, unsigned& port) {
    if (text.empty() || text.size() > 5) {
        return false;
    }
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) {
        return false;
    }
    port = value;
    return true;
}

// A passdb/userdb result as printed: `user` first (the canonical name),
// then the other fields in the order the backend gave them.
auth::FieldList with_user_first(const std::string& user, const auth::FieldList& fields) {
    auth::FieldList out;
    out.set("user", user);
    for (const auto& [key, value] : fields) {
        if (key != "user") {
            out.set(key, value);
        }
    }
    return out;
}

} // namespace

std::string apply_request_fields(const std::vector<std::string>& fields, auth::ClientInfo& client) {
    // loftadm runs on the server as an admin tool, so its requests are
    // secured (the plaintext policy lets PLAIN through) unless -x says
    // otherwise. The auth framework no longer treats a request without a
    // remote IP as local, so this is said explicitly, in-process and to
    // loft-authd (doveadm 2.3 sends no "secured" and relies on that rule).
    // With rip= the request looks like a client's: secured only with -x
    // secured. The result does not depend on the order of the -x options.
    std::optional<bool> secured;
    for (const auto& field : fields) {
        auto eq = field.find('=');
        std::string key = field.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
        if (key == "service") {
            client.service = value;
        } else if (key == "rip") {
            client.remote_ip = value;
        } else if (key == "lip") {
            client.local_ip = value;
        } else if (key == "rport" || key == "lport") {
            if (!parse_port(value, key == "rport" ? client.remote_port : client.local_port)) {
                return "bad port in -x " + field;
            }
        } else if (key == "secured") {
            if (eq == std::string::npos || value == "yes" || value == "y" || value == "1" || value == "true") {
                secured = true;
            } else if (value == "no" || value == "n" || value == "0" || value == "false") {
                secured = false;
            } else {
                return "bad value in -x " + field + " (yes or no)";
            }
        } else if (key == "session") {
            client.session_id = value;
        } else if (key == "cert_username") {
            client.cert_username = value;
        } else if (key == "nopenalty") {
            client.no_penalty = true;
        } else {
            return "unknown -x field '" + key +
                   "' (known: service rip lip rport lport secured session cert_username nopenalty)";
        }
    }
    client.secured = secured.value_or(client.remote_ip.empty());
    return "";
}

int run_auth_test(Backend& backend, const mailstore::config::Config& config, const AuthTestOptions& options) {
    auth::ClientInfo client;
    client.service = "doveadm";
    if (auto problem = apply_request_fields(options.request_fields, client); !problem.empty()) {
        std::cerr << "Error: " << problem << "\n";
        return exit_usage;
    }
    std::string login = options.user;
    if (!options.master_user.empty()) {
        // -M: the master login the protocols see, "user" SEPARATOR "master".
        std::string separator = config.get("auth_master_user_separator");
        if (separator.empty()) {
            std::cerr << "Error: -M needs auth_master_user_separator in the config\n";
            return exit_config;
        }
        login += separator + options.master_user;
    }
    std::string password;
    if (options.password) {
        password = *options.password;
    } else {
        auto typed = read_password("Password: ");
        if (!typed) {
            std::cerr << "Error: no password given\n";
            return exit_usage;
        }
        password = *typed;
    }

    auth::AuthReply reply = backend.verify_plain(login, password, client);
    bool ok = reply.kind == auth::AuthReply::Kind::success;
    std::cout << "passdb: " << printable(login) << " auth " << (ok ? "succeeded" : "failed") << "\n";
    // doveadm prints the fields loft-authd would send with OK or FAIL: the
    // user name, the passdb's extra fields and, for a master login, whose
    // password it was. Prefetched userdb_ fields stay in the auth service.
    std::string shown_user = reply.user;
    if (shown_user.empty()) {
        // A refused master login names its target user, as doveadm does.
        std::string separator = config.get("auth_master_user_separator");
        auto at = separator.empty() ? std::string::npos : login.rfind(separator);
        shown_user = at == std::string::npos ? login : login.substr(0, at);
    }
    auth::FieldList fields = with_user_first(shown_user, reply.passdb_fields);
    if (!reply.reason.empty() && !fields.has("reason")) {
        fields.set("reason", reply.reason);
    }
    if (!reply.master_user.empty()) {
        fields.set("original_user", reply.master_user);
        fields.set("auth_user", reply.master_user);
    }
    if (reply.kind == auth::AuthReply::Kind::temporary_failure) {
        fields.set("temp");
    }
    std::cout << "extra fields:\n" << format_extra_fields(fields);
    switch (reply.kind) {
    case auth::AuthReply::Kind::success:
        return exit_ok;
    case auth::AuthReply::Kind::temporary_failure:
        return exit_tempfail;
    default:
        return exit_no_perm;
    }
}

int run_auth_lookup(Backend& backend, const LookupOptions& options) {
    auth::ClientInfo client;
    client.service = "doveadm";
    if (auto problem = apply_request_fields(options.request_fields, client); !problem.empty()) {
        std::cerr << "Error: " << problem << "\n";
        return exit_usage;
    }
    int status = exit_ok;
    bool first = true;
    for (const auto& user : options.users) {
        auth::LookupResult result = backend.lookup_pass(user, client);
        if (result.kind == auth::LookupResult::Kind::temporary_failure) {
            std::cerr << "Error: passdb lookup failed for " << printable(user) << ": " << printable(result.error)
                      << "\n";
            status = exit_tempfail;
            continue;
        }
        if (result.kind == auth::LookupResult::Kind::not_found) {
            std::cout << "passdb lookup: user " << printable(user) << " doesn't exist\n";
            if (status == exit_ok) {
                status = exit_no_user;
            }
            continue;
        }
        // As doveadm: the passdb's own fields; prefetched userdb_ fields
        // belong to `loftadm user`.
        auth::FieldList passdb_fields;
        for (const auto& [key, value] : result.fields) {
            // loft-authd's master protocol may carry the stored password
            // (Dovecot's PASS reply does); doveadm never prints it.
            if (key.rfind("userdb_", 0) != 0 && key != "password") {
                passdb_fields.set(key, value);
            }
        }
        auth::FieldList fields = with_user_first(result.user.empty() ? user : result.user, passdb_fields);
        if (!options.field.empty()) {
            if (auto value = fields.get(options.field)) {
                std::cout << printable(*value) << "\n";
            }
            continue;
        }
        if (!first) {
            std::cout << "\n";
        }
        first = false;
        std::cout << "passdb: " << printable(user) << "\n" << format_aligned_fields(fields);
    }
    return status;
}

} // namespace loftadm
