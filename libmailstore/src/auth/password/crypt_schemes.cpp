// crypt(3) schemes through libxcrypt's crypt_r: CRYPT (any format libcrypt
// reads), DES-CRYPT, MD5-CRYPT (alias MD5), SHA256-CRYPT, SHA512-CRYPT,
// BLF-CRYPT. The stored value is the whole crypt string ("$6$salt$hash");
// checking re-runs crypt_r with the stored string as the setting and compares
// the result in constant time.
//
// Before crypt_r runs, the cost in the setting is checked against the bounds
// in scheme.hpp: libcrypt accepts up to 999 999 999 SHA-crypt rounds, bcrypt
// cost 31 or gigabytes of yescrypt memory, which would tie up an auth
// process for hours.
//
// A locked or disabled account is not a malformed hash: /etc/shadow and
// /etc/passwd mark one with a value crypt(3) never produces ("*", "*LK*",
// "!", "!" before the hash as `usermod -L` writes it, "!!", "x" for "see
// shadow", or empty; shadow(5), passwd(5)). Such a value is a plain
// mismatch, the same answer as a wrong password, so that a login to a
// locked system account looks like any other failure instead of a
// temporary error that tells an attacker the account exists.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

#include <crypt.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace mailstore::auth::password {

namespace {

constexpr std::string_view kItoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Why `setting` is refused before crypt_r sees it; empty when it is fine.
std::string_view check_setting(std::string_view setting) {
    if (setting.empty())
        return "empty";
    if (setting.size() > 512)
        return "too long";
    if (starts_with(setting, "$5$") || starts_with(setting, "$6$")) {
        std::string_view rest = setting.substr(3);
        if (starts_with(rest, "rounds=")) {
            rest.remove_prefix(7);
            auto end = rest.find('$');
            unsigned rounds = 0;
            if (end == std::string_view::npos || !parse_bounded_uint(rest.substr(0, end), kMaxIterations, rounds))
                return "rounds missing or above 1000000";
        }
        return {};
    }
    if (starts_with(setting, "$2a$") || starts_with(setting, "$2b$") || starts_with(setting, "$2y$") ||
        starts_with(setting, "$2x$")) {
        unsigned cost = 0;
        if (setting.size() < 7 || setting[6] != '$' || !parse_bounded_uint(setting.substr(4, 2), kMaxBcryptCost, cost))
            return "bcrypt cost missing or above 13";
        return {};
    }
    if (starts_with(setting, "$1$"))
        return {};
    if (starts_with(setting, "$y$")) {
        // yescrypt parameters as libxcrypt's crypt_gensalt writes them for
        // costs 1-8: flavour 'j', an N character up to kMaxYescryptN, an r
        // character up to kMaxYescryptR (memory is 128 * N * r bytes).
        std::string_view params = setting.substr(3, setting.find('$', 3) - 3);
        if (params.size() != 3 || params[0] != 'j' || kItoa64.find(params[1]) > kItoa64.find(kMaxYescryptN) ||
            kItoa64.find(params[2]) > kItoa64.find(kMaxYescryptR))
            return "yescrypt parameters outside the supported costs";
        return {};
    }
    if (setting[0] != '$' && setting[0] != '_' && setting.size() == 13) // traditional DES
        return {};
    return "not a supported crypt(3) format";
}

// Whether `stored` is one of the account-locking values of shadow(5) and
// passwd(5): empty, "x", or anything starting with '!' or '*' (no crypt(3)
// format starts with either: libcrypt's own failure tokens are "*0" and
// "*1"). Checked before the value is parsed, so "!" before a hash of any
// format, even one Loft does not read, still locks.
bool is_locked(std::string_view stored) {
    return stored.empty() || stored == "x" || stored[0] == '!' || stored[0] == '*';
}

// crypt_r(plain, setting), or an empty string when libcrypt refuses the
// setting (it then returns a "*0"/"*1" failure token or NULL).
std::string run_crypt(std::string_view plain, const std::string& setting) {
    auto data = std::make_unique<crypt_data>(); // ~32 KiB: not on the stack
    std::string phrase(plain);
    const char* out = crypt_r(phrase.c_str(), setting.c_str(), data.get());
    if (out == nullptr || out[0] == '*')
        return {};
    return out;
}

Result<bool> verify_crypt(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    if (is_locked(raw))
        return false;
    if (s.name == "MD5-CRYPT" && !starts_with(raw, "$1$"))
        return malformed(s, "not a $1$ string");
    if (std::string_view why = check_setting(raw); !why.empty())
        return malformed(s, why);
    if (plain.find('\0') != std::string_view::npos)
        return false; // crypt(3) would check only the part before the NUL
    std::string result = run_crypt(plain, std::string(raw));
    if (result.empty())
        return malformed(s, "libcrypt cannot read it");
    return crypto::constant_time_equal(result, raw);
}

// A setting with a fresh salt for `prefix` at `cost` (0 = libcrypt's default).
Result<std::string> gensalt(std::string_view prefix, unsigned long cost) {
    char* setting = crypt_gensalt_ra(std::string(prefix).c_str(), cost, nullptr, 0);
    if (setting == nullptr)
        return Status::error(Status::Code::internal, "crypt_gensalt cannot make a " + std::string(prefix) + " salt");
    std::string out(setting);
    std::free(setting);
    return out;
}

Result<std::string> generate_crypt_cost(const Scheme& s, std::string_view plain, unsigned cost) {
    if (plain.find('\0') != std::string_view::npos)
        return Status::invalid(std::string(s.name) + " cannot hash a password containing NUL");
    Result<std::string> setting = [&]() -> Result<std::string> {
        if (s.name == "DES-CRYPT") {
            // Two salt characters from the crypt alphabet (libxcrypt has no DES gensalt prefix).
            std::string rnd = crypto::random_bytes(2), salt;
            for (char c : rnd)
                salt.push_back(kItoa64[static_cast<unsigned char>(c) % 64]);
            return salt;
        }
        if (s.name == "MD5-CRYPT" || s.name == "MD5")
            return gensalt("$1$", 0);
        // Without a cost: 5000 SHA-crypt rounds, not written, as doveadm does.
        // libcrypt raises a cost below its minimum (1000 rounds, bcrypt 4).
        if (s.name == "SHA256-CRYPT")
            return gensalt("$5$", cost);
        if (s.name == "SHA512-CRYPT")
            return gensalt("$6$", cost);
        // BLF-CRYPT, and CRYPT: `doveadm pw -s CRYPT` 2.3.19 on Debian writes $2y$05$ too.
        return gensalt("$2y$", cost == 0 ? 5 : std::max(cost, 4u)); // libxcrypt refuses below 4
    }();
    if (!setting)
        return setting.status();
    std::string out = run_crypt(plain, *setting);
    if (out.empty())
        return Status::error(Status::Code::internal,
                             std::string(s.name) + ": libcrypt does not support this format on this system");
    return out;
}

Result<std::string> generate_crypt(const Scheme& s, std::string_view plain, std::string_view) {
    return generate_crypt_cost(s, plain, 0);
}

// {MD5}: an MD5-crypt string, or (without "$1$") a PLAIN-MD5 digest, as in Dovecot.
Result<bool> verify_md5(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view user) {
    if (is_locked(raw))
        return false;
    if (starts_with(raw, "$1$"))
        return verify_crypt(s, raw, plain, user);
    std::string digest;
    if (raw.size() == 32) {
        if (auto h = crypto::unhex(raw))
            digest = *h;
    } else if (raw.size() == 24) {
        if (auto b = crypto::unbase64(raw))
            digest = *b;
    } else if (raw.size() == 16) {
        digest = raw;
    }
    if (digest.size() != 16)
        return malformed(s, "neither $1$ nor an MD5 digest");
    return crypto::constant_time_equal(crypto::md5(plain), digest);
}

constexpr Scheme kSchemes[] = {
    {"CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
    {"DES-CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
    {"MD5-CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
    {"MD5", Encoding::none, 0, verify_md5, generate_crypt},
    {"SHA256-CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
    {"SHA512-CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
    {"BLF-CRYPT", Encoding::none, 0, verify_crypt, generate_crypt},
};

} // namespace

std::span<const Scheme> crypt_schemes() { return kSchemes; }

Result<std::string> generate_crypt_rounds(const Scheme& s, std::string_view plain, unsigned rounds) {
    bool sha = s.name == "SHA256-CRYPT" || s.name == "SHA512-CRYPT";
    if (sha && rounds > kMaxIterations)
        return Status::invalid(std::string(s.name) + " rounds must be at most " + std::to_string(kMaxIterations));
    if (!sha && rounds > kMaxBcryptCost)
        return Status::invalid(std::string(s.name) + " cost must be at most " + std::to_string(kMaxBcryptCost));
    return generate_crypt_cost(s, plain, rounds);
}

} // namespace mailstore::auth::password
