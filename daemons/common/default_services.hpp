// Dovecot's built-in services and their listeners.
//
// Dovecot's stock configuration lists listeners without ports —
// `service imap-login { inet_listener imap { #port = 143 } }` — because the
// ports are built in: a listener the config does not mention, or mentions
// without `port`, still listens on its default port. This table holds those
// defaults so the same config behaves the same under Loft.
// listeners_for_service() merges it with the config.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace loft {

struct DefaultListener {
    enum class Kind { inet, unix_socket };
    Kind kind = Kind::inet;
    std::string_view name;     // "imaps"
    std::uint16_t port = 0;    // inet
    bool ssl = false;          // inet: implicit TLS
    std::string_view path;     // unix: relative to base_dir
    mode_t mode = 0600;        // unix
};

struct DefaultService {
    std::string_view service; // "imap-login"
    std::vector<DefaultListener> listeners;
};

// imap-login (imap 143, imaps 993 ssl), pop3-login (pop3 110, pop3s 995
// ssl), lmtp (unix_listener lmtp under base_dir, no inet listener),
// managesieve-login (sieve 4190).
const std::vector<DefaultService>& default_services();

// The entry for `service`, or nullptr when Dovecot has no listeners for it
// by default.
const DefaultService* find_default_service(std::string_view service);

} // namespace loft
