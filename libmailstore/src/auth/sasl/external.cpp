// EXTERNAL (RFC 4422 Appendix A): the identity comes from outside SASL,
// here the client certificate the caller verified (ClientInfo::cert_username).
// The client's message is only an authorization identity.
#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {
namespace {

class External final : public MechanismBase {
public:
    explicit External(Backend& backend) : backend_(backend) {}

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first && !has_initial)
            return challenge({});
        const std::string& cert_user = backend_.client().cert_username;
        if (cert_user.empty())
            return failure(Verdict::refused, "EXTERNAL without a client certificate user");
        if (input.find('\0') != std::string_view::npos)
            return malformed("EXTERNAL authzid with a NUL");
        // A.1: an empty message asks for the identity the certificate
        // gives; another identity would need authorization rules we do not
        // have, so only the certificate's own name is accepted.
        if (!input.empty() && input != cert_user)
            return failure(Verdict::refused, "EXTERNAL authzid differs from the certificate user");
        Verdict v = backend_.login_without_password({}, cert_user);
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
};

} // namespace

std::unique_ptr<Mechanism> make_external(Backend& backend) { return std::make_unique<External>(backend); }

} // namespace mailstore::auth::sasl
