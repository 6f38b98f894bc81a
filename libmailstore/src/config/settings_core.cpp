// Global settings Loft implements. Defaults follow Dovecot 2.3 where Loft
// behaves the same, so `loftconf -n` on a Dovecot config stays short.
#include "config/settings_tables.hpp"

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr SettingInfo kCore[] = {
    // Paths and identity
    {"base_dir", T::string, "/run/loft", "",
     "Directory for runtime files: the pid file, admin and auth sockets.", "", true},
    {"instance_name", T::string, "loft", "",
     "Name of this instance, shown in process titles and logs; tells several instances apart.", "", false},
    {"listen", T::list, "*, ::", "",
     "Addresses the inet listeners bind to, comma- or space-separated; * is all IPv4, :: all IPv6.",
     "", true},
    {"protocols", T::list, "imap pop3 lmtp", "",
     "Protocols loftd serves: imap pop3 lmtp sieve, or none.", "", true},
    {"shutdown_clients", T::boolean, "yes", "",
     "Whether stopping or restarting loftd also disconnects the clients of its workers.", "", false},

    // Logging
    {"log_path", T::string, "syslog", "",
     "Where errors and warnings go: a file, syslog, or /dev/stderr (empty also means stderr).",
     "", true},
    {"info_log_path", T::string, "", "",
     "Where informational messages go; empty means the same place as log_path.", "", true},
    {"debug_log_path", T::string, "", "",
     "Where debug messages go; empty means the same place as info_log_path.", "", true},
    {"log_timestamp", T::string, "%b %d %H:%M:%S ", "",
     "strftime() prefix of each line written to a log file.", "", true},
    {"syslog_facility", T::string, "mail", "", "Syslog facility used when logging to syslog.",
     "", true},
    {"auth_verbose", T::boolean, "no", "", "Log unsuccessful authentication attempts and why.",
     "", true},
    {"auth_debug", T::boolean, "no", "", "Log authentication debugging details.", "", true},
    {"mail_debug", T::boolean, "no", "",
     "Log how mail storage is located and opened (debug level).", "", true},
    {"verbose_proctitle", T::boolean, "no", "",
     "Show user, address and current command in the process title.", "", true},

    // TLS
    {"ssl", T::enumeration, "yes", "no|yes|required",
     "TLS support: no, yes (offered), required (no plaintext authentication without TLS).", "",
     true},
    {"ssl_cert", T::string, "", "",
     "Server certificate chain in PEM, usually given as <file (leaf first, then intermediates).",
     "", true},
    {"ssl_key", T::string, "", "", "Private key of ssl_cert in PEM, usually given as <file.", "",
     true},
    {"ssl_key_password", T::string, "", "", "Password of an encrypted ssl_key.", "", true},
    {"ssl_ca", T::string, "", "",
     "CA certificates (PEM, <file) used to verify client certificates.", "", true},
    {"ssl_min_protocol", T::enumeration, "TLSv1.2", "TLSv1.2|TLSv1.3|TLSv1.1|TLSv1|SSLv3|ANY|LATEST",
     "Oldest TLS protocol version accepted.", "", true},
    {"ssl_cipher_list", T::string,
     "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:!RC4:!ADH:!LOW@STRENGTH",
     "", "OpenSSL cipher list for TLS 1.2 and older.", "", true},
    {"ssl_cipher_suites", T::string, "", "",
     "OpenSSL TLS 1.3 cipher suites; empty means OpenSSL's default.", "", true},
    {"ssl_prefer_server_ciphers", T::boolean, "no", "",
     "Prefer the server's cipher order over the client's.", "", true},
    {"ssl_dh", T::string, "", "",
     "Diffie-Hellman parameters in PEM (<file); empty uses OpenSSL's built-in groups.", "", true},
    {"ssl_verify_client_cert", T::boolean, "no", "",
     "Request a client certificate and verify it against ssl_ca / ssl_client_ca_*.", "", true},
    {"ssl_client_ca_file", T::string, "", "",
     "File of CA certificates trusted for verifying client certificates.", "", true},
    {"ssl_client_ca_dir", T::string, "", "",
     "Hashed directory of CA certificates trusted for verifying client certificates.", "", true},

    // PROXY protocol
    {"haproxy_trusted_networks", T::list, "", "",
     "Networks whose connections must start with a PROXY protocol v1/v2 header.", "", true},
    {"haproxy_timeout", T::time, "3 secs", "",
     "How long to wait for the PROXY protocol header before giving up.", "", true},

    // Users and privileges
    {"mail_uid", T::string, "", "",
     "System user (name or uid) that mail is accessed as; empty uses the userdb's uid.", "", true},
    {"mail_gid", T::string, "", "",
     "System group (name or gid) that mail is accessed as; empty uses the userdb's gid.", "", true},
    {"first_valid_uid", T::uint, "500", "", "Lowest uid allowed to log in.", "", true},
    {"last_valid_uid", T::uint, "0", "", "Highest uid allowed to log in; 0 means no limit.", "",
     true},
    {"default_internal_user", T::string, "loft", "",
     "Unprivileged system user that internal helper processes run as.", "", false},

    // Mail storage
    {"mail_location", T::string, "", "",
     "Where mail is stored, format:path, e.g. maildir:~/Maildir; empty autodetects.", "", true},
    {"mail_fsync", T::enumeration, "optimized", "optimized|always|never",
     "When to fsync mail files: optimized (when it matters), always, never.", "", true},

    // Protocol limits and timeouts
    {"login_greeting", T::string, "Loft ready.", "",
     "Text of the IMAP greeting, after \"* OK [CAPABILITY ...]\".", "", true},
    {"imap_max_line_length", T::size, "64k", "",
     "Longest IMAP command line accepted (literals excluded); longer lines disconnect.", "", true},
    {"managesieve_max_line_length", T::size, "64k", "",
     "Longest ManageSieve command line accepted (literals excluded).", "", true},
    {"mail_max_userip_connections", T::uint, "10", "",
     "Concurrent connections allowed per user from one IP address; enforced by loft-imapd when a "
     "user logs in (the session's on_login hook).", "", true},
    {"login_max_connections_per_ip", T::uint, "100", "",
     "Loft: concurrent connections accepted from one client address before login; 0 = no limit.",
     "", true},
    {"imap_idle_notify_interval", T::time, "2 mins", "",
     "How often an IDLE-ing IMAP client gets \"* OK Still here\" when nothing changed.", "", true},
    {"imap_hibernate_timeout", T::time, "0", "",
     "How long an IMAP session waits in IDLE before it is hibernated: reduced to its socket, IDLE tag "
     "and the client's view of the mailbox, and rebuilt on a change or on input; 0 = never "
     "(docs/imapd.md, \"Hibernation\").", "", true},
    {"imap_progress_interval", T::time, "10 secs", "",
     "Loft: how often a long IMAP FETCH, COPY, SEARCH, SORT or THREAD sends \"* OK [INPROGRESS ...]\" "
     "progress (RFC 9585), the first this long after the command started; 0 = at every check "
     "(every 256 messages or 500 searched bodies), which tests use.", "", true},
    {"imap_capability", T::string, "", "",
     "IMAP CAPABILITY list after login: empty = Loft's own, \"+WORDS\" appends to it (also before "
     "login), anything else replaces it.", "", true},
    {"imap_logout_format", T::string,
     "in=%i out=%o deleted=%{deleted} expunged=%{expunged} trashed=%{trashed} hdr_count=%{fetch_hdr_count} "
     "hdr_bytes=%{fetch_hdr_bytes} body_count=%{fetch_body_count} body_bytes=%{fetch_body_bytes}", "",
     "Counters in the IMAP logout log line: %i/%o bytes in/out, %{deleted} %{expunged} %{trashed} "
     "%{autoexpunged} %{fetch_hdr_count} %{fetch_hdr_bytes} %{fetch_body_count} %{fetch_body_bytes}.",
     "", true},
    {"imap_id_send", T::string, "name *", "",
     "ID fields sent to IMAP clients as key value pairs; * is Loft's value (name, os, os-version).", "",
     true},
    {"imap_id_log", T::string, "", "",
     "ID fields from IMAP clients to log (\"ID sent: ...\"), space-separated; * logs all.", "", true},
    {"imap_literal_minus", T::boolean, "no", "",
     "Advertise LITERAL- (RFC 7888) instead of LITERAL+: non-synchronizing literals up to 4096 bytes.", "",
     true},
    {"imap_utf8_accept", T::boolean, "yes", "",
     "Loft: offer UTF8=ACCEPT (RFC 9755). While it is offered, a session that has enabled neither "
     "UTF8=ACCEPT nor IMAP4rev2 may not APPEND a message with 8-bit octets in its header (NO "
     "[CANNOT], RFC 9755 section 4); no: not offered, and such messages are taken from every session, "
     "as Dovecot 2.3 does (migrations with imapsync, clients that save raw 8-bit headers).",
     "", true},
    {"imap_max_append_size", T::size, "256M", "",
     "Loft: the largest message APPEND accepts; advertised as APPENDLIMIT (RFC 7889).", "", true},
    {"imap_save_limit", T::uint, "0", "",
     "Loft: the most messages one COPY/UID COPY or one MULTIAPPEND APPEND may save; more are refused "
     "with NO [MESSAGELIMIT] and nothing is saved. Advertised as SAVELIMIT (RFC 9738, which asks for "
     "at least 1000); 0 means no limit. imap_message_limit, when set, takes its place.",
     "", true},
    {"imap_message_limit", T::uint, "0", "",
     "Loft: the most messages one FETCH, SEARCH, STORE, MOVE or UID EXPUNGE (and their UID forms) "
     "works on: it does the ones with the highest UIDs and answers OK [MESSAGELIMIT n uid] so the "
     "client can go on from there; COPY and MULTIAPPEND over it are refused. Advertised as "
     "MESSAGELIMIT (RFC 9738, which asks for at least 1000); 0 means no limit.",
     "", true},
    {"login_inactivity_timeout", T::time, "3 mins", "",
     "Loft: disconnect a client that sends nothing for this long before logging in.", "", true},
    {"imap_inactivity_timeout", T::time, "30 mins", "",
     "Loft: disconnect a logged-in IMAP client idle this long (not during IDLE).", "", true},
    {"pop3_inactivity_timeout", T::time, "10 mins", "",
     "Loft: disconnect a logged-in POP3 client idle this long.", "", true},
    {"lmtp_inactivity_timeout", T::time, "5 mins", "",
     "Loft: disconnect an LMTP client idle this long.", "", true},
    {"managesieve_inactivity_timeout", T::time, "30 mins", "",
     "Loft: disconnect a logged-in ManageSieve client idle this long.", "", true},

    // Processes
    {"default_process_limit", T::uint, "100", "",
     "process_limit of services that do not set one (Dovecot's 100). A cap: loftd starts "
     "process_min_avail workers per service if > 0, else min(process_limit, CPU cores).",
     "", true},
    {"default_client_limit", T::uint, "1000", "",
     "client_limit of services that do not set one.", "", true},
    {"default_vsz_limit", T::size, "256M", "",
     "vsz_limit (address space limit) of services that do not set one; 0 = unlimited.", "", true},
    {"default_idle_kill", T::time, "1 mins", "",
     "idle_kill of services that do not set one.", "", false},
};

} // namespace

std::span<const SettingInfo> core_settings() { return kCore; }

} // namespace mailstore::config
