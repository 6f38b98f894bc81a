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
