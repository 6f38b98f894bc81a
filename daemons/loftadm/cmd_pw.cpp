// loftadm pw: generate and check stored passwords, as `doveadm pw` 2.3.
//
// Messages and exit codes are doveadm's: its failures are "Fatal: ..." lines
// with exit code 75, and scripts written for doveadm look for those.
#include "commands.hpp"
#include "output.hpp"
#include "terminal.hpp"

#include <mailstore/auth/password.hpp>

#include <crypt.h>
#include <cstdio>
#include <iostream>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace loftadm {

namespace {

namespace auth = mailstore::auth;

// doveadm 2.3's default. Its CRYPT writes bcrypt ($2y$, cost 5) hashes,
// which every crypt(3) reader of the CRYPT scheme accepts.
constexpr std::string_view default_scheme = "CRYPT";
// Bounds on -r so a typo cannot make a hash take hours.
constexpr unsigned max_sha_crypt_rounds = 999'999'999;
constexpr unsigned max_bcrypt_cost = 31;
constexpr unsigned max_pbkdf2_rounds = 100'000'000;

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

// crypt(3) with a salt of `prefix` and `count` from libcrypt's generator.
std::optional<std::string> crypt_with_rounds(const char* prefix, unsigned long count, const std::string& password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(prefix, count, nullptr, 0, setting, sizeof setting) == nullptr) {
        return std::nullopt;
    }
    crypt_data data{};
    const char* out = crypt_r(password.c_str(), setting, &data);
    if (out == nullptr || out[0] == '*') {
        return std::nullopt;
    }
    return std::string(out);
}

// Dovecot's PBKDF2 format: "$1$" salt "$" rounds "$" hex(PBKDF2-HMAC-SHA1),
// a 16-character salt and a 20-byte key.
std::optional<std::string> pbkdf2_with_rounds(unsigned rounds, const std::string& password) {
    static constexpr char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        return std::nullopt;
    }
    std::string salt;
    for (unsigned char b : raw) {
        salt.push_back(alphabet[b % 64]);
    }
    unsigned char key[20];
    if (PKCS5_PBKDF2_HMAC_SHA1(password.data(), static_cast<int>(password.size()),
                               reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                               static_cast<int>(rounds), sizeof key, key) != 1) {
        return std::nullopt;
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "$1$" + salt + "$" + std::to_string(rounds) + "$";
    for (unsigned char b : key) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
    }
    return out;
}

// -r ROUNDS: the schemes with a work factor. Others have none and fail
// rather than silently ignoring the option. Returns the hash, or an error
// message in `error`.
std::optional<std::string> hash_with_rounds(const std::string& scheme, unsigned rounds, const std::string& password,
                                            std::string& error) {
    std::optional<std::string> data;
    if (scheme == "SHA256-CRYPT" || scheme == "SHA512-CRYPT") {
        // crypt(3) raises values below 1000 to 1000 (SHA-crypt spec).
        if (rounds > max_sha_crypt_rounds) {
            error = "rounds must be at most " + std::to_string(max_sha_crypt_rounds);
            return std::nullopt;
        }
        data = crypt_with_rounds(scheme == "SHA256-CRYPT" ? "$5$" : "$6$", rounds, password);
    } else if (scheme == "BLF-CRYPT" || scheme == "CRYPT") {
        if (rounds < 4 || rounds > max_bcrypt_cost) {
            error = "BLF-CRYPT rounds (cost) must be 4..31";
            return std::nullopt;
        }
        data = crypt_with_rounds("$2y$", rounds, password);
    } else if (scheme == "PBKDF2") {
        if (rounds > max_pbkdf2_rounds) {
            error = "rounds must be at most " + std::to_string(max_pbkdf2_rounds);
            return std::nullopt;
        }
        data = pbkdf2_with_rounds(rounds, password);
    } else {
        error = "scheme " + scheme + " has no rounds (-r)";
        return std::nullopt;
    }
    if (!data) {
        error = "cannot generate a " + scheme + " hash";
        return std::nullopt;
    }
    return "{" + scheme + "}" + *data;
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

    std::string hash;
    if (options.rounds != 0) {
        std::string error;
        auto made = hash_with_rounds(scheme, options.rounds, password, error);
        if (!made) {
            return fatal(error);
        }
        hash = *made;
    } else {
        auto made = auth::hash_password(scheme, password, options.user);
        if (!made) {
            return fatal(made.status().message());
        }
        hash = made.value();
    }
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
