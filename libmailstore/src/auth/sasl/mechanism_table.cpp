// The mechanisms by name, with the security flags Dovecot 2.3 announces for
// them in its MECH lines (observed from a running Dovecot 2.3.19 auth
// service), which Postfix filters on (smtpd_sasl_security_options).
#include "auth/sasl/mechanism_base.hpp"

#include <algorithm>
#include <cctype>

namespace mailstore::auth::sasl {
namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

MechanismInfo info(std::string name) {
    MechanismInfo i;
    i.name = std::move(name);
    return i;
}

const std::vector<MechanismInfo>& table() {
    static const std::vector<MechanismInfo> mechs = [] {
        std::vector<MechanismInfo> v;
        auto plain = info("PLAIN");
        plain.plaintext = true;
        v.push_back(plain);
        auto login = info("LOGIN");
        login.plaintext = true;
        v.push_back(login);
        auto cram = info("CRAM-MD5");
        cram.dictionary = cram.active = true;
        v.push_back(cram);
        auto digest = info("DIGEST-MD5");
        digest.dictionary = digest.active = digest.mutual_auth = true;
        v.push_back(digest);
        for (const char* name : {"SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}) {
            auto scram = info(name);
            scram.mutual_auth = true;
            v.push_back(scram);
        }
        // Dovecot announces EXTERNAL with no flags at all.
        v.push_back(info("EXTERNAL"));
        auto anon = info("ANONYMOUS");
        anon.anonymous = true;
        v.push_back(anon);
        // POP3's APOP: usable only through the greeting's timestamp, so
        // never in a mechanism list.
        auto apop = info("APOP");
        apop.dictionary = apop.active = apop.private_ = true;
        v.push_back(apop);
        return v;
    }();
    return mechs;
}

} // namespace

const std::vector<std::string>& known_mechanisms() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& m : table())
            v.push_back(m.name);
        return v;
    }();
    return names;
}

std::optional<MechanismInfo> mechanism_info(std::string_view name) {
    std::string n = upper(name);
    for (const auto& m : table())
        if (m.name == n)
            return m;
    return std::nullopt;
}

std::unique_ptr<Mechanism> make_mechanism(std::string_view name, Backend& backend, const MechanismSettings& settings) {
    std::string n = upper(name);
    if (n == "PLAIN")
        return make_plain(backend);
    if (n == "LOGIN")
        return make_login(backend);
    if (n == "CRAM-MD5")
        return make_cram_md5(backend, settings);
    if (n == "DIGEST-MD5")
        return make_digest_md5(backend, settings);
    if (n == "SCRAM-SHA-1")
        return make_scram(backend, settings, ScramHash::sha1, false);
    if (n == "SCRAM-SHA-1-PLUS")
        return make_scram(backend, settings, ScramHash::sha1, true);
    if (n == "SCRAM-SHA-256")
        return make_scram(backend, settings, ScramHash::sha256, false);
    if (n == "SCRAM-SHA-256-PLUS")
        return make_scram(backend, settings, ScramHash::sha256, true);
    if (n == "EXTERNAL")
        return make_external(backend);
    if (n == "ANONYMOUS")
        return make_anonymous(backend, settings);
    if (n == "APOP")
        return make_apop(backend);
    return nullptr;
}

} // namespace mailstore::auth::sasl
