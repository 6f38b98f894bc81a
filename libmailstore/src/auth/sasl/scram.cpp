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
// plaintext from which credentials_for() derives them.
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
constexpr unsigned max_stored_iterations = 100'000'000;

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
        c.iterations > max_stored_iterations)
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

// A per-process key for the salt of a user who does not exist, so that the
// server-first-message looks the same for known and unknown users and does
// not change between attempts (RFC 5802 §9 on user enumeration).
const std::string& fake_salt_key() {
    static const std::string key = crypto::random_bytes(32);
    return key;
}

class Scram final : public MechanismBase {
public:
    Scram(Backend& backend, const MechanismSettings& settings, ScramHash hash, bool plus)
        : backend_(backend), digest_(hash == ScramHash::sha1 ? crypto::Digest::sha1 : crypto::Digest::sha256),
          scheme_(hash == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256"), plus_(plus),
          plus_offered_(settings.plus_offered), fake_iterations_(settings.scram_iterations),
          server_nonce_(settings.fixed_nonce) {
        if (server_nonce_.empty())
            server_nonce_ = crypto::base64(crypto::random_bytes(18));
        if (fake_iterations_ == 0)
            fake_iterations_ = 4096;
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
        Verdict v = backend_.lookup_credentials(authzid, *user, scheme_, stored);
        std::size_t key_size = crypto::digest_size(digest_);
        if (v == Verdict::ok) {
            auto c = parse_credentials(stored, key_size);
            if (!c)
                return error(Verdict::temp_fail, "stored " + std::string(scheme_) + " credentials are malformed",
                             "other-error");
            credentials_ = std::move(*c);
        } else if (v == Verdict::unknown_user) {
            // Carry on with made-up credentials and fail at the proof.
            unknown_user_ = true;
            credentials_.iterations = fake_iterations_;
            credentials_.salt = crypto::hmac(crypto::Digest::sha256, fake_salt_key(), *user).substr(0, 16);
            credentials_.stored_key = crypto::random_bytes(key_size);
            credentials_.server_key = crypto::random_bytes(key_size);
        } else {
            Step s = backend_failure(v);
            s.data = "e=other-error";
            return s;
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
        if (unknown_user_)
            return error(Verdict::unknown_user, "unknown user", "invalid-proof");
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
    unsigned fake_iterations_;
    std::string server_nonce_;
    bool sent_server_first_ = false;
    bool unknown_user_ = false;
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
