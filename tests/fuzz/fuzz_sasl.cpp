// libFuzzer target for the SASL server mechanisms (libmailstore/src/auth/
// sasl): every mechanism driven with arbitrary client messages through a
// Backend that knows one user ("user", password "pencil") with credentials
// in every scheme the mechanisms ask for (SCRAM ones stored, with 16
// iterations), and "plainuser" with the same password stored as plaintext.
//
// Input: byte 0 picks the mechanism (modulo the number of mechanisms), byte
// 1 holds flags (bit 0: the first message is an initial response; bit 1: a
// SCRAM-*-PLUS is on offer; bit 2: a tls-exporter binding instead of
// tls-unique; bit 3: a client certificate user; bits 4-6: what the backend
// answers after a proof), the rest is the client's messages separated by
// 0x1E. The server nonce is fixed ("SNONCE"), so inputs can reach SCRAM's
// and DIGEST-MD5's later checks.
//
// Checks: a step is a challenge, a success or a failure; a failure has a
// log message and a verdict other than ok; nothing but failure follows a
// success or failure; success only after the backend accepted a password,
// a proof or a password-less login, and only with what it answered ok;
// SCRAM's final data is "v=..." on success and "e=..." or nothing on
// failure; SCRAM's server-first-message has the stored count 16 for "user"
// and the default 4096 for everyone else (plaintext, unknown, unusable);
// challenges stay small.
#include "fuzz_check.hpp"

#include "auth/crypto.hpp"
#include "auth/password/cram_md5.hpp"
#include "auth/sasl/mechanism.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mailstore::auth;
using sasl::Step;
using sasl::Verdict;

const char* const user_name = "user";
const char* const pass = "pencil";

std::string scram_credentials(crypto::Digest d) {
    std::string salt = "0123456789abcdef";
    std::string salted = crypto::pbkdf2(d, pass, salt, 16, crypto::digest_size(d));
    return "16," + crypto::base64(salt) + "," + crypto::base64(crypto::digest(d, crypto::hmac(d, salted, "Client Key"))) +
           "," + crypto::base64(crypto::hmac(d, salted, "Server Key"));
}

class FuzzBackend final : public sasl::Backend {
public:
    Verdict finish = Verdict::ok;
    bool accepted = false; // the backend said ok to something that logs in
    ClientInfo info;

    Verdict verify_password(std::string_view, std::string_view authcid, std::string_view password) override {
        FUZZ_CHECK(!authcid.empty());
        if (authcid != user_name)
            return Verdict::unknown_user;
        if (password != pass)
            return Verdict::mismatch;
        accepted = finish == Verdict::ok;
        return finish;
    }
    Verdict lookup_credentials(std::string_view, std::string_view authcid, std::string_view scheme,
                               std::string& out) override {
        FUZZ_CHECK(!authcid.empty());
        looked_up = true;
        if (authcid == "unusable")
            return Verdict::unusable;
        if (authcid == "broken") {
            out = "not,credentials";
            return Verdict::ok;
        }
        if (authcid == "plainuser") {
            // Stored as plaintext: SCRAM asks for it as "PLAIN" and derives
            // its own credentials, so it never asks for SCRAM ones here.
            FUZZ_CHECK(scheme == "PLAIN" || scheme == "CRAM-MD5" || scheme == "DIGEST-MD5");
            if (scheme == "PLAIN")
                out = pass;
            else if (scheme == "CRAM-MD5")
                out = crypto::hex(password::cram_md5_context(pass));
            else
                out = crypto::hex(crypto::md5("plainuser::pencil"));
            return Verdict::ok;
        }
        if (authcid != user_name && authcid != "user@realm")
            return Verdict::unknown_user;
        if (scheme == "PLAIN")
            return Verdict::unusable; // stored hashed: no plaintext
        if (scheme == "CRAM-MD5")
            out = crypto::hex(password::cram_md5_context(pass));
        else if (scheme == "DIGEST-MD5")
            out = crypto::hex(crypto::md5(authcid == user_name ? "user::pencil" : "user:realm:pencil"));
        else if (scheme == "SCRAM-SHA-1")
            out = scram_credentials(crypto::Digest::sha1);
        else if (scheme == "SCRAM-SHA-256")
            out = scram_credentials(crypto::Digest::sha256);
        else
            FUZZ_CHECK(!"unexpected credentials scheme");
        return Verdict::ok;
    }
    Verdict credentials_verified() override {
        FUZZ_CHECK(looked_up);
        accepted = finish == Verdict::ok;
        return finish;
    }
    Verdict login_without_password(std::string_view, std::string_view user) override {
        FUZZ_CHECK(!user.empty());
        accepted = finish == Verdict::ok;
        return finish;
    }
    const ClientInfo& client() const override { return info; }

private:
    bool looked_up = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const auto& names = sasl::known_mechanisms();
    FUZZ_CHECK(!names.empty());
    const std::string& mech = names[data[0] % names.size()];
    std::uint8_t flags = data[1];
    std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    std::vector<std::string_view> messages;
    for (;;) {
        auto sep = rest.find('\x1e');
        messages.push_back(rest.substr(0, sep));
        if (sep == std::string_view::npos)
            break;
        rest.remove_prefix(sep + 1);
    }

    FuzzBackend backend;
    static const Verdict finishes[] = {Verdict::ok, Verdict::ok, Verdict::ok, Verdict::refused,
                                       Verdict::temp_fail, Verdict::ok, Verdict::unknown_user, Verdict::ok};
    backend.finish = finishes[(flags >> 4) & 7];
    backend.info.service = "imap";
    backend.info.channel_binding_type = (flags & 4) ? "tls-exporter" : "tls-unique";
    backend.info.channel_binding_data = "CBDATA";
    if (flags & 8)
        backend.info.cert_username = user_name;
    sasl::MechanismSettings settings;
    settings.realms = {"realm"};
    settings.hostname = "fuzz.example";
    settings.anonymous_username = "anonymous";
    settings.plus_offered = (flags & 2) != 0;
    settings.fixed_nonce = "SNONCE";

    auto m = sasl::make_mechanism(mech, backend, settings);
    FUZZ_CHECK(m != nullptr);
    bool done = false;
    bool first = true;
    // Without an initial response the first call carries nothing.
    if (!(flags & 1)) {
        Step s = m->step({}, true, false);
        FUZZ_CHECK(s.kind == Step::Kind::challenge);
        first = false;
    }
    for (auto msg : messages) {
        bool accepted_before = backend.accepted;
        Step s = m->step(msg, first, first);
        first = false;
        if (done) {
            FUZZ_CHECK(s.kind == Step::Kind::failure);
            FUZZ_CHECK(s.error == "exchange already finished");
            FUZZ_CHECK(backend.accepted == accepted_before);
            continue;
        }
        switch (s.kind) {
        case Step::Kind::challenge:
            FUZZ_CHECK(s.data.size() < 1024);
            if (mech.rfind("SCRAM-", 0) == 0 && !s.data.empty()) {
                auto i = s.data.rfind(",i=");
                FUZZ_CHECK(i != std::string::npos);
                std::string_view count = std::string_view(s.data).substr(i + 3);
                FUZZ_CHECK(count == "16" || count == "4096");
            }
            break;
        case Step::Kind::success:
            done = true;
            FUZZ_CHECK(backend.accepted);
            if (mech.rfind("SCRAM-", 0) == 0)
                FUZZ_CHECK(s.data.rfind("v=", 0) == 0);
            else
                FUZZ_CHECK(s.data.empty());
            break;
        case Step::Kind::failure:
            done = true;
            FUZZ_CHECK(s.verdict != Verdict::ok);
            FUZZ_CHECK(!s.error.empty());
            if (mech.rfind("SCRAM-", 0) == 0)
                FUZZ_CHECK(s.data.empty() || s.data.rfind("e=", 0) == 0);
            else
                FUZZ_CHECK(s.data.empty());
            break;
        }
    }
    return 0;
}
