// The benchmark's users: 100,000 of them in a passwd-file per password
// scheme and in one SQLite database, generated once into a cache directory
// and reused by later runs.
#pragma once

#include <cstddef>
#include <string>

namespace bench_auth {

// The two password schemes measured: a cheap salted digest and the
// expensive crypt(3) scheme Dovecot recommends.
enum class Scheme { cheap, sha512_crypt };
const char* scheme_name(Scheme scheme); // "SSHA256", "SHA512-CRYPT"

struct Dataset {
    std::string dir;
    std::size_t users = 0;
    std::string passwd_file(Scheme scheme) const;
    std::string sqlite_file() const;
    // SQL column holding the passwords in `scheme`.
    static const char* password_column(Scheme scheme);
};

// "user<i>@example.com"
std::string user_name(std::size_t index);
// The password of user `index`.
std::string password_of(std::size_t index);

// Creates the files under `dir` unless a complete set for `users` is there
// already. SHA512-CRYPT is slow to generate (milliseconds per hash), so
// that column holds 1000 distinct hashes of 1000 distinct passwords, user
// i getting number i % 1000: verifying costs the same as with 100,000
// distinct hashes. Returns an error message, or "" on success.
std::string prepare_dataset(const std::string& dir, std::size_t users, Dataset& out);

} // namespace bench_auth
