// ARGON2I and ARGON2ID through libargon2, stored as its encoded string
// "$argon2id$v=19$m=65536,t=3,p=1$salt$hash" (salt and hash in base64
// without padding). As in Dovecot, the type in the string decides, not the
// scheme name. The parameters are parsed here and bounded (scheme.hpp)
// before anything is allocated; the hash is recomputed raw and compared in constant time.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

#include <argon2.h>

#include <vector>

namespace mailstore::auth::password {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

struct Params {
    argon2_type type = Argon2_id;
    unsigned version = ARGON2_VERSION_10; // no "v=" field: the 1.0 format
    unsigned m = 0, t = 0, p = 0;
    std::string salt, hash;
};

bool take(std::string_view& s, std::string_view prefix) {
    if (s.substr(0, prefix.size()) != prefix)
        return false;
    s.remove_prefix(prefix.size());
    return true;
}

// The text up to the next '$' (or the end), consumed with the '$'.
std::string_view field(std::string_view& s) {
    auto d = s.find('$');
    std::string_view f = s.substr(0, d);
    s.remove_prefix(d == std::string_view::npos ? s.size() : d + 1);
    return f;
}

bool parse(std::string_view raw, Params& out, std::string_view& why) {
    if (take(raw, "$argon2id$"))
        out.type = Argon2_id;
    else if (take(raw, "$argon2i$"))
        out.type = Argon2_i;
    else {
        why = "not $argon2i$ or $argon2id$";
        return false;
    }
    if (take(raw, "v=")) {
        std::string_view v = field(raw);
        if (v == "19")
            out.version = ARGON2_VERSION_13;
        else if (v != "16") {
            why = "unknown version";
            return false;
        }
    }
    std::string_view params = field(raw);
    if (!take(params, "m=") || !parse_bounded_uint(params.substr(0, params.find(',')), kMaxArgon2MemoryKiB, out.m)) {
        why = "memory cost missing or above 256 MiB";
        return false;
    }
    params.remove_prefix(std::min(params.size(), params.find(',') + 1));
    if (!take(params, "t=") || !parse_bounded_uint(params.substr(0, params.find(',')), kMaxArgon2Passes, out.t)) {
        why = "time cost missing or above 10";
        return false;
    }
    params.remove_prefix(std::min(params.size(), params.find(',') + 1));
    if (!take(params, "p=") || !parse_bounded_uint(params, kMaxArgon2Lanes, out.p)) {
        why = "parallelism missing or above 8";
        return false;
    }
    if (static_cast<unsigned long long>(out.m) * out.t > kMaxArgon2MemoryPassesKiB) {
        why = "memory cost times time cost above 256 MiB";
        return false;
    }
    std::string_view salt = field(raw);
    std::string_view hash = raw;
    if (hash.find('$') != std::string_view::npos || !decode_base64_unpadded(salt, out.salt) ||
        !decode_base64_unpadded(hash, out.hash)) {
        why = "invalid salt or hash";
        return false;
    }
    if (out.salt.size() < ARGON2_MIN_SALT_LENGTH || out.hash.size() < ARGON2_MIN_OUTLEN || out.hash.size() > 1024) {
        why = "salt or hash length out of range";
        return false;
    }
    if (out.t < ARGON2_MIN_TIME || out.p < 1 || out.m < 8 * out.p) {
        why = "cost parameters below argon2's minimum";
        return false;
    }
    return true;
}

Result<bool> verify_argon2(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    Params p;
    std::string_view why;
    if (!parse(raw, p, why))
        return malformed(s, why);
    std::string out(p.hash.size(), '\0');
    int rc = argon2_hash(p.t, p.m, p.p, plain.data(), plain.size(), p.salt.data(), p.salt.size(), out.data(),
                         out.size(), nullptr, 0, p.type, p.version);
    if (rc != ARGON2_OK)
        return malformed(s, argon2_error_message(rc));
    return crypto::constant_time_equal(out, p.hash);
}

Result<std::string> generate_argon2(const Scheme& s, std::string_view plain, std::string_view) {
    // `doveadm pw` 2.3's costs: ARGON2I t=4 m=32 MiB, ARGON2ID t=3 m=64 MiB, one lane.
    bool id = s.name == "ARGON2ID";
    argon2_type type = id ? Argon2_id : Argon2_i;
    std::uint32_t t = id ? 3 : 4, m = id ? 65536 : 32768, lanes = 1;
    std::string salt = crypto::random_bytes(kSaltBytes);
    std::vector<char> encoded(argon2_encodedlen(t, m, lanes, kSaltBytes, kHashBytes, type) + 1);
    int rc = argon2_hash(t, m, lanes, plain.data(), plain.size(), salt.data(), salt.size(), nullptr, kHashBytes,
                         encoded.data(), encoded.size(), type, ARGON2_VERSION_13);
    if (rc != ARGON2_OK)
        return Status::error(Status::Code::internal, std::string(s.name) + ": " + argon2_error_message(rc));
    return std::string(encoded.data());
}

constexpr Scheme kSchemes[] = {
    {"ARGON2I", Encoding::none, 0, verify_argon2, generate_argon2},
    {"ARGON2ID", Encoding::none, 0, verify_argon2, generate_argon2},
};

} // namespace

std::span<const Scheme> argon2_schemes() { return kSchemes; }

} // namespace mailstore::auth::password
