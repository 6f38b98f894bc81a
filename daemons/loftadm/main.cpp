// loftadm: doveadm-style administration of Loft (docs/loftadm.md).
//
//   loftadm [-c CONFIG] [-a SOCKET] pw [-s SCHEME] [-p PASS] [-u USER] [-r ROUNDS] [-V]
//   loftadm pw -t HASH [-p PASS] [-u USER]      loftadm pw -l
//   loftadm [-c CONFIG] [-a SOCKET] auth test [-x K=V] [-M MASTER] USER [PASS]
//   loftadm [-c CONFIG] [-a SOCKET] auth lookup [-x K=V] [-f FIELD] USER...
//   loftadm [-c CONFIG] [-a SOCKET] user [-x K=V] [-f FIELD] [-e TEMPLATE] [-u] USER|MASK...
//
// Without -a the auth commands build an Authenticator from the config in
// this process; with -a they ask a running loft-authd. Exit codes follow
// doveadm (sysexits.h): output.hpp.
#include "backend.hpp"
#include "commands.hpp"
#include "output.hpp"

#include <mailstore/config.hpp>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <loft_build_config.hpp>
#include <sys/stat.h>

namespace cfg = mailstore::config;

namespace {

// -c, else $LOFT_CONFIG, else the installed loft.conf when it exists; ""
// for none (the built-in defaults). The same order as loftconf and loftd.
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

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Loft administration (doveadm-compatible pw, auth test, auth lookup, user)", "loftadm"};
    app.require_subcommand(1);
    // Global options may also follow the command (loftadm user -c FILE alice).
    app.fallthrough();

    std::string config_file;
    std::string socket_path;
    bool version = false;
    app.add_option("-c,--config", config_file,
                   "Config file (default: $LOFT_CONFIG, else " LOFT_SYSCONFDIR "/loft.conf)");
    app.add_option("-a,--socket", socket_path,
                   "Ask loft-authd instead of building the passdbs/userdbs here: its base_dir, or one socket");
    app.add_flag("--version", version, "Print the version");

    loftadm::PwOptions pw;
    std::string pw_password;
    std::string pw_test;
    auto* pw_cmd = app.add_subcommand("pw", "Generate a password hash ({SCHEME}data), or check one (-t)");
    pw_cmd->add_option("-s", pw.scheme, "Scheme (default CRYPT, as doveadm: bcrypt)");
    auto* pw_p = pw_cmd->add_option("-p", pw_password, "The password (default: ask, or read a line of stdin)");
    pw_cmd->add_option("-u", pw.user, "User name (DIGEST-MD5 hashes it in)");
    // No bounds here: hash_password_rounds decides which costs it accepts
    // and says why it refuses one.
    pw_cmd->add_option("-r", pw.rounds, "Rounds / cost for SHA256-CRYPT, SHA512-CRYPT, BLF-CRYPT, PBKDF2");
    auto* pw_t = pw_cmd->add_option("-t", pw_test, "Check this {SCHEME}hash against the password");
    pw_cmd->add_flag("-l", pw.list, "List the schemes");
    pw_cmd->add_flag("-V", pw.reverse_verify, "Print \"(verified)\" after the hash");

    auto* auth_cmd = app.add_subcommand("auth", "Test logins and look up passdb entries");
    auth_cmd->require_subcommand(1);
    loftadm::AuthTestOptions test;
    std::vector<std::string> test_args;
    auto* test_cmd = auth_cmd->add_subcommand("test", "Log in as USER with PASS (asked for when absent)");
    test_cmd->add_option("-x", test.request_fields, "Request field: service=, rip=, lip=, rport=, lport=, secured, ...")
        ->allow_extra_args(false);
    test_cmd->add_option("-M", test.master_user, "Log in as USER with this master user's password");
    test_cmd->add_option("user_pass", test_args, "USER [PASS]")->required()->expected(1, 2);

    loftadm::LookupOptions lookup;
    auto* lookup_cmd = auth_cmd->add_subcommand("lookup", "passdb lookup without a password");
    lookup_cmd->add_option("-x", lookup.request_fields, "Request field (as for auth test)")->allow_extra_args(false);
    lookup_cmd->add_option("-f", lookup.field, "Print only this field's value");
    lookup_cmd->add_option("users", lookup.users, "USER...")->required();

    loftadm::UserOptions user;
    auto* user_cmd = app.add_subcommand("user", "userdb lookup, or list users matching a mask ('*')");
    user_cmd->add_option("-x", user.request_fields, "Request field (as for auth test)")->allow_extra_args(false);
    user_cmd->add_option("-f", user.field, "Print only this field's value");
    user_cmd->add_option("-e", user.expand, "Print this template expanded for the user (%u %n %d %h %{field})");
    user_cmd->add_flag("-u", user.userdb_only, "Print as \"userdb: USER\" and aligned key : value lines");
    user_cmd->add_option("users", user.users, "USER or MASK...")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (version) {
            std::cout << "loftadm " << LOFT_VERSION << "\n";
            return loftadm::exit_ok;
        }
        app.exit(e);
        return loftadm::exit_usage;
    }

    if (pw_cmd->parsed()) {
        if (*pw_p) {
            pw.password = pw_password;
        }
        if (*pw_t) {
            pw.test = pw_test;
        }
        return loftadm::run_pw(pw);
    }

    std::string path = config_path(config_file);
    cfg::Config config = cfg::Config::defaults();
    if (!path.empty()) {
        auto loaded = cfg::Config::load_file(path);
        if (!loaded) {
            std::cerr << "Error: " << loaded.status().message() << "\n";
            return loftadm::exit_config;
        }
        config = loaded.value();
    }
    for (const auto& w : config.warnings()) {
        std::cerr << "Warning: " << w.where.to_string() << ": " << w.message << "\n";
    }

    auto backend = socket_path.empty() ? loftadm::make_local_backend(config)
                                       : loftadm::make_socket_backend(socket_path);
    if (!backend) {
        std::cerr << "Error: " << backend.status().message() << "\n";
        return loftadm::exit_config;
    }

    if (test_cmd->parsed()) {
        test.user = test_args.at(0);
        if (test_args.size() > 1) {
            test.password = test_args[1];
        }
        return loftadm::run_auth_test(**backend, config, test);
    }
    if (lookup_cmd->parsed()) {
        return loftadm::run_auth_lookup(**backend, lookup);
    }
    if (user_cmd->parsed()) {
        return loftadm::run_user(**backend, config, user);
    }
    return loftadm::exit_usage;
}
