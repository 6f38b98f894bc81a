// The demo user of the built-in default: a random password, stored hashed in
// a Dovecot passwd-file, and in clear in a 0600 file so a later start can
// tell the admin again.
#pragma once

#include <mailstore/status.hpp>

#include <string>
#include <string_view>

namespace loftd {

// A random password of `length` letters and digits (no look-alikes such as
// 0/O and 1/l, so it survives being read off a terminal and typed in).
std::string generate_password(std::size_t length = 16);

// "{SHA512-CRYPT}$6$<salt>$<hash>", the form Dovecot's passwd-file expects,
// hashed with libcrypt and a random salt.
mailstore::Result<std::string> hash_password_sha512_crypt(std::string_view password);

// One passwd-file line: "user:{SCHEME}hash:uid:gid::home::" with uid and gid
// left empty (they come from mail_uid/mail_gid).
std::string passwd_file_line(std::string_view user, std::string_view hashed_password,
                             std::string_view home);

// Write `text` to `path` with `mode` through a temporary file and rename().
mailstore::Status write_file_atomically(const std::string& path, std::string_view text, unsigned mode);

} // namespace loftd
