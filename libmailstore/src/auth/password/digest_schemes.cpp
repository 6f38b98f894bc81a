// Plain and salted digests (PLAIN-MD5, LDAP-MD5, SHA*, SMD5, SSHA*), the
// precomputed HMAC-MD5 context (CRAM-MD5) and the DIGEST-MD5 A1 secret.
//
// Salted schemes store digest(password || salt) || salt, as the LDAP
// {SSHA} convention (and Dovecot) does; Dovecot writes a 4-byte salt and
// reads any salt length.
#include "auth/crypto.hpp"
#include "auth/password/cram_md5.hpp"
#include "auth/password/scheme.hpp"

namespace mailstore::auth::password {

namespace {

constexpr std::size_t kSaltBytes = 4; // what `doveadm pw` 2.3 writes

crypto::Digest digest_of(std::string_view name) {
    if (name.find("MD5") != std::string_view::npos)
        return crypto::Digest::md5;
    if (name.find("256") != std::string_view::npos)
        return crypto::Digest::sha256;
    if (name.find("512") != std::string_view::npos)
        return crypto::Digest::sha512;
    return crypto::Digest::sha1;
}

Result<bool> verify_digest(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    if (raw.size() != s.raw_size)
        return malformed(s, "wrong digest length");
    return crypto::constant_time_equal(crypto::digest(digest_of(s.name), plain), raw);
}

Result<std::string> generate_digest(const Scheme& s, std::string_view plain, std::string_view) {
    return crypto::digest(digest_of(s.name), plain);
}

Result<bool> verify_salted(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    crypto::Digest d = digest_of(s.name);
    std::size_t n = crypto::digest_size(d);
    if (raw.size() <= n)
        return malformed(s, "too short for a digest and a salt");
    std::string salted(plain);
    salted.append(raw.substr(n));
    return crypto::constant_time_equal(crypto::digest(d, salted), raw.substr(0, n));
}

Result<std::string> generate_salted(const Scheme& s, std::string_view plain, std::string_view) {
    std::string salt = crypto::random_bytes(kSaltBytes);
    std::string salted(plain);
    salted.append(salt);
    return crypto::digest(digest_of(s.name), salted) + salt;
}

Result<bool> verify_cram(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    if (raw.size() != 32)
        return malformed(s, "the context is not 32 bytes");
    return crypto::constant_time_equal(cram_md5_context(plain), raw);
}

Result<std::string> generate_cram(const Scheme&, std::string_view plain, std::string_view) {
    return cram_md5_context(plain);
}

// RFC 2831 §2.1.2.1 A1 secret: MD5(username ":" realm ":" password). Like
// `doveadm pw -u`, the realm is what follows the last '@' in the user name
// ("a@b@c" is user "a@b", realm "c"); a name without '@' has an empty realm.
std::string digest_md5_secret(std::string_view user, std::string_view plain) {
    std::string_view name = user, realm;
    if (auto at = user.rfind('@'); at != std::string_view::npos) {
        name = user.substr(0, at);
        realm = user.substr(at + 1);
    }
    std::string a1;
    a1.append(name).append(":").append(realm).append(":").append(plain);
    return crypto::md5(a1);
}

Result<bool> verify_digest_md5(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view user) {
    if (raw.size() != 16)
        return malformed(s, "wrong digest length");
    if (user.empty())
        return Status::invalid("DIGEST-MD5 password needs a user name");
    return crypto::constant_time_equal(digest_md5_secret(user, plain), raw);
}

Result<std::string> generate_digest_md5(const Scheme&, std::string_view plain, std::string_view user) {
    if (user.empty())
        return Status::invalid("DIGEST-MD5 password needs a user name");
    return digest_md5_secret(user, plain);
}

constexpr Scheme kSchemes[] = {
    {"PLAIN-MD5", Encoding::hex, 16, verify_digest, generate_digest},
    {"LDAP-MD5", Encoding::base64, 16, verify_digest, generate_digest},
    {"SHA", Encoding::base64, 20, verify_digest, generate_digest, false, "SHA1"},
    {"SHA1", Encoding::base64, 20, verify_digest, generate_digest},
    {"SHA256", Encoding::base64, 32, verify_digest, generate_digest},
    {"SHA512", Encoding::base64, 64, verify_digest, generate_digest},
    {"SMD5", Encoding::base64, 0, verify_salted, generate_salted},
    {"SSHA", Encoding::base64, 0, verify_salted, generate_salted},
    {"SSHA256", Encoding::base64, 0, verify_salted, generate_salted},
    {"SSHA512", Encoding::base64, 0, verify_salted, generate_salted},
    {"CRAM-MD5", Encoding::hex, 32, verify_cram, generate_cram},
    {"HMAC-MD5", Encoding::hex, 32, verify_cram, generate_cram, false, "CRAM-MD5"},
    {"DIGEST-MD5", Encoding::hex, 16, verify_digest_md5, generate_digest_md5},
};

} // namespace

std::span<const Scheme> digest_schemes() { return kSchemes; }

} // namespace mailstore::auth::password
