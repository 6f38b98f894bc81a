// LOGIN (draft-murchison-sasl-login, never an RFC): the server asks
// "Username:" and "Password:", the client answers each. An initial response
// is the user name, as Dovecot and the Microsoft clients have it.
#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {
namespace {

class Login final : public MechanismBase {
public:
    explicit Login(Backend& backend) : backend_(backend) {}

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        // An empty initial response ("=" in IMAP) carries no user name
        // either: ask for it, as Dovecot does.
        if (first && (!has_initial || input.empty()))
            return challenge("Username:");
        if (!have_user_) {
            if (input.empty())
                return malformed("LOGIN with an empty user name");
            if (input.find('\0') != std::string_view::npos)
                return malformed("LOGIN user name with a NUL");
            user_.assign(input);
            have_user_ = true;
            return challenge("Password:");
        }
        if (input.find('\0') != std::string_view::npos)
            return malformed("LOGIN password with a NUL");
        Verdict v = backend_.verify_password({}, user_, input);
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
    std::string user_;
    bool have_user_ = false;
};

} // namespace

std::unique_ptr<Mechanism> make_login(Backend& backend) { return std::make_unique<Login>(backend); }

} // namespace mailstore::auth::sasl
