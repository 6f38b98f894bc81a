// The inside of the password schemes: each scheme family (plain, digests,
// crypt(3), SCRAM, PBKDF2, Argon2) provides a table of Scheme entries that
// scheme_table.cpp looks names up in. A scheme works on "raw" data: the
// stored value after its encoding (hex, base64 or none) was removed.
#pragma once

#include <mailstore/status.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mailstore::auth::password {

// How the raw bytes appear in "{SCHEME}data" when the name has no suffix.
enum class Encoding { none, hex, base64 };

// Bounds on stored values, so that a hostile or broken passdb entry cannot
// make one login take minutes or gigabytes (documented in
// docs/password-schemes.md).
inline constexpr std::size_t kMaxStoredLength = 8192;    // "{SCHEME}data", bytes
inline constexpr std::size_t kMaxPlaintextLength = 4096; // a password to check or hash
inline constexpr unsigned kMaxIterations = 1'000'000;    // SHA-crypt rounds, PBKDF2, SCRAM
inline constexpr unsigned kMaxBcryptCost = 15;           // 2^15 Blowfish rounds
inline constexpr unsigned kMaxArgon2MemoryKiB = 1u << 20; // 1 GiB
inline constexpr unsigned kMaxArgon2Passes = 32;
inline constexpr unsigned kMaxArgon2Lanes = 16;

struct Scheme {
    std::string_view name;     // canonical upper-case name
    Encoding encoding;         // default encoding of the raw data
    std::size_t raw_size;      // fixed raw length (digests), 0 when variable
    // Checks `plain` against raw stored data. A malformed value fails with
    // invalid_argument "malformed NAME hash: why".
    Result<bool> (*verify)(const Scheme& self, std::string_view raw, std::string_view plain, std::string_view user);
    // Raw data for `plain`, with a fresh salt where the scheme has one.
    Result<std::string> (*generate)(const Scheme& self, std::string_view plain, std::string_view user);
    // Whether the raw data is the plaintext itself (PLAIN, CLEARTEXT ...):
    // such passwords convert to any other scheme.
    bool is_plaintext = false;
    // The scheme this name is an alias of for credentials ("HMAC-MD5" is
    // "CRAM-MD5"); empty when it is its own.
    std::string_view canonical = {};
};

std::span<const Scheme> plain_schemes();
std::span<const Scheme> digest_schemes();
std::span<const Scheme> crypt_schemes();
std::span<const Scheme> scram_schemes();
std::span<const Scheme> pbkdf2_schemes();
std::span<const Scheme> argon2_schemes();

// "malformed NAME hash: why", as invalid_argument.
Status malformed(const Scheme& s, std::string_view why);

// Standard base64 without the trailing '=' padding (Argon2 encoded strings,
// RFC 4648 §3.2), decoded strictly; nullopt on anything else.
std::string base64_unpadded(std::string_view bytes);
bool decode_base64_unpadded(std::string_view text, std::string& out);

// Decimal without sign or leading '+', at most `max`; false otherwise.
bool parse_bounded_uint(std::string_view text, unsigned max, unsigned& out);

} // namespace mailstore::auth::password

namespace mailstore::auth::password {
// Raw data with an explicit cost (`doveadm pw -r`): SHA-crypt rounds or the
// bcrypt cost for the crypt(3) schemes, within the bounds above.
Result<std::string> generate_crypt_rounds(const Scheme& s, std::string_view plain, unsigned rounds);
Result<std::string> generate_pbkdf2_rounds(std::string_view plain, unsigned rounds);
// Whether raw data is a well-formed SCRAM value of `s`; `why` says what is wrong.
bool scram_well_formed(const Scheme& s, std::string_view raw, std::string_view& why);
} // namespace mailstore::auth::password
