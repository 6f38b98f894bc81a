// Password schemes: stored passwords as Dovecot writes them, "{SCHEME}data",
// read and written. The scheme in braces always wins; without it the
// caller's default scheme applies (passwd-file `scheme=`, SQL
// `default_pass_scheme`). Scheme names are case-insensitive; a ".HEX" or
// ".B64" suffix (SHA256.HEX) selects the encoding of the digest.
//
// Supported: PLAIN, CLEARTEXT, CRYPT, MD5-CRYPT (alias MD5), SHA256-CRYPT,
// SHA512-CRYPT, BLF-CRYPT, PLAIN-MD5, LDAP-MD5, SMD5, SHA (SHA1), SSHA,
// SHA256, SSHA256, SHA512, SSHA512, CRAM-MD5, DIGEST-MD5, SCRAM-SHA-1,
// SCRAM-SHA-256, PBKDF2, ARGON2I, ARGON2ID. Every hash `doveadm pw` 2.3
// produces for these verifies here, and the reverse. Comparisons of secrets
// run in constant time.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth {

// A stored password split into its scheme and data. `scheme` is upper-case
// and keeps its encoding suffix ("SHA256.HEX"); without a {} prefix it is
// `default_scheme` (upper-cased). A value that starts with "{" but has no
// closing "}" is taken as data of the default scheme, as Dovecot does.
struct StoredPassword {
    std::string scheme;
    std::string data;
};
MAILSTORE_API StoredPassword split_stored_password(std::string_view stored, std::string_view default_scheme);

// Whether `scheme` (with or without an encoding suffix) is one Loft knows.
MAILSTORE_API bool is_known_scheme(std::string_view scheme);

// The schemes Loft can verify and generate, upper-case, sorted (what
// `loftadm pw -l` prints).
MAILSTORE_API std::vector<std::string> password_schemes();

// Checks `plaintext` against `stored` ("{SCHEME}data", or data in
// `default_scheme`). `user` is needed by DIGEST-MD5, which hashes
// "name:realm:password" with the user split at its last '@' as `doveadm pw
// -u` splits it ("a@b@c" is name "a@b", realm "c"; no '@': empty realm).
// Returns true on a match, false on a mismatch. Fails with
// Code::invalid_argument for an unknown scheme ("unknown password scheme
// XYZ") or data the scheme cannot read ("malformed SSHA256 hash: ..."),
// including a cost above the bounds in docs/password-schemes.md (SHA-crypt,
// PBKDF2 and SCRAM over 1 000 000 rounds, bcrypt cost over 13, yescrypt
// over cost 8, Argon2 over 256 MiB, 10 passes, 8 lanes or 256 MiB-passes),
// refused before any hashing so that no stored value costs more than about
// a second. A password longer than 4096 bytes is a mismatch. In the crypt(3)
// schemes the account-locking values of shadow(5) (empty, "x", anything
// starting with '!' or '*') are a mismatch, not an error.
MAILSTORE_API Result<bool> verify_password(std::string_view stored, std::string_view plaintext,
                                           std::string_view user = {}, std::string_view default_scheme = "PLAIN");

// Hashes `plaintext` in `scheme` with a fresh random salt where the scheme
// has one, returning "{SCHEME}data" exactly as `doveadm pw -s SCHEME` would
// (the scheme keeps its suffix: "{SHA256.HEX}..."). `user` is required for
// DIGEST-MD5. Fails with Code::invalid_argument for an unknown scheme.
MAILSTORE_API Result<std::string> hash_password(std::string_view scheme, std::string_view plaintext,
                                                std::string_view user = {});

// hash_password with an explicit cost, as `doveadm pw -r ROUNDS`: the
// rounds of SHA256-CRYPT / SHA512-CRYPT (written as "rounds=N$" unless N is
// the default 5000; libcrypt raises N below 1000 to 1000), the cost of
// BLF-CRYPT and CRYPT ($2y$NN$, raised to at least 4) or the PBKDF2 rounds.
// `rounds` 0 is hash_password. Fails with invalid_argument for another
// scheme ("scheme SHA256 has no rounds") and for a cost above what
// verify_password accepts (1 000 000 rounds, bcrypt cost 13), so that every
// hash written can also be checked.
MAILSTORE_API Result<std::string> hash_password_rounds(std::string_view scheme, std::string_view plaintext,
                                                       std::string_view user, unsigned rounds);

// The credentials a challenge-response SASL mechanism needs, in
// `wanted_scheme` ("PLAIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
// "SCRAM-SHA-256"), from a stored password: the data part (no {} prefix) as
// hash_password(wanted_scheme, ...) would write it. A stored plaintext
// (PLAIN, CLEARTEXT, PLAIN.B64, ...) converts to any scheme (SCRAM with a
// fresh salt and 4096 iterations each time); a stored value already in
// `wanted_scheme` (HMAC-MD5 counts as CRAM-MD5) is checked and returned in
// that scheme's own encoding, whatever suffix it was stored with: CRAM-MD5
// and DIGEST-MD5 as lower-case hex, SCRAM as "i,salt,StoredKey,ServerKey".
// A malformed stored value or an unknown scheme fails with
// Code::invalid_argument, like verify_password. Anything else fails with
// Code::not_found and a message naming both schemes ("SHA512-CRYPT password
// cannot be used for CRAM-MD5"): the mechanism cannot work for this user.
MAILSTORE_API Result<std::string> credentials_for(std::string_view stored, std::string_view wanted_scheme,
                                                  std::string_view user = {},
                                                  std::string_view default_scheme = "PLAIN");

} // namespace mailstore::auth
