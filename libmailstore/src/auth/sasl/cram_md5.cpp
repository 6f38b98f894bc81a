// CRAM-MD5 (RFC 2195): the server sends a unique challenge in the form of an
// RFC 822 msg-id, the client answers "user SP hex(HMAC-MD5(password,
// challenge))". The server needs the plaintext or the {CRAM-MD5} context.
#include "auth/crypto.hpp"
#include "auth/password/cram_md5.hpp"
#include "auth/sasl/mechanism_base.hpp"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace mailstore::auth::sasl {

std::string local_hostname(const MechanismSettings& settings) {
    if (!settings.hostname.empty())
        return settings.hostname;
    std::array<char, 256> buf{};
    if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return std::string(buf.data());
}

namespace {

class CramMd5 final : public MechanismBase {
public:
    CramMd5(Backend& backend, const MechanismSettings& settings) : backend_(backend) {
        // §2: "<random.timestamp@hostname>", unique per exchange: 64 random
        // bits and the time, as Dovecot sends it.
        std::string unique = settings.fixed_nonce;
        if (unique.empty()) {
            std::string r = crypto::random_bytes(8);
            std::uint64_t n = 0;
            std::memcpy(&n, r.data(), sizeof n);
            unique = std::to_string(n) + "." + std::to_string(static_cast<long long>(std::time(nullptr)));
        }
        challenge_ = "<" + unique + "@" + local_hostname(settings) + ">";
    }

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first) {
            // The server goes first; a client that sends data before the
            // challenge cannot have computed the answer.
            if (has_initial && !input.empty())
                return malformed("CRAM-MD5 does not take an initial response");
            return challenge(challenge_);
        }
        auto sp = input.rfind(' ');
        if (sp == std::string_view::npos)
            return malformed("CRAM-MD5 response without a space");
        std::string_view user = input.substr(0, sp);
        std::string_view hexdigest = input.substr(sp + 1);
        if (user.empty())
            return malformed("CRAM-MD5 response with an empty user name");
        if (user.find('\0') != std::string_view::npos)
            return malformed("CRAM-MD5 user name with a NUL");
        auto digest = crypto::unhex(hexdigest);
        if (hexdigest.size() != 32 || !digest)
            return malformed("CRAM-MD5 digest is not 32 hex digits");
        std::string credentials;
        Verdict v = backend_.lookup_credentials({}, user, "CRAM-MD5", credentials);
        if (v != Verdict::ok)
            return backend_failure(v);
        auto context = crypto::unhex(credentials);
        if (!context || context->size() != 32)
            return failure(Verdict::temp_fail, "stored CRAM-MD5 credentials are not 64 hex digits");
        std::string expected = password::hmac_md5_from_context(*context, challenge_);
        if (expected.size() != 16 || !crypto::constant_time_equal(expected, *digest))
            return failure(Verdict::mismatch, "password mismatch");
        v = backend_.credentials_verified();
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
    std::string challenge_;
};

} // namespace

std::unique_ptr<Mechanism> make_cram_md5(Backend& backend, const MechanismSettings& settings) {
    return std::make_unique<CramMd5>(backend, settings);
}

} // namespace mailstore::auth::sasl
