// userdb prefetch: the userdb fields a passdb already returned (its
// userdb_* extras, which the framework copies to request.userdb_fields
// with the prefix removed). A lookup without a passdb step (LMTP, loftadm
// user) has none: user_unknown, so the next userdb answers.
#include "auth/db/drivers.hpp"

namespace mailstore::auth {
namespace {

class PrefetchUserdb final : public UserdbDriver {
public:
    UserdbResult lookup(const AuthRequest& request) override {
        UserdbResult r;
        if (request.userdb_fields.empty()) {
            r.kind = UserdbResult::Kind::user_unknown;
            return r;
        }
        r.kind = UserdbResult::Kind::ok;
        r.fields = request.userdb_fields;
        return r;
    }
    // The fields come with the request: nothing to cache.
    std::string cache_key() const override { return {}; }
};

} // namespace

Result<std::unique_ptr<UserdbDriver>> make_prefetch_userdb(const DriverArgs& args) {
    if (!args.args.empty() && args.args.find_first_not_of(" \t") != std::string::npos)
        return Status::invalid(args.where.to_string() + ": prefetch userdb takes no args");
    return std::unique_ptr<UserdbDriver>(std::make_unique<PrefetchUserdb>());
}

} // namespace mailstore::auth
