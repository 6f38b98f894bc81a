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

// Bounds on stored values, so that a hostile or broken passdb entry (an SQL
// self-service user can write their own hash) cannot make one login take
// more than about a second or more than 256 MiB. Measured on the reference
// machine (2 cores, loaded) with each bound at its maximum: SHA512-crypt
// 1 000 000 rounds 0.31 s, SHA256-crypt 0.21 s, PBKDF2-SHA1 0.25 s,
// SCRAM-SHA-256 0.28 s; bcrypt cost 13 0.44 s (14: 0.85 s, 15: 2.3 s);
// yescrypt cost 8 ($y$jCT$) 0.39 s and 128 MiB (cost 11: 2.7 s, 1 GiB);
// Argon2 256 MiB x 1 pass 1.07 s, i.e. about 4 ms per MiB-pass (doveadm's
// ARGON2ID default m=65536,t=3,p=1 takes 0.74 s). The numbers are in
// docs/password-schemes.md.
inline constexpr std::size_t kMaxStoredLength = 8192;    // "{SCHEME}data", bytes
inline constexpr std::size_t kMaxPlaintextLength = 4096; // a password to check or hash
inline constexpr unsigned kMaxIterations = 1'000'000;    // SHA-crypt rounds, PBKDF2, SCRAM
inline constexpr unsigned kMaxBcryptCost = 13;           // 2^13 Blowfish rounds
// yescrypt: the N character of "$y$jNr$" at most this one (libxcrypt cost 8,
// N = 2^15, 128 MiB with r = 32), the r character at most 'T' (r = 32).
inline constexpr char kMaxYescryptN = 'C';
inline constexpr char kMaxYescryptR = 'T';
// Argon2: memory (m, KiB) and passes (t) each bounded, and their product
// too, since the time is proportional to m * t: 256 MiB-passes, just above
// doveadm's default of 192. Lanes (p) run as threads inside libargon2.
inline constexpr unsigned kMaxArgon2MemoryKiB = 256u << 10;           // 256 MiB
inline constexpr unsigned kMaxArgon2Passes = 10;
inline constexpr unsigned kMaxArgon2Lanes = 8;
inline constexpr unsigned long long kMaxArgon2MemoryPassesKiB = 256ull << 10; // m * t

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
