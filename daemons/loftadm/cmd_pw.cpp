// loftadm pw: generate and check stored passwords, as `doveadm pw` 2.3.
//
// Messages and exit codes are doveadm's: its failures are "Fatal: ..." lines
// with exit code 75, and scripts written for doveadm look for those.
#include "commands.hpp"
#include "output.hpp"
#include "terminal.hpp"

#include <mailstore/auth/password.hpp>

#include <cstdio>
#include <iostream>

namespace loftadm {

namespace {

namespace auth = mailstore::auth;

// doveadm 2.3's default. Its CRYPT writes bcrypt ($2y$, cost 5) hashes,
// which every crypt(3) reader of the CRYPT scheme accepts.
constexpr std::string_view default_scheme = "CRYPT";
int fatal(const std::string& message) {
    std::cerr << "Fatal: " << message << "\n";
    return exit_tempfail;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

// The scheme part of "{SCHEME}data", or nullopt without braces.
std::optional<std::string> scheme_of(std::string_view hash) {
    if (hash.empty() || hash.front() != '{') {
        return std::nullopt;
    }
    auto close = hash.find('}');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    return upper(hash.substr(1, close - 1));
}

int list_schemes() {
    std::string line;
    for (const auto& s : auth::password_schemes()) {
        if (!line.empty()) {
            line += ' ';
        }
        line += s;
    }
    std::cout << line << "\n";
    return exit_ok;
}

int test_hash(const PwOptions& options) {
    const std::string& hash = *options.test;
    auto scheme = scheme_of(hash);
    if (!scheme) {
        return fatal("Missing {scheme} prefix from hash");
    }
    if (!auth::is_known_scheme(*scheme)) {
        return fatal("Unknown scheme: " + *scheme);
    }
    std::string password;
    if (options.password) {
        password = *options.password;
    } else {
        auto typed = read_password("Enter password to verify: ");
        if (!typed) {
            return fatal("No password given");
        }
        password = *typed;
    }
    auto verified = auth::verify_password(hash, password, options.user);
    if (!verified) {
        return fatal("reverse decode check failed: " + verified.status().message());
    }
    if (!verified.value()) {
        return fatal("reverse password verification check failed: Password mismatch");
    }
    std::cout << hash << " (verified)\n";
    return exit_ok;
}

} // namespace

int run_pw(const PwOptions& options) {
    if (options.list) {
        return list_schemes();
    }
    if (options.test) {
        return test_hash(options);
    }
    std::string scheme = upper(options.scheme.empty() ? default_scheme : options.scheme);
    if (!auth::is_known_scheme(scheme)) {
        return fatal("Unknown scheme: " + scheme);
    }
    if (scheme == "DIGEST-MD5" && options.user.empty()) {
        // DIGEST-MD5 hashes "user:realm:password".
        return fatal("DIGEST-MD5 needs the user name (-u USER)");
    }
    std::string password;
    if (options.password) {
        password = *options.password;
    } else if (stdin_is_terminal()) {
        auto first = read_password("Enter new password: ");
        if (!first || first->empty()) {
            return fatal("Empty passwords are not allowed");
        }
        auto second = read_password("Retype new password: ");
        if (!second || *second != *first) {
            return fatal("Passwords don't match!");
        }
        password = *first;
    } else {
        auto line = read_password("");
        if (!line || line->empty()) {
            return fatal("Empty passwords are not allowed");
        }
        password = *line;
    }

    // -r goes to the library as given: it alone bounds the cost (by what it
    // can verify later) and its message is printed, so loftadm never
    // disagrees with verify_password. -r 0 is the scheme's default there, as
    // with doveadm.
    auto made = options.rounds ? auth::hash_password_rounds(scheme, password, options.user, *options.rounds)
                               : auth::hash_password(scheme, password, options.user);
    if (!made) {
        return fatal(made.status().message());
    }
    std::string hash = made.value();
    // doveadm checks every hash it writes before printing it.
    auto verified = auth::verify_password(hash, password, options.user);
    if (!verified) {
        return fatal("reverse decode check failed: " + verified.status().message());
    }
    if (!verified.value()) {
        return fatal("reverse password verification check failed: Password mismatch");
    }
    std::cout << hash << (options.reverse_verify ? " (verified)" : "") << "\n";
    return exit_ok;
}

} // namespace loftadm
