#include "default_services.hpp"

namespace loft {

const std::vector<DefaultService>& default_services() {
    using K = DefaultListener::Kind;
    static const std::vector<DefaultService> services = {
        {"imap-login",
         {{K::inet, "imap", 143, false, {}, 0600}, {K::inet, "imaps", 993, true, {}, 0600}}},
        {"pop3-login",
         {{K::inet, "pop3", 110, false, {}, 0600}, {K::inet, "pop3s", 995, true, {}, 0600}}},
        // Dovecot's LMTP listens on base_dir/lmtp only; an inet listener
        // is the admin's choice.
        {"lmtp", {{K::unix_socket, "lmtp", 0, false, "lmtp", 0666}}},
        {"managesieve-login", {{K::inet, "sieve", 4190, false, {}, 0600}}},
        // loft-authd (docs/authd.md "Sockets"). auth-client answers "is this
        // password right" for anyone who can connect: root only, as in
        // Dovecot; Postfix gets its own listener (private/auth, user =
        // postfix). auth-userdb hands out every user's uid, home and mail
        // location: Dovecot makes it 0666, Loft 0660, and loftd gives it to
        // the mail workers' user and group (mail_uid/mail_gid) so LMTP and
        // loftadm (root) reach it but other local users do not.
        // auth-login speaks the auth-client protocol for the login side of
        // the mail workers (loft-imapd): they run as the mail user, so
        // loftd gives it to that user, mode 0600 — the counterpart of
        // Dovecot's login/ sockets, which only its login processes reach.
        {"auth",
         {{K::unix_socket, "auth-client", 0, false, "auth-client", 0600},
          {K::unix_socket, "auth-userdb", 0, false, "auth-userdb", 0660},
          {K::unix_socket, "auth-login", 0, false, "auth-login", 0600}}},
    };
    return services;
}

const DefaultService* find_default_service(std::string_view service) {
    for (const auto& s : default_services())
        if (s.service == service)
            return &s;
    return nullptr;
}

} // namespace loft
