// Digests, HMAC, PBKDF2, randomness and encodings for password schemes and
// SASL mechanisms, over OpenSSL 3. Binary values are std::string of bytes.
#pragma once

#include <mailstore/export.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailstore::auth::crypto {

enum class Digest { md5, sha1, sha256, sha512 };

// Size of `d`'s output in bytes (16, 20, 32, 64).
MAILSTORE_INTERNAL_API std::size_t digest_size(Digest d);
MAILSTORE_INTERNAL_API std::string digest(Digest d, std::string_view data);
inline std::string md5(std::string_view data) { return digest(Digest::md5, data); }
inline std::string sha1(std::string_view data) { return digest(Digest::sha1, data); }
inline std::string sha256(std::string_view data) { return digest(Digest::sha256, data); }
inline std::string sha512(std::string_view data) { return digest(Digest::sha512, data); }
MAILSTORE_INTERNAL_API std::string hmac(Digest d, std::string_view key, std::string_view data);
// PBKDF2-HMAC (RFC 8018) with `iterations` rounds, `length` bytes of output.
MAILSTORE_INTERNAL_API std::string pbkdf2(Digest d, std::string_view password, std::string_view salt, unsigned iterations,
                   std::size_t length);

// `n` bytes from the OpenSSL CSPRNG (aborts if it cannot seed: no secret is
// ever made from weak randomness).
MAILSTORE_INTERNAL_API std::string random_bytes(std::size_t n);

// Equal length and content, in time that depends only on the lengths.
MAILSTORE_INTERNAL_API bool constant_time_equal(std::string_view a, std::string_view b);

// Lower-case hex, and its strict inverse (even length, hex digits of either case).
MAILSTORE_INTERNAL_API std::string hex(std::string_view bytes);
MAILSTORE_INTERNAL_API std::optional<std::string> unhex(std::string_view text);
// Standard base64 with padding (RFC 4648 §4), no line breaks, and a strict
// decoder: the alphabet only, correct padding, no whitespace; nullopt else.
MAILSTORE_INTERNAL_API std::string base64(std::string_view bytes);
MAILSTORE_INTERNAL_API std::optional<std::string> unbase64(std::string_view text);

} // namespace mailstore::auth::crypto
