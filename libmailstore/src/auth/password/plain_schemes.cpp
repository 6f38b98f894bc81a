// PLAIN, CLEARTEXT and CLEAR: the password itself. Dovecot treats the three
// names alike; PLAIN.B64 / PLAIN.HEX store it encoded.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

namespace mailstore::auth::password {

namespace {

Result<bool> verify_plain(const Scheme&, std::string_view raw, std::string_view plain, std::string_view) {
    return crypto::constant_time_equal(raw, plain);
}

Result<std::string> generate_plain(const Scheme&, std::string_view plain, std::string_view) {
    return std::string(plain);
}

constexpr Scheme kSchemes[] = {
    {"PLAIN", Encoding::none, 0, verify_plain, generate_plain, true},
    {"CLEARTEXT", Encoding::none, 0, verify_plain, generate_plain, true},
    {"CLEAR", Encoding::none, 0, verify_plain, generate_plain, true},
};

} // namespace

std::span<const Scheme> plain_schemes() { return kSchemes; }

} // namespace mailstore::auth::password
