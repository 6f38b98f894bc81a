// The passdb chain: every passdb { } block in file order, with Dovecot's
// result_success / result_failure / result_internalfail rules, skip, deny,
// master/pass, mechanisms and username_filter (docs/auth.md, "passdb
// blocks"). The state is Dovecot's: a "success" flag that only return-ok and
// continue-ok set, and a "password verified" flag after which later passdbs
// only look the user up.
#include "auth/authenticator_impl.hpp"

#include <mailstore/auth/password.hpp>

#include "auth/crypto.hpp"

#include <algorithm>
#include <cctype>

namespace mailstore::auth {
namespace {

bool wildcard_match(std::string_view pattern, std::string_view text) {
    // Iterative * and ? matching with one backtrack point: linear in practice
    // and bounded by |pattern| * |text|.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool mechanism_accepted(const PassdbBlock& b, std::string_view mechanism) {
    if (b.mechanisms.empty())
        return true;
    std::string want = mechanism.empty() ? std::string("NONE") : upper(mechanism);
    return std::find(b.mechanisms.begin(), b.mechanisms.end(), want) != b.mechanisms.end();
}

// Extra fields of a successful passdb into the request: `user` renames,
// `userdb_X` is prefetched as userdb field X, passwords never travel on.
void merge_passdb_fields(AuthRequest& request, const FieldList& fields) {
    for (const auto& [key, value] : fields) {
        if (key == "user") {
            if (!value.empty())
                request.user = value;
        } else if (key.rfind("userdb_", 0) == 0 && key.size() > 7) {
            request.userdb_fields.set(std::string_view(key).substr(7), value);
        } else if (key == "password" || key == "password_noscheme") {
            continue;
        } else {
            request.passdb_fields.set(key, value);
        }
    }
}

void apply_block_fields(const PassdbBlock& b, const AuthRequest& request, FieldList& fields) {
    if (!b.default_fields.empty())
        for (const auto& [k, v] : expand_fields(b.default_fields, request))
            if (!fields.has(k))
                fields.set(k, v);
    if (!b.override_fields.empty())
        for (const auto& [k, v] : expand_fields(b.override_fields, request))
            fields.set(k, v);
}

std::string cache_key_for(std::size_t index, std::string_view tmpl, const AuthRequest& request) {
    auto expanded = request.expand(tmpl);
    std::string key = "P" + std::to_string(index);
    key += '\0';
    // The user name is always part of the key, whatever the template says:
    // two users can never share an entry.
    key += request.user;
    key += '\0';
    key += expanded ? *expanded : std::string(tmpl);
    return key;
}

} // namespace

std::optional<DbRule> parse_db_rule(std::string_view text) {
    if (text == "return-ok")
        return DbRule::return_ok;
    if (text == "return-fail")
        return DbRule::return_fail;
    if (text == "return")
        return DbRule::return_;
    if (text == "continue")
        return DbRule::continue_;
    if (text == "continue-ok")
        return DbRule::continue_ok;
    if (text == "continue-fail")
        return DbRule::continue_fail;
    return std::nullopt;
}

FieldList expand_fields(const FieldList& fields, const AuthRequest& request) {
    FieldList out;
    for (const auto& [k, v] : fields) {
        auto e = request.expand(v);
        out.set(k, e ? *e : v);
    }
    return out;
}

bool username_filter_matches(const std::vector<std::string>& filter, std::string_view user) {
    bool have_positive = false, positive_match = false;
    for (const auto& pattern : filter) {
        if (!pattern.empty() && pattern[0] == '!') {
            if (wildcard_match(std::string_view(pattern).substr(1), user))
                return false;
        } else {
            have_positive = true;
            if (wildcard_match(pattern, user))
                positive_match = true;
        }
    }
    return !have_positive || positive_match;
}

void AuthenticatorImpl::verbose_line(int block_override, std::string_view driver, const AuthRequest& request,
                                     std::string_view message) const {
    if (!verbose(block_override))
        return;
    log.log(log::Level::info, log::Category::general, driver_log_prefix(driver, request) + ": " + std::string(message));
}

bool AuthenticatorImpl::has_master_passdbs() const {
    return std::any_of(passdbs.begin(), passdbs.end(), [](const PassdbBlock& b) { return b.master; });
}

ChainOutcome AuthenticatorImpl::run_passdbs(AuthRequest& request, bool master, PassdbMode mode,
                                            std::string_view scheme, bool already_verified) const {
    using K = PassdbResult::Kind;
    bool success = false;
    bool verified = already_verified || mode == PassdbMode::lookup;
    bool seen_internal = false, seen_found = false, seen_unusable = false;
    ChainOutcome out;
    std::string internal_error;

    for (std::size_t i = 0; i < passdbs.size(); ++i) {
        const PassdbBlock& b = passdbs[i];
        if (b.master != master)
            continue;
        if ((b.skip == PassdbBlock::Skip::authenticated && success) ||
            (b.skip == PassdbBlock::Skip::unauthenticated && !success)) {
            debug_line(b.name, request, "Skipping passdb (skip)");
            continue;
        }
        if (!mechanism_accepted(b, request.mechanism) || !username_filter_matches(b.username_filter, request.user)) {
            debug_line(b.name, request, "Skipping passdb (mechanisms or username_filter)");
            continue;
        }
        debug_line(b.name, request, verified ? "Performing passdb lookup (password already verified)"
                                             : "Performing passdb lookup");

        // Look the user up (through the cache), then check what was asked.
        bool check_password = mode == PassdbMode::verify && !verified && !b.deny;
        bool check_credentials = mode == PassdbMode::credentials && !verified && !b.deny;
        std::string key;
        bool cacheable = cache && cache->enabled() && !b.db->cache_key().empty();
        if (cacheable)
            key = cache_key_for(i, b.db->cache_key(), request);
        PassdbResult r;
        bool from_cache = false, plaintext_ok = false, hit_by_mac = false;
        if (cacheable) {
            if (auto hit = cache->get_passdb(key, b.db->generation(), check_password ? request.password : "")) {
                r = std::move(hit->result);
                from_cache = true;
                plaintext_ok = hit->plaintext_verified;
                hit_by_mac = hit->plaintext_verified;
                debug_line(b.name, request, plaintext_ok ? "cache hit (same password as last time)" : "cache hit");
            }
        }
        bool driver_verified = false;
        if (!from_cache) {
            if (check_password && b.db->verifies_plaintext()) {
                r = b.db->verify(request, request.password);
                driver_verified = true;
            } else {
                r = b.db->lookup(request);
            }
            if (cacheable && r.kind != K::password_mismatch)
                cache->put_passdb(key, b.db->generation(), r);
            if (driver_verified && r.kind == K::ok)
                plaintext_ok = true;
        }
        if (r.kind == K::ok)
            apply_block_fields(b, request, r.fields);

        if (r.kind == K::ok && check_password && !plaintext_ok) {
            if (r.fields.has("nopassword")) {
                plaintext_ok = true;
            } else if (b.db->verifies_plaintext()) {
                // A cached lookup of a driver that only verifies: ask it.
                r = b.db->verify(request, request.password);
                if (r.kind == K::ok) {
                    apply_block_fields(b, request, r.fields);
                    plaintext_ok = true;
                }
            } else if (r.password.empty()) {
                verbose_line(b.verbose, b.name, request, "No password returned (and no nopassword)");
                r.kind = K::password_mismatch;
            } else {
                password_verifications.fetch_add(1, std::memory_order_relaxed);
                auto v = verify_password(r.password, request.password, request.user, r.default_scheme);
                if (!v) {
                    log.log(log::Level::error, log::Category::general,
                            driver_log_prefix(b.name, request) + ": Invalid password in passdb: " + v.status().message());
                    r.kind = K::internal_failure;
                    r.error = v.status().message();
                } else if (*v) {
                    plaintext_ok = true;
                } else if (from_cache) {
                    // The password may have changed since the entry was
                    // made: ask the database again before saying no.
                    PassdbResult fresh = b.db->lookup(request);
                    if (cacheable && fresh.kind != K::password_mismatch)
                        cache->put_passdb(key, b.db->generation(), fresh);
                    if (fresh.kind == K::ok) {
                        // Hash again only when the stored password changed:
                        // the same hash gives the same "no", and checking it
                        // twice would double the cost of every wrong guess.
                        const bool changed = fresh.password != r.password ||
                                             fresh.default_scheme != r.default_scheme ||
                                             fresh.fields.has("nopassword");
                        apply_block_fields(b, request, fresh.fields);
                        r = std::move(fresh);
                        Result<bool> again(false);
                        if (!changed)
                            debug_line(b.name, request, "stored password unchanged since cached");
                        else if (r.fields.has("nopassword"))
                            again = Result<bool>(true);
                        else if (!r.password.empty()) {
                            password_verifications.fetch_add(1, std::memory_order_relaxed);
                            again = verify_password(r.password, request.password, request.user, r.default_scheme);
                        }
                        plaintext_ok = again && *again;
                        if (!plaintext_ok)
                            r.kind = K::password_mismatch;
                    } else {
                        r = std::move(fresh);
                    }
                } else {
                    r.kind = K::password_mismatch;
                }
            }
            if (r.kind == K::ok && !plaintext_ok)
                r.kind = K::password_mismatch;
            if (r.kind == K::password_mismatch) {
                std::string msg = "Password mismatch";
                if (settings.verbose_passwords == "plain" || settings.debug_passwords)
                    msg += " (given password: " + request.password + ")";
                else if (settings.verbose_passwords == "sha1")
                    msg += " (SHA1 of given password: " + crypto::hex(crypto::sha1(request.password)) + ")";
                verbose_line(b.verbose, b.name, request, msg);
            }
        }
        // Remember the HMAC of the password only when a cached entry was
        // verified by hashing (the user's second login): a first, cold
        // login never pays for the HMAC, which costs as much as a fast
        // stored scheme (SSHA256 is one SHA-256; the HMAC is several).
        if (r.kind == K::ok && plaintext_ok && cacheable && from_cache && !hit_by_mac &&
            !r.fields.has("nopassword"))
            cache->remember_verified(key, request.password);

        if (r.kind == K::ok && check_credentials) {
            if (r.fields.has("nopassword") || b.db->verifies_plaintext() || r.password.empty()) {
                seen_unusable = true;
                verbose_line(b.verbose, b.name, request,
                             "Requested " + std::string(scheme) + " scheme, but the passdb has no usable password");
                r.kind = K::password_mismatch;
            } else {
                auto c = credentials_for(r.password, scheme, request.user, r.default_scheme);
                if (c) {
                    out.credentials = std::move(*c);
                } else {
                    seen_unusable = true;
                    verbose_line(b.verbose, b.name, request, c.status().message());
                    r.kind = K::password_mismatch;
                }
            }
        }

        if (r.kind == K::user_unknown)
            verbose_line(b.verbose, b.name, request, "unknown user");
        if (r.kind == K::internal_failure) {
            seen_internal = true;
            internal_error = r.error;
            log.log(log::Level::error, log::Category::general,
                    driver_log_prefix(b.name, request) + ": " + (r.error.empty() ? "internal failure" : r.error));
        }

        if (b.deny) {
            // A deny passdb is only looked up: finding the user refuses the
            // login, whatever its result_* say.
            if (r.kind == K::ok) {
                verbose_line(b.verbose, b.name, request, "User found from deny passdb");
                out.kind = ChainOutcome::Kind::denied;
                out.driver = b.name;
                return out;
            }
            if (r.kind != K::internal_failure)
                continue;
        }

        if (r.kind == K::ok || r.kind == K::password_mismatch)
            seen_found = true;
        // nodelay of a user whose password was wrong still answers at once
        // (the field exists for exactly that case).
        if (r.kind == K::password_mismatch && r.fields.has("nodelay"))
            request.passdb_fields.set("nodelay");
        if (r.kind == K::ok)
            merge_passdb_fields(request, r.fields);

        DbRule rule = r.kind == K::ok ? b.on_success
                      : r.kind == K::internal_failure ? b.on_internalfail
                                                      : b.on_failure;
        out.driver = b.name;
        out.last_pass = r.kind == K::ok && b.pass;
        bool go_on = false;
        switch (rule) {
        case DbRule::return_:
            break;
        case DbRule::return_ok:
            success = true;
            break;
        case DbRule::return_fail:
            success = false;
            break;
        case DbRule::continue_:
            go_on = true;
            if (r.kind == K::ok)
                verified = true;
            break;
        case DbRule::continue_ok:
            go_on = true;
            success = true;
            verified = true;
            break;
        case DbRule::continue_fail:
            go_on = true;
            success = false;
            break;
        }
        if (!go_on)
            break;
    }

    if (success) {
        out.kind = ChainOutcome::Kind::ok;
    } else if (seen_internal) {
        // A passdb that failed might have had the user with this very
        // password: say "try again", never "no such user".
        out.kind = ChainOutcome::Kind::temp_fail;
        out.error = internal_error.empty() ? "passdb internal failure" : internal_error;
    } else if (seen_unusable) {
        out.kind = ChainOutcome::Kind::unusable;
    } else if (seen_found) {
        out.kind = ChainOutcome::Kind::mismatch;
    } else {
        out.kind = ChainOutcome::Kind::unknown;
    }
    return out;
}

} // namespace mailstore::auth
