#include "demo_user.hpp"

#include <openssl/rand.h>

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <memory>
#include <unistd.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;

std::string generate_password(std::size_t length) {
    static constexpr std::string_view alphabet =
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string password;
    while (password.size() < length) {
        unsigned char buf[64];
        if (RAND_bytes(buf, sizeof buf) != 1)
            continue; // the CSPRNG only fails before it is seeded; try again
        for (unsigned char byte : buf) {
            // Rejection sampling keeps every character equally likely.
            unsigned limit = 256 - 256 % alphabet.size();
            if (byte < limit && password.size() < length)
                password.push_back(alphabet[byte % alphabet.size()]);
        }
    }
    return password;
}

Result<std::string> hash_password_sha512_crypt(std::string_view password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    // nullptr random bytes: libcrypt takes them from the OS.
    if (!crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt))
        return Status::error(Status::Code::internal,
                             std::string("crypt_gensalt: ") + std::strerror(errno));
    auto data = std::make_unique<crypt_data>();
    std::string pw(password);
    const char* hashed = crypt_r(pw.c_str(), salt, data.get());
    if (!hashed || hashed[0] == '*')
        return Status::error(Status::Code::internal, "crypt: SHA512-CRYPT is not available");
    return "{SHA512-CRYPT}" + std::string(hashed);
}

std::string passwd_file_line(std::string_view user, std::string_view hashed_password,
                             std::string_view home) {
    return std::string(user) + ":" + std::string(hashed_password) + ":::" + ":" + std::string(home) + "::\n";
}

Status write_file_atomically(const std::string& path, std::string_view text, unsigned mode) {
    std::string tmp = path + ".tmp";
    unlink(tmp.c_str());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return Status::io("cannot create " + tmp + ": " + std::strerror(errno));
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            unlink(tmp.c_str());
            return Status::io("cannot write " + tmp + ": " + std::strerror(err));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    fchmod(fd, mode); // the umask may have taken bits away
    int synced = fsync(fd);
    int closed = close(fd);
    if (synced != 0 || closed != 0) {
        unlink(tmp.c_str());
        return Status::io("cannot write " + tmp + ": " + std::strerror(errno));
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        unlink(tmp.c_str());
        return Status::io("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
    }
    return Status::ok();
}

} // namespace loftd
