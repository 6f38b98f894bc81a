// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), with and without
// channel binding (-PLUS: tls-unique, RFC 5929; tls-exporter, RFC 9266).
//
//   C: gs2-header client-first-message-bare      (n=user,r=cnonce)
//   S: r=cnonce+snonce,s=salt,i=iterations
//   C: c=base64(gs2-header [cb-data]),r=cnonce+snonce,p=ClientProof
//   S: v=ServerSignature                         (success data)
//
// The server needs only StoredKey and ServerKey ({SCRAM-SHA-*} stores
// "iterations,salt,StoredKey,ServerKey", as doveadm pw writes it), or the
// plaintext from which it derives them itself.
//
// User enumeration (RFC 5802 §9): the server-first-message must not tell
// whether a user exists or how its password is stored. Only users stored as
// {SCRAM-SHA-*} get their own salt and iteration count; for everyone else
// (stored plaintext, unknown user, a stored hash SCRAM cannot use, a
// passdb that refuses the user) the salt is HMAC(per-process key, user) and
// the count is the configured default, so it is the same on every attempt
// and the same kind of value for all of them; such exchanges fail only at
// the proof, with the same "e=invalid-proof" as a wrong password.
#include "auth/crypto.hpp"
#include "auth/sasl/mechanism_base.hpp"

#include <charconv>
#include <optional>
#include <vector>

namespace mailstore::auth::sasl {
namespace {

constexpr std::size_t max_attributes = 16;
// The client nonce is echoed in the server-first-message; real clients send
// 16..48 characters. Longer ones are refused so the reply stays small.
constexpr std::size_t max_client_nonce = 512;
// Salt length of credentials made here, as hash_password's {SCRAM-SHA-*}.
constexpr std::size_t derived_salt_bytes = 16;

struct Credentials {
    unsigned iterations = 0;
    std::string salt;
    std::string stored_key;
    std::string server_key;
};

std::vector<std::string_view> split_commas(std::string_view s, std::size_t limit) {
    std::vector<std::string_view> out;
    for (;;) {
        if (out.size() == limit)
            return {};
        auto comma = s.find(',');
        out.push_back(s.substr(0, comma));
        if (comma == std::string_view::npos)
            return out;
        s.remove_prefix(comma + 1);
    }
}

// "iterations,salt,StoredKey,ServerKey" with base64 fields.
std::optional<Credentials> parse_credentials(std::string_view text, std::size_t key_size) {
    auto f = split_commas(text, 5);
    if (f.size() != 4)
        return std::nullopt;
    Credentials c;
    auto [p, ec] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), c.iterations);
    if (ec != std::errc() || p != f[0].data() + f[0].size() || c.iterations == 0 ||
        c.iterations > max_scram_iterations)
        return std::nullopt;
    auto salt = crypto::unbase64(f[1]);
    auto stored = crypto::unbase64(f[2]);
    auto server = crypto::unbase64(f[3]);
    if (!salt || salt->empty() || !stored || stored->size() != key_size || !server || server->size() != key_size)
        return std::nullopt;
    c.salt = std::move(*salt);
    c.stored_key = std::move(*stored);
    c.server_key = std::move(*server);
    return c;
}

// saslname (RFC 5802 §7): "=2C" stands for ',' and "=3D" for '='; any other
// '=' and NUL are invalid.
std::optional<std::string> decode_saslname(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\0')
            return std::nullopt;
        if (s[i] != '=') {
            out.push_back(s[i]);
            continue;
        }
        std::string_view esc = s.substr(i + 1, 2);
        if (esc == "2C")
            out.push_back(',');
        else if (esc == "3D")
            out.push_back('=');
        else
            return std::nullopt;
        i += 2;
    }
    return out;
}

// printable = %x21-2B / %x2D-7E (RFC 5802 §7), the nonce's characters.
bool printable_nonce(std::string_view s) {
    if (s.empty())
        return false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7E || c == ',')
            return false;
    }
    return true;
}

// attr-val = ALPHA "=" value: an extension (§7). The attributes the
// protocol defines may not appear again as extensions.
bool valid_extension(std::string_view attr) {
    if (attr.size() < 2 || attr[1] != '=')
        return false;
    char a = attr[0];
    if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z')))
        return false;
    return std::string_view("acimnprsv").find(a) == std::string_view::npos;
}

bool valid_cb_name(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    return true;
}

// The per-process key of derived salts. It changes when the process
// restarts, for plaintext-stored and unknown users alike.
const std::string& salt_key() {
    static const std::string key = crypto::random_bytes(32);
    return key;
}

// The salt of every user without stored SCRAM credentials: the same for a
// user on every attempt, and unrelated between SCRAM-SHA-1 and -256 as two
// separately stored hashes would be.
std::string derived_salt(std::string_view scheme, std::string_view user) {
    std::string input(scheme);
    input.push_back('\0');
    input.append(user);
    return crypto::hmac(crypto::Digest::sha256, salt_key(), input).substr(0, derived_salt_bytes);
}

// RFC 5802 §3: SaltedPassword = Hi(password, salt, i), ClientKey =
// HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey), ServerKey
// = HMAC(SaltedPassword, "Server Key"). `iterations` is always the
// configured default here, never a stored or client-chosen count.
Credentials derive_credentials(crypto::Digest d, std::string_view password, std::string salt, unsigned iterations) {
    std::string salted = crypto::pbkdf2(d, password, salt, iterations, crypto::digest_size(d));
    Credentials c;
    c.iterations = iterations;
    c.salt = std::move(salt);
    c.stored_key = crypto::digest(d, crypto::hmac(d, salted, "Client Key"));
    c.server_key = crypto::hmac(d, salted, "Server Key");
    return c;
}

class Scram final : public MechanismBase {
public:
    Scram(Backend& backend, const MechanismSettings& settings, ScramHash hash, bool plus)
        : backend_(backend), digest_(hash == ScramHash::sha1 ? crypto::Digest::sha1 : crypto::Digest::sha256),
          scheme_(hash == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256"), plus_(plus),
          plus_offered_(settings.plus_offered), default_iterations_(settings.scram_iterations),
          server_nonce_(settings.fixed_nonce) {
        if (server_nonce_.empty())
            server_nonce_ = crypto::base64(crypto::random_bytes(18));
        if (default_iterations_ == 0)
            default_iterations_ = 4096;
        if (default_iterations_ > max_scram_iterations)
            default_iterations_ = max_scram_iterations;
    }

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first && !has_initial)
            return challenge({}); // §5: the client goes first
        if (!sent_server_first_)
            return client_first(input);
        return client_final(input);
    }

private:
    static Step error(Verdict v, std::string log, std::string_view server_error) {
        return failure(v, std::move(log), "e=" + std::string(server_error));
    }

    Step client_first(std::string_view input) {
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        std::string_view rest = input;
        char flag = rest.empty() ? '\0' : rest[0];
        std::string cb_name;
        if (flag == 'n' || flag == 'y') {
            if (rest.size() < 2 || rest[1] != ',')
                return error(Verdict::malformed, "SCRAM bad GS2 header", "other-error");
            rest.remove_prefix(2);
        } else if (flag == 'p') {
            auto comma = rest.find(',');
            if (rest.size() < 2 || rest[1] != '=' || comma == std::string_view::npos ||
                !valid_cb_name(rest.substr(2, comma - 2)))
                return error(Verdict::malformed, "SCRAM bad GS2 header", "other-error");
            cb_name.assign(rest.substr(2, comma - 2));
            rest.remove_prefix(comma + 1);
        } else {
            return error(Verdict::malformed, "SCRAM bad GS2 header", "other-error");
        }
        std::string authzid;
        auto comma = rest.find(',');
        if (comma == std::string_view::npos)
            return error(Verdict::malformed, "SCRAM truncated GS2 header", "other-error");
        if (comma != 0) {
            std::string_view a = rest.substr(0, comma);
            if (a.substr(0, 2) != "a=")
                return error(Verdict::malformed, "SCRAM bad GS2 authzid", "other-error");
            auto decoded = decode_saslname(a.substr(2));
            if (!decoded || decoded->empty())
                return error(Verdict::malformed, "SCRAM bad authzid encoding", "invalid-username-encoding");
            authzid = std::move(*decoded);
        }
        rest.remove_prefix(comma + 1);
        gs2_header_.assign(input.substr(0, input.size() - rest.size()));

        // Channel binding (§6): -PLUS needs "p" with the binding this
        // connection has; the plain variant takes "n", or "y" only if no
        // -PLUS was offered (else the list was tampered with).
        if (plus_) {
            if (flag != 'p')
                return error(Verdict::malformed, "SCRAM-PLUS without channel binding", "other-error");
            const ClientInfo& client = backend_.client();
            if (client.channel_binding_type.empty() || client.channel_binding_data.empty() ||
                cb_name != client.channel_binding_type)
                return error(Verdict::malformed, "SCRAM channel binding type " + cb_name + " not available",
                             "unsupported-channel-binding-type");
            cb_data_ = client.channel_binding_data;
        } else if (flag == 'p') {
            return error(Verdict::malformed, "SCRAM channel binding without -PLUS", "channel-binding-not-supported");
        } else if (flag == 'y' && plus_offered_) {
            return error(Verdict::refused, "SCRAM channel binding downgrade",
                         "server-does-support-channel-binding");
        }

        // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
        client_first_bare_.assign(rest);
        auto attrs = split_commas(rest, max_attributes);
        if (attrs.empty())
            return error(Verdict::malformed, "SCRAM too many attributes", "other-error");
        if (attrs[0].substr(0, 2) == "m=")
            return error(Verdict::malformed, "SCRAM mandatory extension", "extensions-not-supported");
        if (attrs[0].substr(0, 2) != "n=")
            return error(Verdict::malformed, "SCRAM username missing", "other-error");
        auto user = decode_saslname(attrs[0].substr(2));
        if (!user)
            return error(Verdict::malformed, "SCRAM bad username encoding", "invalid-username-encoding");
        if (user->empty())
            return error(Verdict::malformed, "SCRAM empty username", "other-error");
        if (attrs.size() < 2 || attrs[1].substr(0, 2) != "r=")
            return error(Verdict::malformed, "SCRAM nonce missing", "other-error");
        std::string_view cnonce = attrs[1].substr(2);
        if (!printable_nonce(cnonce))
            return error(Verdict::malformed, "SCRAM nonce empty or not printable", "other-error");
        if (cnonce.size() > max_client_nonce)
            return error(Verdict::malformed, "SCRAM nonce too long", "other-error");
        for (std::size_t i = 2; i < attrs.size(); ++i)
            if (!valid_extension(attrs[i]))
                return error(Verdict::malformed, "SCRAM bad or duplicated attribute", "other-error");

        std::string stored;
        bool plaintext = false;
        Verdict v = backend_.lookup_scram_credentials(authzid, *user, scheme_, stored, plaintext);
        if (v == Verdict::ok && plaintext) {
            credentials_ = derive_credentials(digest_, stored, derived_salt(scheme_, *user), default_iterations_);
        } else if (v == Verdict::ok) {
            auto c = parse_credentials(stored, crypto::digest_size(digest_));
            if (!c)
                return error(Verdict::temp_fail, "stored " + std::string(scheme_) + " credentials are malformed",
                             "other-error");
            credentials_ = std::move(*c);
        } else if (v == Verdict::temp_fail) {
            // The client should try again later: that answer cannot wait.
            Step s = backend_failure(v);
            s.data = "e=other-error";
            return s;
        } else {
            // Unknown, unusable, refused: carry on with made-up credentials,
            // derived as for a plaintext (same salt, count and PBKDF2 cost),
            // from a random password nobody knows, and fail at the proof.
            deferred_ = v;
            credentials_ = derive_credentials(digest_, crypto::random_bytes(32), derived_salt(scheme_, *user),
                                              default_iterations_);
        }

        nonce_ = std::string(cnonce) + server_nonce_;
        server_first_ = "r=" + nonce_ + ",s=" + crypto::base64(credentials_.salt) +
                        ",i=" + std::to_string(credentials_.iterations);
        sent_server_first_ = true;
        return challenge(server_first_);
    }

    Step client_final(std::string_view input) {
        // client-final-message = channel-binding "," nonce ["," extensions] "," proof
        auto p = input.rfind(",p=");
        if (p == std::string_view::npos)
            return error(Verdict::malformed, "SCRAM proof missing", "other-error");
        std::string_view without_proof = input.substr(0, p);
        std::string_view proof_b64 = input.substr(p + 3);
        auto attrs = split_commas(without_proof, max_attributes);
        if (attrs.size() < 2 || attrs[0].substr(0, 2) != "c=" || attrs[1].substr(0, 2) != "r=")
            return error(Verdict::malformed, "SCRAM final message without c= and r=", "other-error");
        for (std::size_t i = 2; i < attrs.size(); ++i)
            if (!valid_extension(attrs[i]))
                return error(Verdict::malformed, "SCRAM bad or duplicated attribute", "other-error");
        auto cbind = crypto::unbase64(attrs[0].substr(2));
        if (!cbind)
            return error(Verdict::malformed, "SCRAM bad base64 in c=", "invalid-encoding");
        // c= is the GS2 header again, then the binding data for "p" (§7):
        // byte for byte, so a header or binding changed in transit fails.
        if (*cbind != gs2_header_ + cb_data_)
            return error(Verdict::malformed, "SCRAM channel binding mismatch", "channel-bindings-dont-match");
        if (attrs[1].substr(2) != nonce_)
            return error(Verdict::malformed, "SCRAM wrong nonce", "other-error");
        auto proof = crypto::unbase64(proof_b64);
        if (!proof)
            return error(Verdict::malformed, "SCRAM bad base64 in p=", "invalid-encoding");
        if (proof->size() != crypto::digest_size(digest_))
            return error(Verdict::malformed, "SCRAM proof has the wrong length", "invalid-proof");

        // §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), and
        // H(ClientKey) must be StoredKey.
        std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
        std::string client_key = crypto::hmac(digest_, credentials_.stored_key, auth_message);
        for (std::size_t i = 0; i < client_key.size(); ++i)
            client_key[i] = static_cast<char>(client_key[i] ^ (*proof)[i]);
        bool proof_ok = crypto::constant_time_equal(crypto::digest(digest_, client_key), credentials_.stored_key);
        if (deferred_) // the log says why; the client sees a wrong password
            return error(*deferred_, backend_failure(*deferred_).error, "invalid-proof");
        if (!proof_ok)
            return error(Verdict::mismatch, "password mismatch", "invalid-proof");
        Verdict v = backend_.credentials_verified();
        if (v != Verdict::ok) {
            Step s = backend_failure(v);
            s.data = "e=other-error";
            return s;
        }
        return success("v=" + crypto::base64(crypto::hmac(digest_, credentials_.server_key, auth_message)));
    }

    Backend& backend_;
    crypto::Digest digest_;
    std::string_view scheme_;
    bool plus_;
    bool plus_offered_;
    unsigned default_iterations_;
    std::string server_nonce_;
    bool sent_server_first_ = false;
    std::optional<Verdict> deferred_; // the lookup failed; fail at the proof
    std::string gs2_header_;
    std::string cb_data_;
    std::string client_first_bare_;
    std::string server_first_;
    std::string nonce_;
    Credentials credentials_;
};

} // namespace

std::unique_ptr<Mechanism> make_scram(Backend& backend, const MechanismSettings& settings, ScramHash hash,
                                      bool plus) {
    return std::make_unique<Scram>(backend, settings, hash, plus);
}

} // namespace mailstore::auth::sasl
