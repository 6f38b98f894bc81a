// Authentication for embedders and daemons: "verify this login" (SASL or a
// plain user/password), "look up this user" (userdb), "list all users".
//
// An Authenticator is built from a Config: its passdb { } and userdb { }
// blocks in file order and the auth_* settings (docs/auth.md). It owns the
// drivers, the auth cache and the failure-penalty table, so everything that
// shares one Authenticator shares those. loft-authd holds one and serves it
// over Dovecot's auth protocol; a program that links libmailstore can hold
// its own.
//
// Threads: every method may be called from any thread at once. Lookups block
// (file reads, SQL, PAM, password hashing): call them from a worker pool,
// never from an event-loop thread. Failure delays are not slept here: the
// reply says how long the caller should wait before answering the client.
#pragma once

#include <mailstore/auth/fields.hpp>
#include <mailstore/export.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::config {
class Config;
}

namespace mailstore::auth {

// Who is authenticating. Used for %variables (%s %r %l), allow_nets, the
// plaintext policy, penalties and log lines.
struct ClientInfo {
    std::string service;   // "imap", "pop3", "smtp", "lmtp", "sieve", "doveadm"
    std::string remote_ip; // empty when unknown (local tools)
    std::string local_ip;
    unsigned remote_port = 0;
    unsigned local_port = 0;
    // The channel is protected (TLS). Loopback clients and
    // login_trusted_networks count as secured even without it; an empty
    // remote_ip does not (an in-process tool that wants plaintext
    // mechanisms under disable_plaintext_auth sets secured).
    bool secured = false;
    std::string session_id; // for log lines; may be empty
    // EXTERNAL: the user name from a client certificate the caller verified
    // (empty: none).
    std::string cert_username;
    // SCRAM-*-PLUS: the channel binding type ("tls-unique",
    // "tls-exporter") and its data, taken from the TLS session. With data
    // here and a -PLUS mechanism in auth_mechanisms, a plain SCRAM client
    // that answers with the GS2 flag "y" is refused as a downgrade
    // (RFC 5802 §6).
    std::string channel_binding_type;
    std::string channel_binding_data;
    // The caller keeps its own penalty (Postfix sends "nopenalty"): do not
    // add to or apply the failure penalty of this IP.
    bool no_penalty = false;
};

// One SASL mechanism on offer, with the security properties Dovecot's auth
// protocol announces in its MECH lines (Postfix filters on them).
struct MechanismInfo {
    std::string name;            // "PLAIN", "SCRAM-SHA-256-PLUS", ...
    bool plaintext = false;      // the password crosses the wire (PLAIN, LOGIN)
    bool dictionary = false;     // open to passive dictionary attacks (CRAM-MD5, DIGEST-MD5)
    bool active = false;         // open to active (non-dictionary) attacks
    bool anonymous = false;      // ANONYMOUS
    bool forward_secrecy = false;
    bool mutual_auth = false;    // the server proves itself too (DIGEST-MD5, SCRAM)
    bool private_ = false;       // not announced, usable when asked for (EXTERNAL)
};

// The answer to one step of an authentication.
struct AuthReply {
    enum class Kind {
        challenge,         // send `data` to the client and wait for its answer
        success,           // authenticated as `user`
        failure,           // refused (wrong password, unknown user, nologin, ...)
        temporary_failure, // the backend failed; the client should try later
    };
    Kind kind = Kind::failure;
    // challenge: the raw bytes to send (the protocol base64-encodes them).
    // success: final server data for mechanisms that have some (SCRAM's
    // server-final-message), else empty.
    std::string data;
    // success: the user name to log in as (after auth_username_format, a
    // passdb `user=` field, and for a master login the target user).
    // failure and temporary_failure: the name the client tried, formatted
    // the same way (for a master login "target*master", the target, as
    // Dovecot reports it), for `FAIL\tid\tuser=...`. Empty when the login
    // was refused before a name was known (malformed client data, a name
    // with characters outside auth_username_chars).
    std::string user;
    // success through a master user: the master's name, else empty.
    std::string master_user;
    // success and failure: the passdb's extra fields that the caller acts
    // on (nologin, reason, proxy, proxy_maybe, host, port, destuser, pass,
    // nodelay, ...), and the prefetched userdb fields with their userdb_
    // prefix removed.
    FieldList passdb_fields;
    FieldList userdb_fields;
    // failure: a reason that may be shown to the client (a nologin
    // `reason=`); empty means the protocol's generic "authentication
    // failed". Never reveals whether the user exists.
    std::string reason;
    // failure: wait this long before telling the client (auth_failure_delay,
    // grown by the penalty for this IP); zero with `nodelay`.
    std::chrono::milliseconds delay{0};
};

// The result of a passdb or userdb lookup without a password.
struct LookupResult {
    enum class Kind { found, not_found, temporary_failure };
    Kind kind = Kind::not_found;
    std::string user;   // the canonical user name (a `user=` field applied)
    FieldList fields;   // userdb: uid, gid, home, mail, quota_rule, ...; passdb: extra fields
    std::string error;  // temporary_failure: what failed, for logs
};

class AuthenticatorImpl;

// One SASL exchange. Obtained from Authenticator::begin(); feed it the
// client's responses until a reply other than challenge comes back.
class MAILSTORE_API AuthSession {
public:
    // `response` is the decoded client data. The first call passes the
    // initial response (SASL-IR) with `has_initial_response`; a mechanism
    // that expects the client to go first and gets no initial response
    // answers with an empty challenge. After a final reply, further calls
    // return failure.
    AuthReply step(std::string_view response, bool has_initial_response = true);
    const std::string& mechanism() const;

    AuthSession(AuthSession&&) noexcept;
    AuthSession& operator=(AuthSession&&) noexcept;
    ~AuthSession();

    struct State;
    explicit AuthSession(std::unique_ptr<State> state);

private:
    std::unique_ptr<State> state_;
};

class MAILSTORE_API Authenticator {
public:
    // Builds the passdb and userdb chains and reads the auth settings. Fails
    // (Code::invalid_argument, naming file:line) for an unknown driver, bad
    // driver arguments, an unreadable passwd-file that is not templated, an
    // unknown mechanism in auth_mechanisms, or a bad %variable.
    static Result<Authenticator> create(const config::Config& config,
                                        log::Logger logger = log::Logger("auth"));

    // The mechanisms of auth_mechanisms (and the private ones), in order.
    std::vector<MechanismInfo> mechanisms() const;

    // Starts a SASL exchange. Fails with Code::not_found for a mechanism
    // that is not enabled, and Code::permission_denied for a plaintext
    // mechanism on an insecure connection when disable_plaintext_auth (or
    // auth_allow_cleartext = no) forbids it.
    Result<AuthSession> begin(std::string_view mechanism, const ClientInfo& client) const;

    // User name and password, as IMAP LOGIN and POP3 USER/PASS send them
    // (the same checks as PLAIN, including master logins "user*master").
    AuthReply verify_plain(std::string_view user, std::string_view password, const ClientInfo& client) const;

    // userdb lookup (LMTP, loftadm user, shared folders): the user's
    // environment. auth_username_format applies to `user`.
    LookupResult lookup_user(std::string_view user, const ClientInfo& client) const;
    // passdb lookup without a password (loftadm auth lookup, LMTP proxying):
    // the passdb's extra fields, the password never included.
    LookupResult lookup_pass(std::string_view user, const ClientInfo& client) const;

    // Every user of the userdbs that can list them (passwd-file, passwd,
    // sql iterate_query), each passed to `each` once per userdb; `each`
    // returning false stops. Fails when a userdb cannot list (temporary
    // failure of the backend).
    Status iterate_users(const std::function<bool(std::string_view user)>& each) const;

    // Drops every cached lookup (what `loftadm auth cache flush` asks for).
    void flush_cache() const;

    struct CacheStats {
        std::uint64_t hits = 0;
        std::uint64_t misses = 0;
        std::uint64_t entries = 0;
    };
    CacheStats cache_stats() const;

    explicit Authenticator(std::shared_ptr<AuthenticatorImpl> impl);
    const std::shared_ptr<AuthenticatorImpl>& impl() const { return impl_; }

private:
    std::shared_ptr<AuthenticatorImpl> impl_;
};

} // namespace mailstore::auth
