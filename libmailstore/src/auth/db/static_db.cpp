// passdb static: "password=X" and any extra fields, the same for every
// user (%variables expanded per request). userdb static: fixed fields such
// as "uid=vmail gid=vmail home=/srv/vmail/%d/%n"; without
// allow_all_users=yes it first asks the passdbs whether the user exists,
// as Dovecot does, so LMTP can refuse unknown recipients.
#include "auth/db/drivers.hpp"

namespace mailstore::auth {
namespace {

// Expands every value of `fields`; the first failure is returned.
Result<FieldList> expand_fields(const FieldList& fields, const AuthRequest& request) {
    FieldList out;
    for (const auto& [k, v] : fields) {
        auto e = request.expand(v);
        if (!e)
            return Status::invalid(k + ": " + e.status().message());
        out.set(k, *e);
    }
    return out;
}

class StaticPassdb final : public PassdbDriver {
public:
    explicit StaticPassdb(FieldList fields) {
        if (auto p = fields.get("password")) {
            password_ = *p;
            fields.erase("password");
        }
        fields_ = std::move(fields);
    }

    PassdbResult lookup(const AuthRequest& request) override {
        PassdbResult r;
        r.default_scheme = "PLAIN";
        auto password = request.expand(password_);
        auto fields = expand_fields(fields_, request);
        if (!password || !fields) {
            r.kind = PassdbResult::Kind::internal_failure;
            r.error = "static: failed to expand args: " +
                      (!password ? password.status().message() : fields.status().message());
            return r;
        }
        r.kind = PassdbResult::Kind::ok;
        r.password = std::move(*password);
        r.fields = std::move(*fields);
        return r;
    }
    // Nothing to gain from caching a result computed from the args alone.
    std::string cache_key() const override { return {}; }

private:
    std::string password_;
    FieldList fields_;
};

class StaticUserdb final : public UserdbDriver {
public:
    StaticUserdb(FieldList fields, bool allow_all_users, std::function<PassdbResult(const AuthRequest&)> passdb)
        : fields_(std::move(fields)), allow_all_users_(allow_all_users), passdb_(std::move(passdb)) {}

    UserdbResult lookup(const AuthRequest& request) override {
        UserdbResult r;
        if (!allow_all_users_) {
            if (!passdb_) {
                r.kind = UserdbResult::Kind::internal_failure;
                r.error = "static userdb: no passdb to confirm the user exists (set allow_all_users=yes)";
                return r;
            }
            PassdbResult p = passdb_(request);
            if (p.kind == PassdbResult::Kind::user_unknown) {
                r.kind = UserdbResult::Kind::user_unknown;
                return r;
            }
            if (p.kind == PassdbResult::Kind::internal_failure) {
                r.kind = UserdbResult::Kind::internal_failure;
                r.error = "static userdb: passdb lookup failed: " + p.error;
                return r;
            }
        }
        auto fields = expand_fields(fields_, request);
        if (!fields) {
            r.kind = UserdbResult::Kind::internal_failure;
            r.error = "static: failed to expand args: " + fields.status().message();
            return r;
        }
        r.kind = UserdbResult::Kind::ok;
        r.fields = std::move(*fields);
        return r;
    }
    std::string cache_key() const override { return {}; }

private:
    FieldList fields_;
    bool allow_all_users_;
    std::function<PassdbResult(const AuthRequest&)> passdb_;
};

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_static_passdb(const DriverArgs& args) {
    return std::unique_ptr<PassdbDriver>(std::make_unique<StaticPassdb>(parse_field_string(args.args)));
}

Result<std::unique_ptr<UserdbDriver>> make_static_userdb(const DriverArgs& args) {
    FieldList fields = parse_field_string(args.args);
    bool allow_all = false;
    if (auto v = fields.get("allow_all_users")) {
        if (*v == "yes" || *v == "y" || *v == "1" || v->empty())
            allow_all = true;
        else if (*v != "no" && *v != "n" && *v != "0")
            return Status::invalid(args.where.to_string() + ": static userdb: allow_all_users must be yes or no, not '" +
                                   *v + "'");
        fields.erase("allow_all_users");
    }
    return std::unique_ptr<UserdbDriver>(std::make_unique<StaticUserdb>(std::move(fields), allow_all, args.passdb_lookup));
}

} // namespace mailstore::auth
