// The public password API: scheme names and suffixes, encodings, and the
// rules that tie the scheme families together.
#include <mailstore/auth/password.hpp>

#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

#include <algorithm>

namespace mailstore::auth {

namespace {

using password::Encoding;
using password::Scheme;

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return out;
}

const Scheme* find_base(std::string_view name) {
    for (auto table : {password::plain_schemes(), password::digest_schemes(), password::crypt_schemes(),
                       password::scram_schemes(), password::pbkdf2_schemes(), password::argon2_schemes()})
        for (const Scheme& s : table)
            if (s.name == name)
                return &s;
    return nullptr;
}

// A scheme name as written in {}: the scheme and the encoding its suffix
// selects (nullopt: the scheme's own encoding).
struct SchemeName {
    const Scheme* scheme = nullptr;
    std::optional<Encoding> suffix;
};

std::optional<SchemeName> parse_name(std::string_view name) {
    std::string up = upper(name);
    SchemeName out;
    std::string_view base = up;
    if (auto dot = base.rfind('.'); dot != std::string_view::npos) {
        std::string_view sfx = base.substr(dot + 1);
        if (sfx == "HEX")
            out.suffix = Encoding::hex;
        else if (sfx == "B64" || sfx == "BASE64")
            out.suffix = Encoding::base64;
        else
            return std::nullopt;
        base = base.substr(0, dot);
    }
    out.scheme = find_base(base);
    if (out.scheme == nullptr)
        return std::nullopt;
    return out;
}

Status unknown(std::string_view name) { return Status::invalid("unknown password scheme " + upper(name)); }

// The scheme's raw data from the stored text. Without a suffix, a fixed-size
// digest is read as hex when it has exactly twice its size in characters and
// as base64 otherwise, whatever its default: Dovecot accepts {SHA256} in hex
// and {PLAIN-MD5} in base64 the same way.
Result<std::string> decode(const SchemeName& n, std::string_view data) {
    const Scheme& s = *n.scheme;
    Encoding enc = n.suffix.value_or(s.encoding);
    if (!n.suffix && s.raw_size != 0)
        enc = data.size() == 2 * s.raw_size ? Encoding::hex : Encoding::base64;
    std::optional<std::string> raw;
    switch (enc) {
    case Encoding::none:
        return std::string(data);
    case Encoding::hex:
        raw = crypto::unhex(data);
        if (!raw)
            return password::malformed(s, "invalid hex");
        break;
    case Encoding::base64:
        raw = crypto::unbase64(data);
        if (!raw)
            return password::malformed(s, "invalid base64");
        break;
    }
    if (s.raw_size != 0 && raw->size() != s.raw_size)
        return password::malformed(s, "wrong digest length");
    return std::move(*raw);
}

std::string encode(const SchemeName& n, std::string_view raw) {
    switch (n.suffix.value_or(n.scheme->encoding)) {
    case Encoding::hex:
        return crypto::hex(raw);
    case Encoding::base64:
        return crypto::base64(raw);
    case Encoding::none:
        break;
    }
    return std::string(raw);
}

std::string_view canonical(const Scheme& s) { return s.canonical.empty() ? s.name : s.canonical; }

} // namespace

StoredPassword split_stored_password(std::string_view stored, std::string_view default_scheme) {
    if (!stored.empty() && stored[0] == '{') {
        if (auto close = stored.find('}'); close != std::string_view::npos)
            return {upper(stored.substr(1, close - 1)), std::string(stored.substr(close + 1))};
    }
    return {upper(default_scheme), std::string(stored)};
}

bool is_known_scheme(std::string_view scheme) { return parse_name(scheme).has_value(); }

std::vector<std::string> password_schemes() {
    std::vector<std::string> out;
    for (auto table : {password::plain_schemes(), password::digest_schemes(), password::crypt_schemes(),
                       password::scram_schemes(), password::pbkdf2_schemes(), password::argon2_schemes()})
        for (const Scheme& s : table)
            out.emplace_back(s.name);
    std::sort(out.begin(), out.end());
    return out;
}

Result<bool> verify_password(std::string_view stored, std::string_view plaintext, std::string_view user,
                             std::string_view default_scheme) {
    if (stored.size() > password::kMaxStoredLength)
        return Status::invalid("stored password longer than " + std::to_string(password::kMaxStoredLength) + " bytes");
    StoredPassword sp = split_stored_password(stored, default_scheme);
    auto name = parse_name(sp.scheme);
    if (!name)
        return unknown(sp.scheme);
    auto raw = decode(*name, sp.data);
    if (!raw)
        return raw.status();
    if (plaintext.size() > password::kMaxPlaintextLength)
        return false; // no stored password is that long: a mismatch, without the cost of hashing it
    return name->scheme->verify(*name->scheme, *raw, plaintext, user);
}

Result<std::string> hash_password(std::string_view scheme, std::string_view plaintext, std::string_view user) {
    auto name = parse_name(scheme);
    if (!name)
        return unknown(scheme);
    if (plaintext.size() > password::kMaxPlaintextLength)
        return Status::invalid("password longer than " + std::to_string(password::kMaxPlaintextLength) + " bytes");
    auto raw = name->scheme->generate(*name->scheme, plaintext, user);
    if (!raw)
        return raw.status();
    return "{" + upper(scheme) + "}" + encode(*name, *raw);
}

Result<std::string> hash_password_rounds(std::string_view scheme, std::string_view plaintext, std::string_view user,
                                         unsigned rounds) {
    if (rounds == 0)
        return hash_password(scheme, plaintext, user);
    auto name = parse_name(scheme);
    if (!name)
        return unknown(scheme);
    if (plaintext.size() > password::kMaxPlaintextLength)
        return Status::invalid("password longer than " + std::to_string(password::kMaxPlaintextLength) + " bytes");
    std::string_view base = name->scheme->name;
    Result<std::string> raw = Status::invalid("scheme " + upper(scheme) + " has no rounds");
    if (base == "SHA256-CRYPT" || base == "SHA512-CRYPT" || base == "BLF-CRYPT" || base == "CRYPT")
        raw = password::generate_crypt_rounds(*name->scheme, plaintext, rounds);
    else if (base == "PBKDF2")
        raw = password::generate_pbkdf2_rounds(plaintext, rounds);
    if (!raw)
        return raw.status();
    return "{" + upper(scheme) + "}" + encode(*name, *raw);
}

Result<std::string> credentials_for(std::string_view stored, std::string_view wanted_scheme, std::string_view user,
                                    std::string_view default_scheme) {
    auto wanted = parse_name(wanted_scheme);
    if (!wanted)
        return unknown(wanted_scheme);
    if (stored.size() > password::kMaxStoredLength)
        return Status::invalid("stored password longer than " + std::to_string(password::kMaxStoredLength) + " bytes");
    StoredPassword sp = split_stored_password(stored, default_scheme);
    auto have = parse_name(sp.scheme);
    if (!have)
        return unknown(sp.scheme);
    auto raw = decode(*have, sp.data);
    if (!raw)
        return raw.status();
    const Scheme& hs = *have->scheme;
    const Scheme& ws = *wanted->scheme;
    if (hs.is_plaintext) {
        // Dovecot's conversion: any scheme can be made from the plaintext
        // (SCRAM with a fresh salt each time, as `doveadm pw` would).
        if (raw->size() > password::kMaxPlaintextLength)
            return Status::invalid("stored plaintext password too long");
        auto made = ws.generate(ws, *raw, user);
        if (!made)
            return made.status();
        return encode(*wanted, *made);
    }
    if (canonical(hs) == canonical(ws)) {
        // The same scheme: the data as hash_password would write it, after
        // checking that it is well-formed (a broken value must not reach a
        // SASL exchange).
        if (hs.name.starts_with("SCRAM-")) {
            std::string_view why;
            if (!password::scram_well_formed(hs, *raw, why))
                return password::malformed(hs, why);
        }
        return encode(*wanted, *raw);
    }
    return Status::not_found(std::string(hs.name) + " password cannot be used for " + upper(wanted_scheme));
}

} // namespace mailstore::auth
