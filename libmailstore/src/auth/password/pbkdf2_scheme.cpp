// PBKDF2 as Dovecot stores it: "$1$salt$rounds$hex", PBKDF2-HMAC-SHA1
// (RFC 8018 §5.2) of the password with the salt text as salt, 20 bytes of
// output in hex. Dovecot writes a 16-character salt from the crypt alphabet
// and 5000 rounds.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

namespace mailstore::auth::password {

namespace {

constexpr unsigned kRounds = 5000;
constexpr std::size_t kSaltChars = 16;
constexpr std::size_t kHashBytes = 20; // SHA-1 output
constexpr std::string_view kItoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

Result<bool> verify_pbkdf2(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    if (raw.substr(0, 3) != "$1$")
        return malformed(s, "does not start with $1$");
    std::string_view rest = raw.substr(3);
    auto d1 = rest.find('$');
    if (d1 == std::string_view::npos)
        return malformed(s, "no rounds field");
    std::string_view salt = rest.substr(0, d1);
    rest.remove_prefix(d1 + 1);
    auto d2 = rest.find('$');
    if (d2 == std::string_view::npos)
        return malformed(s, "no hash field");
    unsigned rounds = 0;
    if (!parse_bounded_uint(rest.substr(0, d2), kMaxIterations, rounds) || rounds == 0)
        return malformed(s, "rounds not a number from 1 to 1000000");
    auto hash = crypto::unhex(rest.substr(d2 + 1));
    if (!hash || hash->size() != kHashBytes)
        return malformed(s, "hash is not 40 hex digits");
    return crypto::constant_time_equal(crypto::pbkdf2(crypto::Digest::sha1, plain, salt, rounds, kHashBytes), *hash);
}

std::string make_pbkdf2(std::string_view plain, unsigned rounds) {
    std::string rnd = crypto::random_bytes(kSaltChars), salt;
    for (char c : rnd) // 256 is a multiple of 64: no bias
        salt.push_back(kItoa64[static_cast<unsigned char>(c) % 64]);
    return "$1$" + salt + "$" + std::to_string(rounds) + "$" +
           crypto::hex(crypto::pbkdf2(crypto::Digest::sha1, plain, salt, rounds, kHashBytes));
}

Result<std::string> generate_pbkdf2(const Scheme&, std::string_view plain, std::string_view) {
    return make_pbkdf2(plain, kRounds);
}

constexpr Scheme kSchemes[] = {
    {"PBKDF2", Encoding::none, 0, verify_pbkdf2, generate_pbkdf2},
};

} // namespace

std::span<const Scheme> pbkdf2_schemes() { return kSchemes; }

Result<std::string> generate_pbkdf2_rounds(std::string_view plain, unsigned rounds) {
    if (rounds > kMaxIterations)
        return Status::invalid("PBKDF2 rounds must be at most " + std::to_string(kMaxIterations));
    return make_pbkdf2(plain, rounds == 0 ? kRounds : rounds);
}

} // namespace mailstore::auth::password
