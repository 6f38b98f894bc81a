// The {CRAM-MD5} scheme's stored form and the HMAC-MD5 computed from it.
//
// HMAC-MD5 (RFC 2104) hashes the key XOR ipad and XOR opad as the first
// 64-byte block of the inner and outer MD5. Storing the MD5 state after that
// block (RFC 2195 §2 suggests exactly this) lets a server answer CRAM-MD5
// without the plaintext. Dovecot stores the outer state (A, B, C, D) then
// the inner state, each word as 32-bit little-endian: 32 bytes, 64 hex
// digits in {CRAM-MD5}. These bytes are as good as the password for
// CRAM-MD5: treat them as secret.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::auth::password {

// The 32 raw bytes {CRAM-MD5} stores for `password` (hex-encoded in the
// stored value). A password longer than 64 bytes is first replaced by its
// MD5, as RFC 2104 §2 requires of long HMAC keys.
MAILSTORE_INTERNAL_API std::string cram_md5_context(std::string_view password);

// HMAC-MD5(password, data), 16 raw bytes, from `context32` =
// cram_md5_context(password). Returns an empty string when `context32` is
// not exactly 32 bytes.
MAILSTORE_INTERNAL_API std::string hmac_md5_from_context(std::string_view context32, std::string_view data);

} // namespace mailstore::auth::password
