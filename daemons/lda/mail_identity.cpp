#include "mail_identity.hpp"

#include <privileges.hpp>

#include <string>
#include <unistd.h>

namespace lda {

namespace {

mailstore::config::LookupContext lda_context() {
    mailstore::config::LookupContext ctx;
    ctx.protocol = "lda";
    return ctx;
}

mailstore::Status refused(std::string message) {
    return mailstore::Status::error(mailstore::Status::Code::permission_denied, std::move(message));
}

// Dovecot's wording, so an admin's grep for it finds Loft's line too.
mailstore::Status check_uid(const mailstore::config::Config& config, unsigned long uid, std::string_view source) {
    unsigned long first = config.get_uint("first_valid_uid");
    unsigned long last = config.get_uint("last_valid_uid");
    if (uid == 0 || uid < first || (last != 0 && uid > last))
        return refused("Mail access for users with UID " + std::to_string(uid) +
                       " not permitted (see first_valid_uid in config file, uid from " + std::string(source) + ")");
    return mailstore::Status::ok();
}

} // namespace

mailstore::Status become_mail_user(const mailstore::config::Config& config,
                                   const mailstore::storage::UserSettings& settings) {
    // 0 stands for "not given": uid 0 and gid 0 are refused below anyway.
    unsigned long uid = settings.uid.value_or(0);
    unsigned long gid = settings.gid.value_or(0);
    std::string source = "userdb lookup";
    if (uid == 0) {
        if (std::string mail_uid = config.get("mail_uid", lda_context()); !mail_uid.empty()) {
            auto account = loft::lookup_user(mail_uid);
            if (!account)
                return refused("mail_uid: " + account.status().message());
            uid = account->uid;
            if (gid == 0 && config.get("mail_gid", lda_context()).empty())
                gid = account->gid;
            source = "mail_uid setting";
        }
    }
    if (gid == 0) {
        if (std::string mail_gid = config.get("mail_gid", lda_context()); !mail_gid.empty()) {
            auto group = loft::lookup_group(mail_gid);
            if (!group)
                return refused("mail_gid: " + group.status().message());
            gid = *group;
        }
    }

    if (::getuid() != 0) {
        // Not root: deliver as ourselves. A different uid in the userdb
        // means the MTA runs us as the wrong user.
        unsigned long self = ::geteuid();
        if (uid != 0 && uid != self)
            return refused("user " + settings.username + " has uid " + std::to_string(uid) +
                           " but loft-lda runs as uid " + std::to_string(self) +
                           ": run it as that user (the MTA's pipe user= or mailbox_command) or as root");
        return check_uid(config, self, uid != 0 ? source : "the invoking user");
    }
    if (uid == 0 && !settings.uid)
        return refused("user " + settings.username +
                       ": the userdb gives no uid and mail_uid is not set: refusing to deliver as root");
    if (auto st = check_uid(config, uid, source); !st)
        return st;
    if (gid == 0)
        return refused("user " + settings.username +
                       ": the userdb gives no gid (or gid 0) and mail_gid is not set: refusing to deliver as root");
    loft::Credentials creds;
    creds.user_name = settings.username;
    creds.uid = static_cast<uid_t>(uid);
    creds.gid = static_cast<gid_t>(gid);
    // A virtual user has no entry in the group database: only its gid.
    creds.init_supplementary_groups = false;
    return loft::drop_privileges(creds);
}

} // namespace lda
