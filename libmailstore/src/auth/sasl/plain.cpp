// PLAIN (RFC 4616): one client message, authzid NUL authcid NUL passwd.
#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {
namespace {

class Plain final : public MechanismBase {
public:
    explicit Plain(Backend& backend) : backend_(backend) {}

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        // The client goes first (RFC 4616 §2): without an initial response
        // the server asks for it with an empty challenge.
        if (first && !has_initial)
            return challenge({});
        // message = [authzid] UTF8NUL authcid UTF8NUL passwd (§2): exactly
        // two NULs; authcid and passwd are 1*SAFE, so neither is empty.
        auto nul1 = input.find('\0');
        if (nul1 == std::string_view::npos)
            return malformed("PLAIN message without NUL separators");
        auto nul2 = input.find('\0', nul1 + 1);
        if (nul2 == std::string_view::npos)
            return malformed("PLAIN message with one NUL separator");
        if (input.find('\0', nul2 + 1) != std::string_view::npos)
            return malformed("PLAIN message with more than two NULs");
        std::string_view authzid = input.substr(0, nul1);
        std::string_view authcid = input.substr(nul1 + 1, nul2 - nul1 - 1);
        std::string_view passwd = input.substr(nul2 + 1);
        if (authcid.empty())
            return malformed("PLAIN message with an empty authcid");
        if (passwd.empty())
            return malformed("PLAIN message with an empty password");
        Verdict v = backend_.verify_password(authzid, authcid, passwd);
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
};

} // namespace

std::unique_ptr<Mechanism> make_plain(Backend& backend) { return std::make_unique<Plain>(backend); }

} // namespace mailstore::auth::sasl
