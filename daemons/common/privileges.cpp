#include "privileges.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace loft {

using mailstore::Result;
using mailstore::Status;

namespace {

bool parse_id(std::string_view text, unsigned long& out) {
    if (text.empty())
        return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

// getpwnam_r/getgrnam_r need a caller buffer whose size the system only
// suggests; grow it until the entry fits.
template <typename Entry, typename Fn>
bool nss_lookup(Fn&& fn, Entry& entry, std::vector<char>& buf) {
    long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
    buf.resize(suggested > 0 ? static_cast<size_t>(suggested) : 4096);
    for (;;) {
        Entry* result = nullptr;
        int rc = fn(&entry, buf.data(), buf.size(), &result);
        if (rc == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        return rc == 0 && result != nullptr;
    }
}

} // namespace

Result<UserAccount> lookup_user(std::string_view name_or_uid) {
    std::string key(name_or_uid);
    passwd pw{};
    std::vector<char> buf;
    unsigned long numeric = 0;
    bool is_number = parse_id(name_or_uid, numeric);
    bool found = is_number
        ? nss_lookup<passwd>([&](passwd* e, char* b, size_t n, passwd** r) {
              return getpwuid_r(static_cast<uid_t>(numeric), e, b, n, r);
          }, pw, buf)
        : nss_lookup<passwd>([&](passwd* e, char* b, size_t n, passwd** r) {
              return getpwnam_r(key.c_str(), e, b, n, r);
          }, pw, buf);
    if (found)
        return UserAccount{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : ""};
    if (is_number)
        return UserAccount{key, static_cast<uid_t>(numeric), static_cast<gid_t>(numeric), ""};
    return Status::not_found("unknown user '" + key + "'");
}

Result<gid_t> lookup_group(std::string_view name_or_gid) {
    unsigned long numeric = 0;
    if (parse_id(name_or_gid, numeric))
        return static_cast<gid_t>(numeric);
    std::string key(name_or_gid);
    group gr{};
    std::vector<char> buf;
    if (nss_lookup<group>([&](group* e, char* b, size_t n, group** r) {
            return getgrnam_r(key.c_str(), e, b, n, r);
        }, gr, buf))
        return gr.gr_gid;
    return Status::not_found("unknown group '" + key + "'");
}

std::string Credentials::describe() const {
    return user_name + " (uid " + std::to_string(uid) + ", gid " + std::to_string(gid) + ")";
}

Result<Credentials> resolve_credentials(std::string_view user, std::string_view group,
                                        std::string_view what) {
    auto account = lookup_user(user);
    if (!account)
        return Status::invalid(std::string(what) + ": " + account.status().message());
    Credentials creds;
    creds.user_name = account->name;
    creds.uid = account->uid;
    creds.gid = account->gid;
    unsigned long numeric = 0;
    // A bare number with no passwd entry has no group list to initialise.
    creds.init_supplementary_groups = !(parse_id(user, numeric) && account->name == user);
    if (!group.empty()) {
        auto gid = lookup_group(group);
        if (!gid)
            return Status::invalid(std::string(what) + ": " + gid.status().message());
        creds.gid = *gid;
    }
    return creds;
}

Status check_worker_credentials(const Credentials& creds, std::string_view what,
                                unsigned long first_valid_uid, unsigned long last_valid_uid) {
    if (creds.uid == 0)
        return Status::error(Status::Code::permission_denied,
            std::string(what) + ": refusing to run workers as root (" + creds.user_name +
            ", uid 0); set it to an unprivileged user such as vmail");
    if (creds.gid == 0)
        return Status::error(Status::Code::permission_denied,
            std::string(what) + ": refusing to run workers with gid 0 (" + creds.describe() +
            "); set mail_gid or the service's group to an unprivileged group");
    if (creds.uid < first_valid_uid)
        return Status::error(Status::Code::permission_denied,
            std::string(what) + ": " + creds.describe() + " is below first_valid_uid = " +
            std::to_string(first_valid_uid) +
            "; use another user or lower first_valid_uid");
    if (last_valid_uid != 0 && creds.uid > last_valid_uid)
        return Status::error(Status::Code::permission_denied,
            std::string(what) + ": " + creds.describe() + " is above last_valid_uid = " +
            std::to_string(last_valid_uid) + "; use another user or raise last_valid_uid");
    return Status::ok();
}

std::vector<gid_t> supplementary_groups(const Credentials& creds) {
    std::vector<gid_t> groups;
    if (creds.init_supplementary_groups) {
        int n = 32;
        for (int attempt = 0; attempt < 8; ++attempt) {
            groups.resize(static_cast<size_t>(n));
            int count = n;
            if (getgrouplist(creds.user_name.c_str(), creds.gid, groups.data(), &count) >= 0) {
                groups.resize(static_cast<size_t>(count));
                return groups;
            }
            n = count > n ? count : n * 2;
        }
    }
    groups.assign(1, creds.gid);
    return groups;
}

int drop_privileges_prepared(uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                             const char** step) noexcept {
    *step = "setgroups";
    if (setgroups(groups.size(), groups.data()) != 0)
        return errno;
    *step = "setgid";
    if (setgid(gid) != 0)
        return errno;
    *step = "setuid";
    if (setuid(uid) != 0)
        return errno;
    // setuid() from root drops the saved uid too; prove it, because a worker
    // that can get root back is no better than one that never left it.
    *step = "verify";
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return EPERM;
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
        return EPERM;
    *step = "";
    return 0;
}

Status drop_privileges(const Credentials& creds) {
    const char* step = "";
    int err = drop_privileges_prepared(creds.uid, creds.gid, supplementary_groups(creds), &step);
    if (err != 0)
        return Status::error(Status::Code::permission_denied,
            "cannot become " + creds.describe() + ": " + step + ": " + std::strerror(err));
    return Status::ok();
}

} // namespace loft
