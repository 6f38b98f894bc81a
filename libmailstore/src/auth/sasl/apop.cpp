// APOP (RFC 1939 §7) as a SASL-style mechanism, so POP3 checks it through
// the same Authenticator in process and through loft-authd (whose auth
// protocol forwards any mechanism). Never announced (MechanismInfo::private_):
// POP3 offers it with the timestamp in its greeting when auth_mechanisms
// lists "apop". One client message: the greeting's timestamp NUL user NUL
// the digest, 32 hex digits of MD5(timestamp password). The server needs
// the plaintext password (a passdb storing {PLAIN} or plain passwords).
//
// A timestamp is good for the one connection whose greeting carried it
// (RFC 1939 §7: it must differ in every greeting, so a sniffed APOP line
// cannot be replayed): POP3 writes it as <random.pid.session-id@host>, and
// the mechanism refuses one whose session id is not the requesting
// client's (ClientInfo::session_id, which loft-authd gets as session=).
#include "auth/crypto.hpp"
#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {
namespace {

// The session id in "<random.pid.session-id@host>": what follows the last
// '.' before the last '@'.
std::string_view session_of(std::string_view timestamp) {
    std::string_view inner = timestamp.substr(1, timestamp.size() - 2);
    auto at = inner.rfind('@');
    if (at == std::string_view::npos)
        return {};
    inner = inner.substr(0, at);
    auto dot = inner.rfind('.');
    if (dot == std::string_view::npos)
        return {};
    return inner.substr(dot + 1);
}

class Apop final : public MechanismBase {
public:
    explicit Apop(Backend& backend) : backend_(backend) {}

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first && !has_initial)
            return challenge({});
        auto nul1 = input.find('\0');
        auto nul2 = nul1 == std::string_view::npos ? nul1 : input.find('\0', nul1 + 1);
        if (nul2 == std::string_view::npos || input.find('\0', nul2 + 1) != std::string_view::npos)
            return malformed("APOP message is not challenge NUL user NUL digest");
        std::string_view timestamp = input.substr(0, nul1);
        std::string_view user = input.substr(nul1 + 1, nul2 - nul1 - 1);
        std::string_view hexdigest = input.substr(nul2 + 1);
        // RFC 1939 §7: the timestamp is a msg-id, "<...>".
        if (timestamp.size() < 3 || timestamp.front() != '<' || timestamp.back() != '>')
            return malformed("APOP challenge is not a <timestamp>");
        if (user.empty())
            return malformed("APOP with an empty user name");
        auto digest = crypto::unhex(hexdigest);
        if (hexdigest.size() != 32 || !digest)
            return malformed("APOP digest is not 32 hex digits");
        const std::string& session = backend_.client().session_id;
        if (session.empty() || session_of(timestamp) != session)
            return failure(Verdict::mismatch, "APOP timestamp is not this connection's");
        std::string password;
        Verdict v = backend_.lookup_credentials({}, user, "PLAIN", password);
        if (v != Verdict::ok)
            return backend_failure(v);
        std::string expected = crypto::md5(std::string(timestamp) + password);
        if (!crypto::constant_time_equal(expected, *digest))
            return failure(Verdict::mismatch, "password mismatch");
        v = backend_.credentials_verified();
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
};

} // namespace

std::unique_ptr<Mechanism> make_apop(Backend& backend) { return std::make_unique<Apop>(backend); }

} // namespace mailstore::auth::sasl
