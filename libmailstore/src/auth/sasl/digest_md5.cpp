// DIGEST-MD5 (RFC 2831), authentication only (qop=auth): no integrity or
// confidentiality layer. Obsoleted by RFC 6331 and off by default; kept for
// old clients. The server needs the plaintext or the {DIGEST-MD5} value,
// hex(MD5(user:realm:password)).
#include "auth/crypto.hpp"
#include "auth/sasl/mechanism_base.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace mailstore::auth::sasl {
namespace {

constexpr std::size_t max_directives = 32;

struct Directive {
    std::string name; // lower-case
    std::string value;
};

bool is_lws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// token (RFC 2616 §2.2): CHARs other than CTLs and separators.
bool is_token_char(char ch) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 32 || c >= 127)
        return false;
    return std::string_view("()<>@,;:\\\"/[]?={}").find(ch) == std::string_view::npos;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// digest-response (§2.1.2): 1#( directive ), where a directive is token "="
// ( token | quoted-string ). The #rule allows empty elements and LWS around
// commas (RFC 2616 §2.1).
std::optional<std::vector<Directive>> parse_directives(std::string_view s, std::string& error) {
    std::vector<Directive> out;
    std::size_t i = 0;
    auto skip_lws = [&] {
        while (i < s.size() && is_lws(s[i]))
            ++i;
    };
    for (;;) {
        skip_lws();
        while (i < s.size() && s[i] == ',') {
            ++i;
            skip_lws();
        }
        if (i == s.size())
            break;
        std::size_t start = i;
        while (i < s.size() && is_token_char(s[i]))
            ++i;
        if (i == start) {
            error = "DIGEST-MD5 directive name expected";
            return std::nullopt;
        }
        Directive d;
        d.name = lower(s.substr(start, i - start));
        skip_lws();
        if (i == s.size() || s[i] != '=') {
            error = "DIGEST-MD5 directive without '='";
            return std::nullopt;
        }
        ++i;
        skip_lws();
        if (i < s.size() && s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                char c = s[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i == s.size())
                        break;
                    c = s[i++];
                } else if ((static_cast<unsigned char>(c) < 32 && !is_lws(c)) || c == 127) {
                    error = "DIGEST-MD5 control character in a quoted string";
                    return std::nullopt;
                }
                d.value.push_back(c);
            }
            if (!closed) {
                error = "DIGEST-MD5 unterminated quoted string";
                return std::nullopt;
            }
        } else {
            std::size_t vstart = i;
            while (i < s.size() && is_token_char(s[i]))
                ++i;
            d.value.assign(s.substr(vstart, i - vstart));
        }
        skip_lws();
        if (i < s.size() && s[i] != ',') {
            error = "DIGEST-MD5 garbage after a directive";
            return std::nullopt;
        }
        if (out.size() == max_directives) {
            error = "DIGEST-MD5 too many directives";
            return std::nullopt;
        }
        out.push_back(std::move(d));
    }
    if (out.empty()) {
        error = "DIGEST-MD5 empty response";
        return std::nullopt;
    }
    return out;
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

class DigestMd5 final : public MechanismBase {
public:
    DigestMd5(Backend& backend, const MechanismSettings& settings) : backend_(backend), realms_(settings.realms) {
        nonce_ = settings.fixed_nonce.empty() ? crypto::base64(crypto::random_bytes(16)) : settings.fixed_nonce;
    }

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first) {
            // §2.1: the server starts; there is no initial response for an
            // initial authentication.
            if (has_initial && !input.empty())
                return malformed("DIGEST-MD5 does not take an initial response");
            return challenge(make_challenge());
        }
        if (state_ == State::sent_rspauth) {
            // §2.1.3: the client acknowledges rspauth with an empty message.
            if (!input.empty())
                return malformed("DIGEST-MD5 data after rspauth");
            return success();
        }
        return check_response(input);
    }

private:
    enum class State { sent_challenge, sent_rspauth };

    std::string make_challenge() const {
        // §2.1.1. Without auth_realms Dovecot sends one empty realm, which
        // tells the client to hash with an empty realm as `doveadm pw -s
        // DIGEST-MD5 -u user` does; kept for compatibility.
        std::string c;
        if (realms_.empty())
            c = "realm=\"\",";
        for (const auto& r : realms_)
            c += "realm=" + quote(r) + ",";
        c += "nonce=" + quote(nonce_) + ",qop=\"auth\",charset=\"utf-8\",algorithm=\"md5-sess\"";
        return c;
    }

    Step check_response(std::string_view input) {
        std::string error;
        auto directives = parse_directives(input, error);
        if (!directives)
            return malformed(error);
        std::optional<std::string> username, realm, nonce, cnonce, nc, qop, uri, response, charset, authzid;
        for (auto& d : *directives) {
            std::optional<std::string>* slot = nullptr;
            if (d.name == "username")
                slot = &username;
            else if (d.name == "realm")
                slot = &realm;
            else if (d.name == "nonce")
                slot = &nonce;
            else if (d.name == "cnonce")
                slot = &cnonce;
            else if (d.name == "nc")
                slot = &nc;
            else if (d.name == "qop")
                slot = &qop;
            else if (d.name == "digest-uri")
                slot = &uri;
            else if (d.name == "response")
                slot = &response;
            else if (d.name == "charset")
                slot = &charset;
            else if (d.name == "authzid")
                slot = &authzid;
            else if (d.name == "cipher")
                return malformed("DIGEST-MD5 cipher without qop=auth-conf");
            if (slot == nullptr)
                continue; // §2.1.2: unknown directives are ignored (maxbuf too)
            if (*slot)
                return malformed("DIGEST-MD5 duplicate " + d.name);
            *slot = std::move(d.value);
        }
        if (!username || username->empty())
            return malformed("DIGEST-MD5 username missing");
        if (!nonce || !cnonce || cnonce->empty() || !nc || !uri || !response)
            return malformed("DIGEST-MD5 required directive missing");
        if (*nonce != nonce_)
            return malformed("DIGEST-MD5 wrong nonce");
        // Each exchange has a fresh nonce, so this is its first use (§2.1.2 nc).
        if (*nc != "00000001")
            return malformed("DIGEST-MD5 nonce count is not 00000001");
        if (qop && *qop != "auth")
            return malformed("DIGEST-MD5 qop other than auth");
        if (charset && lower(*charset) != "utf-8")
            return malformed("DIGEST-MD5 charset other than utf-8");
        // §2.1.2: the realm "SHOULD be one of those realms" offered, and is
        // empty when missing. Another realm is not refused (clients fill in
        // their own, as Dovecot accepts): it is part of both the hash and
        // the login name, so the passdb decides.
        std::string realm_value = realm.value_or("");
        if (!uri_matches_service(*uri))
            return malformed("DIGEST-MD5 digest-uri does not name this service");
        auto client_response = crypto::unhex(*response);
        if (response->size() != 32 || !client_response)
            return malformed("DIGEST-MD5 response is not 32 hex digits");
        if (authzid && authzid->empty())
            return malformed("DIGEST-MD5 empty authzid");
        if (username->find('\0') != std::string::npos || realm_value.find('\0') != std::string::npos ||
            (authzid && authzid->find('\0') != std::string::npos))
            return malformed("DIGEST-MD5 name with a NUL");

        // The login name: user@realm, the name {DIGEST-MD5} was made for
        // (doveadm pw -u user@realm hashes "user:realm:password").
        std::string login = *username;
        if (!realm_value.empty() && login.find('@') == std::string::npos)
            login += "@" + realm_value;
        std::string credentials;
        Verdict v = backend_.lookup_credentials(authzid.value_or(""), login, "DIGEST-MD5", credentials);
        if (v != Verdict::ok)
            return backend_failure(v);
        auto ha1 = crypto::unhex(credentials);
        if (!ha1 || ha1->size() != 16)
            return failure(Verdict::temp_fail, "stored DIGEST-MD5 credentials are not 32 hex digits");

        // §2.1.2.1: A1 = H(user:realm:pass) ":" nonce ":" cnonce [":" authzid].
        std::string a1 = *ha1 + ":" + nonce_ + ":" + *cnonce;
        if (authzid)
            a1 += ":" + *authzid;
        std::string ha1_sess = crypto::hex(crypto::md5(a1));
        auto kd = [&](std::string_view a2) {
            return crypto::hex(crypto::md5(ha1_sess + ":" + nonce_ + ":" + *nc + ":" + *cnonce + ":auth:" +
                                           crypto::hex(crypto::md5(a2))));
        };
        std::string expected = kd("AUTHENTICATE:" + *uri);
        if (!crypto::constant_time_equal(expected, crypto::hex(*client_response)))
            return failure(Verdict::mismatch, "password mismatch");
        v = backend_.credentials_verified();
        if (v != Verdict::ok)
            return backend_failure(v);
        // §2.1.3: rspauth proves the server knows the credentials too; A2
        // without "AUTHENTICATE".
        state_ = State::sent_rspauth;
        return challenge("rspauth=" + kd(":" + *uri));
    }

    // digest-uri = serv-type "/" host [ "/" serv-name ] (§2.1.2): serv-type
    // must be the protocol the client is talking to, so a response made for
    // another service cannot be replayed here.
    bool uri_matches_service(std::string_view uri) const {
        auto slash = uri.find('/');
        if (slash == std::string_view::npos || slash == 0 || slash + 1 == uri.size())
            return false;
        const std::string& service = backend_.client().service;
        return service.empty() || lower(uri.substr(0, slash)) == lower(service);
    }

    Backend& backend_;
    std::vector<std::string> realms_;
    std::string nonce_;
    State state_ = State::sent_challenge;
};

} // namespace

std::unique_ptr<Mechanism> make_digest_md5(Backend& backend, const MechanismSettings& settings) {
    return std::make_unique<DigestMd5>(backend, settings);
}

} // namespace mailstore::auth::sasl
