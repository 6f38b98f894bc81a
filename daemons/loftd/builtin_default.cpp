#include "builtin_default.hpp"

#include <fmt/format.h>

namespace loftd {

std::string builtin_default_config(const BuiltinDefaultOptions& o) {
    std::string text = fmt::format(R"(# Loft built-in default: used when loftd finds no config file.
# Loopback only; all data under {var}. Write your own loft.conf (Dovecot
# syntax) and start loftd with -c FILE to serve anything real.

protocols = imap pop3 lmtp sieve
listen = {listen}
base_dir = {var}/run
# loftd runs in a terminal here: log there.
log_path = /dev/stderr
)",
                                   fmt::arg("var", o.var_dir),
                                   fmt::arg("listen", o.ipv6 ? "127.0.0.1, ::1" : "127.0.0.1"));
    if (!o.mail_user.empty())
        text += fmt::format("\n# loftd runs as root: the workers run as this user.\nmail_uid = {}\nmail_gid = {}\n",
                            o.mail_user, o.mail_group);
    text += fmt::format(R"(
mail_location = maildir:{var}/mail/%u/Maildir

# Users: Dovecot passwd-file, one line per user ("user:{{SCHEME}}hash:uid:gid::home::").
passdb {{
  driver = passwd-file
  args = scheme=SHA512-CRYPT {var}/users
}}
userdb {{
  driver = passwd-file
  args = {var}/users
}}

# A self-signed certificate for CN=localhost, made on first start.
ssl = yes
ssl_cert = <{var}/tls/cert.pem
ssl_key = <{var}/tls/key.pem

service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    port = {lmtp}
  }}
}}
service managesieve-login {{
  inet_listener sieve {{
    port = {sieve}
  }}
}}
)",
                        fmt::arg("var", o.var_dir), fmt::arg("imap", BuiltinPorts::imap),
                        fmt::arg("imaps", BuiltinPorts::imaps), fmt::arg("pop3", BuiltinPorts::pop3),
                        fmt::arg("pop3s", BuiltinPorts::pop3s), fmt::arg("lmtp", BuiltinPorts::lmtp),
                        fmt::arg("sieve", BuiltinPorts::managesieve));
    return text;
}

} // namespace loftd
