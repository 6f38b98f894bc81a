// userdb { driver = passwd }: the system's users (getpwnam_r), with the
// fields Dovecot returns: system_groups_user, uid, gid, home.
#include "auth/system/system_users.hpp"

#include <mutex>

namespace mailstore::auth {
namespace {

// getpwent() keeps one iteration state per process: serialize its users.
std::mutex pwent_mutex;

// Iterating stops after this many entries (a runaway NSS module).
constexpr std::size_t iterate_max = 10'000'000;

class PasswdUserdb final : public UserdbDriver {
public:
    PasswdUserdb(std::uint64_t first_uid, std::uint64_t last_uid) : first_uid_(first_uid), last_uid_(last_uid) {}

    UserdbResult lookup(const AuthRequest& request) override {
        UserdbResult r;
        auto e = system::lookup_passwd(request.user);
        if (e.found == system::Found::error) {
            r.kind = UserdbResult::Kind::internal_failure;
            r.error = "passwd: " + e.error;
            request.log.error(driver_log_prefix("passwd", request) + ": " + e.error);
            return r;
        }
        if (e.found == system::Found::no) {
            request.log.info(driver_log_prefix("passwd", request) + ": unknown user", log::Category::auth);
            return r;
        }
        r.kind = UserdbResult::Kind::ok;
        // Mail processes use it to initgroups() the user's supplementary
        // groups (mail_access_groups).
        r.fields.set("system_groups_user", e.name);
        r.fields.set("uid", std::to_string(e.uid));
        r.fields.set("gid", std::to_string(e.gid));
        r.fields.set("home", e.dir);
        return r;
    }

    bool can_iterate() const override { return true; }

    // Lists users whose uid is in first_valid_uid..last_valid_uid (system
    // accounts below the range cannot log in anyway), as Dovecot does.
    Status iterate(const std::function<bool(std::string_view user)>& each) override {
        std::vector<std::string> users;
        {
            std::lock_guard lock(pwent_mutex);
            setpwent();
            errno = 0;
            while (struct passwd* pw = getpwent()) {
                if (users.size() >= iterate_max)
                    break;
                if (pw->pw_uid < first_uid_ || (last_uid_ != 0 && pw->pw_uid > last_uid_))
                    continue;
                users.emplace_back(pw->pw_name ? pw->pw_name : "");
            }
            endpwent();
        }
        // The callback runs outside the lock: it may do lookups itself.
        for (const auto& u : users)
            if (!u.empty() && !each(u))
                break;
        return Status::ok();
    }

private:
    std::uint64_t first_uid_;
    std::uint64_t last_uid_;
};

} // namespace

Result<std::unique_ptr<UserdbDriver>> make_passwd_userdb(const DriverArgs& args) {
    if (Status st = system::check_plain_args(args); !st)
        return st;
    std::uint64_t first = 500, last = 0;
    if (args.config != nullptr) {
        first = args.config->get_uint("first_valid_uid");
        last = args.config->get_uint("last_valid_uid");
    }
    return std::unique_ptr<UserdbDriver>(std::make_unique<PasswdUserdb>(first, last));
}

} // namespace mailstore::auth
