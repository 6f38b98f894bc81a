// A Backend over real stored passwords (the real verify_password() and
// credentials_for()), and client-side computations of each mechanism, for
// the SASL mechanism tests.
#pragma once

#include "auth/crypto.hpp"
#include "auth/sasl/mechanism.hpp"

#include <mailstore/auth/password.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sasl_test {

using namespace mailstore::auth;
using mailstore::auth::sasl::Step;
using mailstore::auth::sasl::Verdict;

class TestBackend final : public sasl::Backend {
public:
    std::map<std::string, std::string, std::less<>> users; // name -> stored password
    mailstore::auth::ClientInfo info;
    // What the passdb result checks answer (nologin and friends).
    Verdict finish = Verdict::ok;
    bool backend_down = false;
    // Users whose lookups answer this verdict (a deny passdb: refused).
    std::map<std::string, Verdict, std::less<>> lookup_verdicts;

    // Recorded calls.
    std::string logged_in;     // set on a completed login
    std::string last_authzid;
    std::string last_authcid;
    std::string last_scheme;
    int calls = 0;

    Verdict verify_password(std::string_view authzid, std::string_view authcid, std::string_view password) override {
        record(authzid, authcid, "");
        if (backend_down)
            return Verdict::temp_fail;
        auto it = users.find(authcid);
        if (it == users.end())
            return Verdict::unknown_user;
        auto r = mailstore::auth::verify_password(it->second, password, authcid);
        if (!r)
            return Verdict::temp_fail;
        if (!*r)
            return Verdict::mismatch;
        if (finish == Verdict::ok)
            logged_in = authzid.empty() ? std::string(authcid) : std::string(authzid);
        return finish;
    }
    Verdict lookup_credentials(std::string_view authzid, std::string_view authcid, std::string_view scheme,
                               std::string& out) override {
        record(authzid, authcid, scheme);
        if (backend_down)
            return Verdict::temp_fail;
        if (auto v = lookup_verdicts.find(authcid); v != lookup_verdicts.end())
            return v->second;
        auto it = users.find(authcid);
        if (it == users.end())
            return Verdict::unknown_user;
        auto r = mailstore::auth::credentials_for(it->second, scheme, authcid);
        if (!r)
            return r.status().code() == mailstore::Status::Code::not_found ? Verdict::unusable : Verdict::temp_fail;
        out = *r;
        pending_ = authzid.empty() ? std::string(authcid) : std::string(authzid);
        return Verdict::ok;
    }
    Verdict credentials_verified() override {
        ++calls;
        if (finish == Verdict::ok)
            logged_in = pending_;
        return finish;
    }
    Verdict login_without_password(std::string_view authzid, std::string_view user) override {
        record(authzid, user, "");
        if (finish == Verdict::ok)
            logged_in = authzid.empty() ? std::string(user) : std::string(authzid);
        return finish;
    }
    const mailstore::auth::ClientInfo& client() const override { return info; }

private:
    void record(std::string_view authzid, std::string_view authcid, std::string_view scheme) {
        ++calls;
        last_authzid.assign(authzid);
        last_authcid.assign(authcid);
        last_scheme.assign(scheme);
    }
    std::string pending_;
};

inline std::string xor_bytes(std::string a, std::string_view b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        a[i] = static_cast<char>(a[i] ^ b[i]);
    return a;
}

// RFC 5802 §3 from the client's side.
struct ScramKeys {
    std::string salted, client_key, stored_key, server_key;
};
inline ScramKeys scram_keys(crypto::Digest d, std::string_view password, std::string_view salt, unsigned iterations) {
    ScramKeys k;
    k.salted = crypto::pbkdf2(d, password, salt, iterations, crypto::digest_size(d));
    k.client_key = crypto::hmac(d, k.salted, "Client Key");
    k.stored_key = crypto::digest(d, k.client_key);
    k.server_key = crypto::hmac(d, k.salted, "Server Key");
    return k;
}
// "{SCRAM-SHA-*}iterations,salt,StoredKey,ServerKey" as doveadm pw writes it.
inline std::string scram_stored(std::string_view scheme, crypto::Digest d, std::string_view password,
                                std::string_view salt, unsigned iterations) {
    auto k = scram_keys(d, password, salt, iterations);
    return "{" + std::string(scheme) + "}" + std::to_string(iterations) + "," + crypto::base64(salt) + "," +
           crypto::base64(k.stored_key) + "," + crypto::base64(k.server_key);
}

// The value of attribute `a` ("r", "s", "i") in a SCRAM message.
inline std::string scram_attr(std::string_view msg, char a) {
    std::string key = std::string(1, a) + "=";
    std::size_t pos = 0;
    while (pos < msg.size()) {
        auto comma = msg.find(',', pos);
        std::string_view part = msg.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (part.substr(0, 2) == key)
            return std::string(part.substr(2));
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    return {};
}

// The client-final-message for `server_first`, and the ServerSignature the
// server must send back.
struct ScramFinal {
    std::string message;
    std::string server_signature_b64;
};
inline ScramFinal scram_client_final(crypto::Digest d, std::string_view password, std::string_view client_first_bare,
                                     std::string_view server_first, std::string_view cbind_input) {
    auto salt = crypto::unbase64(scram_attr(server_first, 's')).value_or("");
    unsigned iterations = static_cast<unsigned>(std::stoul(scram_attr(server_first, 'i')));
    auto k = scram_keys(d, password, salt, iterations);
    std::string without_proof = "c=" + crypto::base64(cbind_input) + ",r=" + scram_attr(server_first, 'r');
    std::string auth_message =
        std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
    std::string proof = xor_bytes(k.client_key, crypto::hmac(d, k.stored_key, auth_message));
    return {without_proof + ",p=" + crypto::base64(proof),
            crypto::base64(crypto::hmac(d, k.server_key, auth_message))};
}

// RFC 2831 §2.1.2.1 response (and rspauth with `a2_prefix` "").
inline std::string digest_md5_kd(std::string_view user, std::string_view realm, std::string_view password,
                                 std::string_view nonce, std::string_view cnonce, std::string_view authzid,
                                 std::string_view uri, std::string_view a2_prefix) {
    std::string ha1 = crypto::md5(std::string(user) + ":" + std::string(realm) + ":" + std::string(password));
    std::string a1 = ha1 + ":" + std::string(nonce) + ":" + std::string(cnonce);
    if (!authzid.empty())
        a1 += ":" + std::string(authzid);
    std::string a2 = std::string(a2_prefix) + ":" + std::string(uri);
    return crypto::hex(crypto::md5(crypto::hex(crypto::md5(a1)) + ":" + std::string(nonce) + ":00000001:" +
                                   std::string(cnonce) + ":auth:" + crypto::hex(crypto::md5(a2))));
}

// The value of directive `name` in a DIGEST-MD5 challenge (quotes removed).
inline std::string digest_directive(std::string_view challenge, std::string_view name) {
    std::string key = std::string(name) + "=";
    auto pos = challenge.find(key);
    if (pos == std::string_view::npos)
        return {};
    pos += key.size();
    if (pos < challenge.size() && challenge[pos] == '"') {
        auto end = challenge.find('"', pos + 1);
        return std::string(challenge.substr(pos + 1, end - pos - 1));
    }
    auto end = challenge.find(',', pos);
    return std::string(challenge.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
}

} // namespace sasl_test
