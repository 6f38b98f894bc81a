// SASL server mechanisms, sans-I/O: each takes the client's decoded bytes
// and returns the next challenge or a verdict. They never see a password
// database: everything about users goes through a Backend, which the
// framework (authenticator.cpp) implements with the passdb chain.
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/export.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth::sasl {

enum class Verdict {
    ok,
    mismatch,     // wrong password / proof
    unknown_user,
    temp_fail,    // the backend failed
    unusable,     // the stored scheme cannot serve this mechanism
    refused,      // deny, nologin, allow_nets, anonymous not allowed ...
    malformed,    // the client sent something the mechanism cannot parse
};

class MAILSTORE_INTERNAL_API Backend {
public:
    virtual ~Backend() = default;
    // PLAIN, LOGIN: checks authcid's password. A non-empty authzid other
    // than authcid asks to log in as authzid (authcid is then a master user).
    virtual Verdict verify_password(std::string_view authzid, std::string_view authcid,
                                    std::string_view password) = 0;
    // CRAM-MD5, DIGEST-MD5, SCRAM-*: authcid's credentials in `scheme`, as
    // credentials_for() returns them, into `out`.
    virtual Verdict lookup_credentials(std::string_view authzid, std::string_view authcid, std::string_view scheme,
                                       std::string& out) = 0;
    // SCRAM-*: like lookup_credentials(authzid, authcid, scheme, out), but a
    // password stored as plaintext comes back as that plaintext with
    // `plaintext` set, so that the mechanism derives SCRAM credentials with
    // a salt that stays the same between attempts (a fresh salt each time
    // would tell such users apart from unknown ones, RFC 5802 §9). The
    // default asks lookup_credentials() for "PLAIN" and, only when that is
    // Verdict::unusable (the stored password is not a plaintext), for
    // `scheme`: two passdb lookups for SCRAM-stored users. A Backend that
    // can tell the stored scheme from one lookup may override it; the
    // verdicts and credentials_verified() work as for lookup_credentials().
    // (Defined here: an out-of-line virtual would make it the key function
    // and move Backend's typeinfo into the library, which mailstore.map
    // does not export.)
    virtual Verdict lookup_scram_credentials(std::string_view authzid, std::string_view authcid,
                                             std::string_view scheme, std::string& out, bool& plaintext) {
        // "PLAIN" credentials exist only for a password stored as
        // plaintext (credentials_for); any other stored scheme is unusable.
        plaintext = false;
        Verdict v = lookup_credentials(authzid, authcid, "PLAIN", out);
        if (v == Verdict::ok) {
            plaintext = true;
            return v;
        }
        out.clear();
        if (v != Verdict::unusable)
            return v;
        return lookup_credentials(authzid, authcid, scheme, out);
    }
    // The client proved it knows the credentials looked up last: complete
    // the login (the passdb result's nologin/allow_nets/user= checks).
    virtual Verdict credentials_verified() = 0;
    // EXTERNAL (the certificate's user) and ANONYMOUS: log in without a password.
    virtual Verdict login_without_password(std::string_view authzid, std::string_view user) = 0;
    virtual const ClientInfo& client() const = 0;
};

struct Step {
    enum class Kind { challenge, success, failure };
    Kind kind = Kind::failure;
    // challenge bytes, or success's final server data; on failure the
    // mechanism's own error message where it defines one (SCRAM's
    // "e=invalid-proof", RFC 5802 §7), which a protocol may relay or drop.
    std::string data;
    Verdict verdict = Verdict::ok; // failure: why
    std::string error;             // failure: details for the log ("wrong nonce")
};

class MAILSTORE_INTERNAL_API Mechanism {
public:
    virtual ~Mechanism() = default;
    // The first call has `first` set, with the initial response when
    // `has_initial` (SASL-IR); later calls carry the client's answer to the
    // last challenge. A call after success or failure fails.
    virtual Step step(std::string_view input, bool first, bool has_initial) = 0;
};

struct MechanismSettings {
    std::vector<std::string> realms;  // auth_realms (DIGEST-MD5)
    std::string default_realm;        // auth_default_realm
    std::string anonymous_username;   // auth_anonymous_username
    std::string hostname;             // DIGEST-MD5 default realm / SCRAM nothing
    // SCRAM PBKDF2 iterations for credentials made from a stored plaintext
    // and for the made-up credentials of unknown users; 0 means 4096, more
    // than max_scram_iterations is lowered to it (the server runs PBKDF2
    // with this count on every such attempt).
    unsigned scram_iterations = 4096;
    // Contract with the framework (whoever calls make_mechanism): set
    // plus_offered to true exactly when the mechanism list sent to this
    // client contains a SCRAM-*-PLUS mechanism, i.e. one is enabled AND
    // ClientInfo has channel_binding_type/data for this connection; leave it
    // false otherwise (no TLS, or no -PLUS enabled). The plain SCRAM
    // mechanisms then refuse a client-first-message with the GS2 flag "y"
    // ("I support channel binding but think the server does not"): such a
    // client saw a list with -PLUS removed in transit (RFC 5802 §6). The
    // failure is Verdict::refused, log text "SCRAM channel binding
    // downgrade", data "e=server-does-support-channel-binding", before any
    // passdb lookup. With plus_offered false, "y" is accepted as "n" is.
    // The -PLUS mechanisms themselves ignore it (they require "p").
    bool plus_offered = false;
    // Tests only: the server nonce of SCRAM and DIGEST-MD5 and the random
    // part of the CRAM-MD5 challenge, instead of fresh random bytes, so the
    // RFC examples can be replayed. Empty (the default) in real use.
    std::string fixed_nonce;
};

// Upper bound of MechanismSettings::scram_iterations (and of the stored
// iteration count SCRAM accepts, as verify_password does).
inline constexpr unsigned max_scram_iterations = 1'000'000;

// Largest client message any mechanism accepts (after base64 decoding):
// longer input fails with Verdict::malformed before it is parsed.
inline constexpr std::size_t max_client_input = 8192;

// Every mechanism Loft implements, upper-case: PLAIN LOGIN CRAM-MD5
// DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-1-PLUS SCRAM-SHA-256 SCRAM-SHA-256-PLUS
// EXTERNAL ANONYMOUS APOP.
MAILSTORE_INTERNAL_API const std::vector<std::string>& known_mechanisms();
// Its security flags; nullopt for an unknown name.
MAILSTORE_INTERNAL_API std::optional<MechanismInfo> mechanism_info(std::string_view name);
// A fresh exchange of `name` (nullptr for an unknown name). `backend`
// outlives the mechanism.
MAILSTORE_INTERNAL_API std::unique_ptr<Mechanism> make_mechanism(std::string_view name, Backend& backend,
                                          const MechanismSettings& settings);

} // namespace mailstore::auth::sasl
