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
    unsigned scram_iterations = 4096; // for credentials made from plaintext
    // A SCRAM-*-PLUS mechanism is announced on this connection (it is
    // enabled and the connection has channel binding data). A client that
    // then answers a plain SCRAM with the "y" flag has seen a downgraded
    // mechanism list and is refused (RFC 5802 §6).
    bool plus_offered = false;
    // Tests only: the server nonce of SCRAM and DIGEST-MD5 and the random
    // part of the CRAM-MD5 challenge, instead of fresh random bytes, so the
    // RFC examples can be replayed. Empty (the default) in real use.
    std::string fixed_nonce;
};

// Largest client message any mechanism accepts (after base64 decoding):
// longer input fails with Verdict::malformed before it is parsed.
inline constexpr std::size_t max_client_input = 8192;

// Every mechanism Loft implements, upper-case: PLAIN LOGIN CRAM-MD5
// DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-1-PLUS SCRAM-SHA-256 SCRAM-SHA-256-PLUS
// EXTERNAL ANONYMOUS.
MAILSTORE_INTERNAL_API const std::vector<std::string>& known_mechanisms();
// Its security flags; nullopt for an unknown name.
MAILSTORE_INTERNAL_API std::optional<MechanismInfo> mechanism_info(std::string_view name);
// A fresh exchange of `name` (nullptr for an unknown name). `backend`
// outlives the mechanism.
MAILSTORE_INTERNAL_API std::unique_ptr<Mechanism> make_mechanism(std::string_view name, Backend& backend,
                                          const MechanismSettings& settings);

} // namespace mailstore::auth::sasl
