// loftadm: doveadm-style administration of Loft (docs/loftadm.md).
//
//   loftadm [-c CONFIG] [-a SOCKET] pw [-s SCHEME] [-p PASS] [-u USER] [-r ROUNDS] [-V]
//   loftadm pw -t HASH [-p PASS] [-u USER]      loftadm pw -l
//   loftadm [-c CONFIG] [-a SOCKET] auth test [-x K=V] [-M MASTER] USER [PASS]
//   loftadm [-c CONFIG] [-a SOCKET] auth lookup [-x K=V] [-f FIELD] USER...
//   loftadm [-c CONFIG] [-a SOCKET] user [-x K=V] [-f FIELD] [-e TEMPLATE] [-u] USER|MASK...
//   loftadm [-c CONFIG] [-a SOCKET] mailbox create|delete|rename|subscribe|unsubscribe -u USER ...
//   loftadm [-c CONFIG] [-a SOCKET] mailbox list|status -u USER|-A ...
//   loftadm [-c CONFIG] [-a SOCKET] import -u USER [-s] [--batch N] SOURCE DEST
//   loftadm [-c CONFIG] [-a SOCKET] force-resync -u USER|-A MAILBOX|MASK...
//   loftadm [-c CONFIG] [-a SOCKET] index dump [-u USER MAILBOX | PATH]
//   loftadm [-c CONFIG] who [-1] [-a ADMIN_DIR]... [USER_MASK|IP]
//   loftadm [-c CONFIG] kick [-a ADMIN_DIR]... USER
//
// Without -a the auth and storage commands build an Authenticator from the
// config in this process; with -a they ask a running loft-authd. Exit codes follow
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
    CLI::App app{"Loft administration (doveadm-compatible pw, auth test, auth lookup, user, mailbox, import, "
                 "force-resync, index dump)",
                 "loftadm"};
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

    // Storage commands (cmd_mailbox.cpp, cmd_import.cpp, cmd_index.cpp).
    auto* mailbox_cmd = app.add_subcommand("mailbox", "List, create, delete, rename, subscribe mailboxes; status");
    mailbox_cmd->require_subcommand(1);
    auto add_user = [](CLI::App* cmd, std::string& user) {
        cmd->add_option("-u", user, "The user (looked up in the userdbs)")->required();
    };
    // -u USER (or a mask with * and ?), or -A for every user the userdbs list.
    auto add_users = [](CLI::App* cmd, std::string& user, bool& all) {
        auto* u = cmd->add_option("-u", user, "The user, or a mask with * and ? (users the userdbs list)");
        auto* a = cmd->add_flag("-A", all, "Every user the userdbs list");
        u->excludes(a); // for_each_mail_user refuses neither (exit 64)
    };
    loftadm::MailboxListOptions mb_list;
    auto* mb_list_cmd = mailbox_cmd->add_subcommand("list", "List mailboxes (all, or those matching MASKs)");
    add_users(mb_list_cmd, mb_list.user, mb_list.all_users);
    mb_list_cmd->add_flag("-s", mb_list.subscribed, "Subscribed mailboxes only");
    mb_list_cmd->add_option("masks", mb_list.masks, "MASK... ('*' and '%' wildcards)");

    loftadm::MailboxCreateOptions mb_create;
    auto* mb_create_cmd = mailbox_cmd->add_subcommand("create", "Create mailboxes");
    add_user(mb_create_cmd, mb_create.user);
    mb_create_cmd->add_flag("-s", mb_create.subscribe, "Subscribe them too");
    mb_create_cmd->add_option("--special-use", mb_create.special_use, "RFC 6154 flags, e.g. '\\Sent'");
    mb_create_cmd->add_option("names", mb_create.names, "NAME...")->required();

    loftadm::MailboxDeleteOptions mb_delete;
    auto* mb_delete_cmd = mailbox_cmd->add_subcommand("delete", "Delete mailboxes and their messages");
    add_user(mb_delete_cmd, mb_delete.user);
    mb_delete_cmd->add_flag("-r", mb_delete.recursive, "Delete the children too");
    mb_delete_cmd->add_flag("-s", mb_delete.unsubscribe, "Unsubscribe them too");
    mb_delete_cmd->add_option("names", mb_delete.names, "NAME...")->required();

    loftadm::MailboxRenameOptions mb_rename;
    std::vector<std::string> rename_args;
    auto* mb_rename_cmd = mailbox_cmd->add_subcommand("rename", "Rename a mailbox and its children");
    add_user(mb_rename_cmd, mb_rename.user);
    mb_rename_cmd->add_flag("-s", mb_rename.subscriptions, "Move the subscriptions too");
    mb_rename_cmd->add_option("names", rename_args, "OLD NEW")->required()->expected(2);

    loftadm::MailboxSubscribeOptions mb_sub;
    auto* mb_sub_cmd = mailbox_cmd->add_subcommand("subscribe", "Subscribe to mailboxes");
    add_user(mb_sub_cmd, mb_sub.user);
    mb_sub_cmd->add_option("names", mb_sub.names, "NAME...")->required();
    loftadm::MailboxSubscribeOptions mb_unsub;
    mb_unsub.subscribe = false;
    auto* mb_unsub_cmd = mailbox_cmd->add_subcommand("unsubscribe", "Unsubscribe mailboxes");
    add_user(mb_unsub_cmd, mb_unsub.user);
    mb_unsub_cmd->add_option("names", mb_unsub.names, "NAME...")->required();

    loftadm::MailboxStatusOptions mb_status;
    std::vector<std::string> status_args;
    auto* mb_status_cmd = mailbox_cmd->add_subcommand(
        "status", "Print FIELDS (messages recent uidnext uidvalidity unseen highestmodseq vsize guid firstsaved, "
                  "or all) of mailboxes");
    add_users(mb_status_cmd, mb_status.user, mb_status.all_users);
    mb_status_cmd->add_flag("-t", mb_status.totals, "One line of totals (messages recent unseen vsize)");
    mb_status_cmd->add_option("fields_names", status_args, "FIELDS NAME|MASK...")->required()->expected(2, -1);

    loftadm::ForceResyncOptions resync;
    auto* resync_cmd = app.add_subcommand("force-resync", "Rescan mailboxes' mail files and fix their indexes");
    add_users(resync_cmd, resync.user, resync.all_users);
    resync_cmd->add_option("names", resync.names, "MAILBOX|MASK... ('*': every mailbox)")->required();

    loftadm::ImportOptions import;
    auto* import_cmd = app.add_subcommand("import", "Import an mbox file or a Maildir into a mailbox");
    add_user(import_cmd, import.user);
    import_cmd->add_flag("-s", import.subscribe, "Subscribe DEST when it is created");
    import_cmd->add_option("--batch", import.batch, "Messages per transaction (default 500)")
        ->check(CLI::Range(1u, 100000u));
    import_cmd->add_option("source", import.source, "An mbox file or a Maildir directory")->required();
    import_cmd->add_option("dest", import.dest, "The mailbox (created when missing)")->required();

    auto* index_cmd = app.add_subcommand("index", "Index debugging");
    index_cmd->require_subcommand(1);
    loftadm::IndexDumpOptions index_dump;
    auto* index_dump_cmd = index_cmd->add_subcommand("dump", "Print a mailbox's loft.index* files");
    index_dump_cmd->add_option("-u", index_dump.user, "The user whose MAILBOX to dump");
    index_dump_cmd->add_option("target", index_dump.target, "MAILBOX (with -u), else an index directory or file")
        ->required();

    // Connected users, through the workers' admin sockets (cmd_who.cpp).
    loftadm::WhoOptions who;
    auto* who_cmd = app.add_subcommand("who", "Show the logged-in users (doveadm who)");
    who_cmd->add_option("-a", who.admin_dirs, "Admin socket directory (default BASE_DIR/admin); repeatable")
        ->allow_extra_args(false);
    who_cmd->add_flag("-1", who.separate, "One line per connection");
    who_cmd->add_option("mask", who.mask, "USER_MASK (* and ?) or IP/network");
    loftadm::KickOptions kick;
    auto* kick_cmd = app.add_subcommand("kick", "Disconnect every connection of USER (doveadm kick)");
    kick_cmd->add_option("-a", kick.admin_dirs, "Admin socket directory (default BASE_DIR/admin); repeatable")
        ->allow_extra_args(false);
    kick_cmd->add_option("user", kick.user, "USER")->required();

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

    if (who_cmd->parsed()) {
        return loftadm::run_who(config, who);
    }
    if (kick_cmd->parsed()) {
        return loftadm::run_kick(config, kick);
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
    if (mb_list_cmd->parsed()) {
        return loftadm::run_mailbox_list(**backend, config, mb_list);
    }
    if (mb_create_cmd->parsed()) {
        return loftadm::run_mailbox_create(**backend, config, mb_create);
    }
    if (mb_delete_cmd->parsed()) {
        return loftadm::run_mailbox_delete(**backend, config, mb_delete);
    }
    if (mb_rename_cmd->parsed()) {
        mb_rename.from = rename_args.at(0);
        mb_rename.to = rename_args.at(1);
        return loftadm::run_mailbox_rename(**backend, config, mb_rename);
    }
    if (mb_sub_cmd->parsed()) {
        return loftadm::run_mailbox_subscribe(**backend, config, mb_sub);
    }
    if (mb_unsub_cmd->parsed()) {
        return loftadm::run_mailbox_subscribe(**backend, config, mb_unsub);
    }
    if (mb_status_cmd->parsed()) {
        mb_status.fields = status_args.at(0);
        mb_status.names.assign(status_args.begin() + 1, status_args.end());
        return loftadm::run_mailbox_status(**backend, config, mb_status);
    }
    if (resync_cmd->parsed()) {
        return loftadm::run_force_resync(**backend, config, resync);
    }
    if (import_cmd->parsed()) {
        return loftadm::run_import(**backend, config, import);
    }
    if (index_dump_cmd->parsed()) {
        return loftadm::run_index_dump(**backend, config, index_dump);
    }
    return loftadm::exit_usage;
}
