#include "builtin_setup.hpp"

#include "demo_user.hpp"
#include "self_signed_cert.hpp"

#include <mailstore/config.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace loftd {

using mailstore::Result;
using mailstore::Status;

std::string default_var_dir() {
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec);
    return ((ec ? std::filesystem::path(".") : cwd) / "var").lexically_normal().string();
}

bool ipv6_loopback_available() {
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    addr.sin6_port = 0;
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}

Status make_dir(const std::string& path, mode_t mode) {
    if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return Status::io("cannot create " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return Status::io(path + " exists and is not a directory");
    return Status::ok();
}

Status set_owner_mode(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (chown(path.c_str(), uid, gid) != 0)
        return Status::io("cannot chown " + path + ": " + std::strerror(errno));
    if (chmod(path.c_str(), mode) != 0)
        return Status::io("cannot chmod " + path + ": " + std::strerror(errno));
    return Status::ok();
}

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

unsigned long default_first_valid_uid() {
    if (mailstore::config::find_setting("first_valid_uid"))
        return mailstore::config::Config::defaults().get_uint("first_valid_uid");
    return 500;
}

// loftd as root needs an unprivileged user for the workers. We never create
// accounts: the owner of ./var is the natural choice (whoever cloned the
// tree), and when ./var belongs to root, `nobody`/`nogroup`.
Result<std::pair<loft::Credentials, std::string>> choose_mail_user(const std::string& var_dir) {
    struct stat st {};
    if (stat(var_dir.c_str(), &st) != 0)
        return Status::io("cannot stat " + var_dir + ": " + std::strerror(errno));
    unsigned long first_valid = default_first_valid_uid();
    if (st.st_uid != 0 && st.st_uid >= first_valid) {
        auto account = loft::lookup_user(std::to_string(st.st_uid));
        if (account) {
            loft::Credentials creds{account->name, account->uid, st.st_gid != 0 ? st.st_gid : account->gid,
                                    account->name != std::to_string(st.st_uid)};
            return std::pair{creds, "the owner of " + var_dir};
        }
    }
    auto nobody = loft::lookup_user("nobody");
    if (!nobody)
        return Status::not_found("loftd runs as root and " + var_dir +
                                 " belongs to root, but there is no `nobody` user to run the workers as; "
                                 "chown " + var_dir + " to an unprivileged user or write a config with mail_uid");
    loft::Credentials creds{nobody->name, nobody->uid, nobody->gid, true};
    if (auto nogroup = loft::lookup_group("nogroup"))
        creds.gid = *nogroup;
    return std::pair{creds, var_dir + " belongs to root"};
}

// Whether `creds` can reach the files the workers need: run the check as
// that user in a child, the only way to see what it would see.
std::string access_problem(const loft::Credentials& creds, const std::string& var_dir) {
    pid_t pid = fork();
    if (pid < 0)
        return {};
    if (pid == 0) {
        if (!loft::drop_privileges(creds))
            _exit(2);
        // The key is not needed: loftd hands it over in the resolved
        // configuration under var/run (config_snapshot.hpp).
        bool ok = access((var_dir + "/run").c_str(), X_OK) == 0 &&
                  access((var_dir + "/mail").c_str(), W_OK | X_OK) == 0;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return {};
    return "the mail user " + creds.user_name + " cannot reach " + var_dir +
           " (a parent directory is closed to it, e.g. /root is mode 0700), so the services "
           "cannot read their config or store mail; run loftd from a directory that user can "
           "reach, or as a regular user";
}

} // namespace

Result<BuiltinSetup> prepare_builtin_default(const std::string& var_dir) {
    BuiltinSetup setup;
    setup.options.var_dir = var_dir;
    bool root = geteuid() == 0;

    bool var_is_new = !exists(var_dir);
    if (Status st = make_dir(var_dir, 0755); !st)
        return st;
    if (root && var_is_new) {
        // `sudo make run` in someone's checkout: ./var belongs to whoever
        // owns the checkout, as if they had run it, so the workers run as
        // that user rather than as nobody.
        struct stat parent {};
        std::string parent_dir = std::filesystem::path(var_dir).parent_path().string();
        if (stat(parent_dir.c_str(), &parent) == 0 && parent.st_uid != 0 &&
            parent.st_uid >= default_first_valid_uid())
            if (chown(var_dir.c_str(), parent.st_uid, parent.st_gid) != 0)
                return Status::io("cannot chown " + var_dir + ": " + std::strerror(errno));
    }
    if (root) {
        auto chosen = choose_mail_user(var_dir);
        if (!chosen)
            return chosen.status();
        setup.mail_credentials = chosen->first;
        setup.mail_user_reason = chosen->second;
        setup.options.mail_user = std::to_string(chosen->first.uid);
        if (chosen->first.init_supplementary_groups)
            setup.options.mail_user = chosen->first.user_name;
        setup.options.mail_group = std::to_string(chosen->first.gid);
    }
    const std::string run_dir = var_dir + "/run";
    const std::string mail_dir = var_dir + "/mail";
    const std::string tls_dir = var_dir + "/tls";
    for (const auto& [dir, mode] : {std::pair{run_dir, 0755}, {mail_dir, 0700}, {tls_dir, 0755}})
        if (Status st = make_dir(dir, static_cast<mode_t>(mode)); !st)
            return st;

    const std::string cert = tls_dir + "/cert.pem";
    const std::string key = tls_dir + "/key.pem";
    if (!exists(cert) || !exists(key)) {
        if (Status st = create_self_signed_certificate(cert, key); !st)
            return st;
        setup.cert_created = true;
    }

    const std::string users = var_dir + "/users";
    const std::string password_file = var_dir + "/demo-password";
    if (!exists(users)) {
        std::string password = generate_password();
        auto hashed = hash_password_sha512_crypt(password);
        if (!hashed)
            return hashed.status();
        // Clear text first: if we crash in between, the next start sees no
        // users file and starts over instead of keeping an unknown password.
        if (Status st = write_file_atomically(password_file, password + "\n", 0600); !st)
            return st;
        std::string line = passwd_file_line(setup.demo_user, *hashed, mail_dir + "/" + setup.demo_user);
        if (Status st = write_file_atomically(users, line, 0600); !st)
            return st;
        setup.users_created = true;
        setup.demo_password = password;
    } else if (exists(password_file)) {
        setup.demo_password = read_first_line(password_file);
    }

    if (root) {
        // The workers run as the mail user: they store mail and read the
        // users file after dropping root (the key reaches them through
        // loftd's resolved configuration).
        const auto& c = *setup.mail_credentials;
        struct stat var_st {};
        stat(var_dir.c_str(), &var_st);
        std::vector<std::tuple<std::string, uid_t, gid_t, int>> owners;
        if (var_st.st_uid == c.uid) {
            // ./var is a user's (their checkout): everything in it is
            // theirs, so a later run without root works on the same files.
            for (const auto& [path, mode] : {std::pair{mail_dir, 0700}, {key, 0600}, {cert, 0644},
                                             {users, 0600}, {password_file, 0600}, {run_dir, 0755},
                                             {tls_dir, 0755}})
                if (exists(path))
                    owners.emplace_back(path, c.uid, c.gid, mode);
        } else {
            // ./var is root's: root keeps it and the key, the mail user
            // (nobody) gets only what it must write or read.
            owners = {{mail_dir, c.uid, c.gid, 0700},
                      {key, uid_t(0), gid_t(0), 0600},
                      {users, uid_t(0), c.gid, 0640},
                      {run_dir, uid_t(0), gid_t(0), 0755}};
        }
        for (const auto& [path, uid, gid, mode] : owners)
            if (Status st = set_owner_mode(path, uid, gid, static_cast<mode_t>(mode)); !st)
                return st;
        setup.warning = access_problem(c, var_dir);
    }

    setup.options.ipv6 = ipv6_loopback_available();
    setup.config_text = builtin_default_config(setup.options);
    return setup;
}

} // namespace loftd
