// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 §3, RFC 7677): Dovecot stores
// "iterations,base64(salt),base64(StoredKey),base64(ServerKey)", which is
// all a SCRAM server needs and never the password.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

namespace mailstore::auth::password {

namespace {

constexpr unsigned kIterations = 4096; // what `doveadm pw` 2.3 writes
constexpr std::size_t kSaltBytes = 16;

crypto::Digest digest_of(const Scheme& s) {
    return s.name == "SCRAM-SHA-1" ? crypto::Digest::sha1 : crypto::Digest::sha256;
}

struct ScramKeys {
    std::string stored_key, server_key;
};

// RFC 5802 §3: SaltedPassword := Hi(password, salt, i); ClientKey :=
// HMAC(SaltedPassword, "Client Key"); StoredKey := H(ClientKey); ServerKey
// := HMAC(SaltedPassword, "Server Key"). Hi is PBKDF2 with the HMAC.
ScramKeys derive(crypto::Digest d, std::string_view plain, std::string_view salt, unsigned iterations) {
    std::string salted = crypto::pbkdf2(d, plain, salt, iterations, crypto::digest_size(d));
    return {crypto::digest(d, crypto::hmac(d, salted, "Client Key")), crypto::hmac(d, salted, "Server Key")};
}

struct ScramStored {
    unsigned iterations = 0;
    std::string salt, stored_key, server_key;
};

// Parses the stored form; on failure `why` says what is wrong.
bool parse(const Scheme& s, std::string_view raw, ScramStored& out, std::string_view& why) {
    std::string_view fields[4];
    std::size_t n = 0, start = 0;
    for (std::size_t i = 0; i <= raw.size(); ++i) {
        if (i == raw.size() || raw[i] == ',') {
            if (n == 4) {
                why = "more than 4 fields";
                return false;
            }
            fields[n++] = raw.substr(start, i - start);
            start = i + 1;
        }
    }
    if (n != 4) {
        why = "fewer than 4 fields";
        return false;
    }
    if (!parse_bounded_uint(fields[0], kMaxIterations, out.iterations) || out.iterations == 0) {
        why = "iterations not a number from 1 to 1000000";
        return false;
    }
    auto salt = crypto::unbase64(fields[1]);
    auto stored = crypto::unbase64(fields[2]);
    auto server = crypto::unbase64(fields[3]);
    if (!salt || !stored || !server) {
        why = "invalid base64";
        return false;
    }
    std::size_t len = crypto::digest_size(digest_of(s));
    if (salt->empty() || stored->size() != len || server->size() != len) {
        why = "wrong salt or key length";
        return false;
    }
    out.salt = std::move(*salt);
    out.stored_key = std::move(*stored);
    out.server_key = std::move(*server);
    return true;
}

Result<bool> verify_scram(const Scheme& s, std::string_view raw, std::string_view plain, std::string_view) {
    ScramStored st;
    std::string_view why;
    if (!parse(s, raw, st, why))
        return malformed(s, why);
    ScramKeys k = derive(digest_of(s), plain, st.salt, st.iterations);
    // Both keys must match: a value with a foreign ServerKey is not this password's.
    bool a = crypto::constant_time_equal(k.stored_key, st.stored_key);
    bool b = crypto::constant_time_equal(k.server_key, st.server_key);
    return a && b;
}

Result<std::string> generate_scram(const Scheme& s, std::string_view plain, std::string_view) {
    std::string salt = crypto::random_bytes(kSaltBytes);
    ScramKeys k = derive(digest_of(s), plain, salt, kIterations);
    return std::to_string(kIterations) + "," + crypto::base64(salt) + "," + crypto::base64(k.stored_key) + "," +
           crypto::base64(k.server_key);
}

// Only a well-formed value can serve a SCRAM exchange.
constexpr Scheme kSchemes[] = {
    {"SCRAM-SHA-1", Encoding::none, 0, verify_scram, generate_scram},
    {"SCRAM-SHA-256", Encoding::none, 0, verify_scram, generate_scram},
};

} // namespace

std::span<const Scheme> scram_schemes() { return kSchemes; }

bool scram_well_formed(const Scheme& s, std::string_view raw, std::string_view& why) {
    ScramStored st;
    return parse(s, raw, st, why);
}

} // namespace mailstore::auth::password
