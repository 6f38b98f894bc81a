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
// `default_scheme`). `user` is needed by DIGEST-MD5 (which hashes
// "user:realm:password" and is checked with an empty realm and with the
// user's domain as realm). Returns true on a match, false on a mismatch.
// Fails with Code::invalid_argument for an unknown scheme ("unknown password
// scheme XYZ") or data the scheme cannot read ("malformed SSHA256 hash: ...").
MAILSTORE_API Result<bool> verify_password(std::string_view stored, std::string_view plaintext,
                                           std::string_view user = {}, std::string_view default_scheme = "PLAIN");

// Hashes `plaintext` in `scheme` with a fresh random salt where the scheme
// has one, returning "{SCHEME}data" exactly as `doveadm pw -s SCHEME` would
// (the scheme keeps its suffix: "{SHA256.HEX}..."). `user` is required for
// DIGEST-MD5. Fails with Code::invalid_argument for an unknown scheme.
MAILSTORE_API Result<std::string> hash_password(std::string_view scheme, std::string_view plaintext,
                                                std::string_view user = {});

// The credentials a challenge-response SASL mechanism needs, in
// `wanted_scheme` ("PLAIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
// "SCRAM-SHA-256"), from a stored password: the data part (no {} prefix) as
// hash_password(wanted_scheme, ...) would write it. A stored plaintext
// (PLAIN, CLEARTEXT, PLAIN.B64, ...) converts to any scheme; a stored value
// already in `wanted_scheme` is returned as stored. Anything else fails with
// Code::not_found and a message naming both schemes ("SHA512-CRYPT password
// cannot be used for CRAM-MD5"): the mechanism cannot work for this user.
MAILSTORE_API Result<std::string> credentials_for(std::string_view stored, std::string_view wanted_scheme,
                                                  std::string_view user = {},
                                                  std::string_view default_scheme = "PLAIN");

} // namespace mailstore::auth
