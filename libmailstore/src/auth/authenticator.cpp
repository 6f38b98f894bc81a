// The public Authenticator: building the chains from the config, and the
// entry points (SASL sessions, verify_plain, lookups, listing, cache). The
// chains themselves are in passdb_chain.cpp and userdb_chain.cpp, the login
// flow in sasl_backend.cpp.
#include <mailstore/auth/authenticator.hpp>

#include "auth/auth_log.hpp"
#include "auth/authenticator_impl.hpp"
#include "auth/sasl_backend.hpp"
#include "auth/username.hpp"

#include <mailstore/config.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace mailstore::auth {
namespace {

using sasl::Verdict;

// The mechanisms Loft implements (sasl/mechanism.hpp lists the same).
constexpr std::array<std::string_view, 11> kMechanisms = {
    "PLAIN",         "LOGIN",         "CRAM-MD5",           "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "EXTERNAL", "ANONYMOUS", "APOP"};

bool known_mechanism(std::string_view name) {
    return std::find(kMechanisms.begin(), kMechanisms.end(), name) != kMechanisms.end();
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Security flags of a mechanism when the SASL module cannot say (RFC 4422
// §3.1 security layers aside, these are Dovecot's MECH flags).
MechanismInfo builtin_info(std::string_view name) {
    MechanismInfo m;
    m.name = std::string(name);
    if (name == "PLAIN" || name == "LOGIN")
        m.plaintext = true;
    else if (name == "CRAM-MD5" || name == "DIGEST-MD5")
        m.dictionary = true;
    else if (name == "ANONYMOUS")
        m.anonymous = true;
    else if (name.rfind("SCRAM-", 0) == 0)
        m.mutual_auth = true;
    else if (name == "EXTERNAL")
        m.private_ = true;
    if (name == "DIGEST-MD5")
        m.mutual_auth = true;
    return m;
}

int verbose_override(const config::Section& sec) {
    auto v = sec.get("auth_verbose");
    return v == "yes" ? 1 : v == "no" ? 0 : -1;
}

// What the driver of a passdb/userdb block is created from.
DriverArgs driver_args(const config::Section& sec, const std::string& driver, const config::Config& config,
                       const log::Logger& logger) {
    DriverArgs args;
    args.driver = driver;
    args.args = sec.get("args");
    args.where = sec.location_of("args").value_or(sec.location());
    args.config = &config;
    args.log = logger;
    return args;
}

std::string block_name(const config::Section& sec, const std::string& driver) {
    if (auto n = sec.raw("name"); n && !n->empty())
        return *n;
    return driver;
}

std::string where_of(const config::Section& sec, std::string_view key) {
    auto loc = sec.location_of(key);
    return (loc ? *loc : sec.location()).to_string();
}

Result<DbRule> rule_of(const config::Section& sec, std::string_view key) {
    auto r = parse_db_rule(sec.get(key));
    if (!r)
        return Status::invalid(where_of(sec, key) + ": " + std::string(key) + ": unknown action \"" + sec.get(key) +
                               "\"");
    return *r;
}

template <typename Block>
Status read_common(const config::Section& sec, Block& b) {
    b.default_fields = parse_field_string(sec.get("default_fields"));
    b.override_fields = parse_field_string(sec.get("override_fields"));
    auto s = rule_of(sec, "result_success");
    if (!s)
        return s.status();
    auto f = rule_of(sec, "result_failure");
    if (!f)
        return f.status();
    auto i = rule_of(sec, "result_internalfail");
    if (!i)
        return i.status();
    b.on_success = *s;
    b.on_failure = *f;
    b.on_internalfail = *i;
    b.verbose = verbose_override(sec);
    return Status::ok();
}

PassdbResult to_passdb_result(const AuthenticatorImpl& impl, const AuthRequest& request) {
    AuthRequest copy = request;
    copy.passdb_fields = {};
    auto out = impl.run_passdbs(copy, false, PassdbMode::lookup);
    PassdbResult r;
    switch (out.kind) {
    case ChainOutcome::Kind::ok:
        r.kind = PassdbResult::Kind::ok;
        r.fields = copy.passdb_fields;
        break;
    case ChainOutcome::Kind::temp_fail:
        r.kind = PassdbResult::Kind::internal_failure;
        r.error = out.error;
        break;
    default:
        r.kind = PassdbResult::Kind::user_unknown;
        break;
    }
    return r;
}

// The reply for a finished exchange; logs failures and keeps the penalty.
AuthReply make_reply(const AuthenticatorImpl& impl, const SaslBackend& backend, Verdict verdict, std::string data,
                     std::string_view method, std::string_view mechanism_error) {
    AuthReply reply;
    const AuthRequest& req = backend.request();
    reply.passdb_fields = req.passdb_fields;
    reply.userdb_fields = req.userdb_fields;
    const ClientInfo& client = req.client;
    if (verdict == Verdict::ok) {
        reply.kind = AuthReply::Kind::success;
        reply.data = std::move(data);
        reply.user = req.user;
        reply.master_user = req.master_user;
        // Only this user's failures are forgotten: clearing the address
        // would let one valid account reset the penalty of every guess
        // made from there (penalty.hpp).
        if (!client.no_penalty)
            impl.penalty.clear_user(req.master_user.empty() ? req.user : req.master_user);
        return reply;
    }
    std::string reason = backend.failure_reason();
    if (reason.empty()) {
        switch (verdict) {
        case Verdict::malformed:
            reason = "malformed client data";
            break;
        case Verdict::mismatch:
            reason = "password mismatch";
            break;
        case Verdict::unusable:
            reason = "stored password cannot be used with " + std::string(method);
            break;
        default:
            reason = "authentication failed";
            break;
        }
        if (!mechanism_error.empty())
            reason += " (" + std::string(mechanism_error) + ")";
    }
    impl.log.log(log::Level::info, log::Category::general,
                 failure_log_line(backend.attempted_user(), method, client, reason));
    if (verdict == Verdict::temp_fail) {
        reply.kind = AuthReply::Kind::temporary_failure;
        reply.user = backend.reply_user();
        reply.delay = impl.settings.failure_delay;
        return reply;
    }
    reply.kind = AuthReply::Kind::failure;
    reply.user = backend.reply_user();
    reply.reason = backend.client_reason();
    if (req.passdb_fields.has("nodelay"))
        reply.delay = std::chrono::milliseconds(0);
    else if (client.no_penalty)
        reply.delay = impl.settings.failure_delay;
    else
        reply.delay = impl.penalty.fail(client.remote_ip, backend.penalty_user(), impl.settings.failure_delay);
    return reply;
}

sasl::MechanismSettings mechanism_settings(const AuthSettings& s, const ClientInfo& client) {
    sasl::MechanismSettings m;
    // RFC 5802 §6: when a SCRAM-*-PLUS mechanism is on offer over a channel
    // that has binding data, a plain SCRAM client sending "y" ("I could
    // bind but you do not offer it") saw a list with -PLUS stripped in
    // transit: the mechanism refuses it.
    const bool plus_enabled = std::any_of(s.mechanisms.begin(), s.mechanisms.end(), [](const std::string& n) {
        return n.rfind("SCRAM-", 0) == 0 && n.size() > 5 && n.compare(n.size() - 5, 5, "-PLUS") == 0;
    });
    m.plus_offered = plus_enabled && !client.channel_binding_data.empty();
    m.realms = s.realms;
    m.default_realm = s.default_realm;
    m.anonymous_username = s.anonymous_username;
    m.hostname = s.hostname;
    return m;
}

} // namespace

struct AuthSession::State {
    std::string mechanism;
    std::shared_ptr<AuthenticatorImpl> impl;
    std::unique_ptr<SaslBackend> backend;
    std::unique_ptr<sasl::Mechanism> mech;
    bool first = true;
    bool done = false;
};

AuthReply AuthSession::step(std::string_view response, bool has_initial_response) {
    AuthReply reply;
    if (!state_ || state_->done || !state_->mech)
        return reply; // failure
    bool first = state_->first;
    state_->first = false;
    auto s = state_->mech->step(response, first, first ? has_initial_response : true);
    if (s.kind == sasl::Step::Kind::challenge) {
        reply.kind = AuthReply::Kind::challenge;
        reply.data = std::move(s.data);
        return reply;
    }
    state_->done = true;
    Verdict v = s.kind == sasl::Step::Kind::success ? Verdict::ok : s.verdict;
    if (s.kind == sasl::Step::Kind::failure && v == Verdict::ok)
        v = Verdict::malformed; // a failure must never read as a success
    return make_reply(*state_->impl, *state_->backend, v, std::move(s.data), state_->mechanism, s.error);
}

const std::string& AuthSession::mechanism() const {
    static const std::string none;
    return state_ ? state_->mechanism : none;
}
AuthSession::AuthSession(AuthSession&&) noexcept = default;
AuthSession& AuthSession::operator=(AuthSession&&) noexcept = default;
AuthSession::~AuthSession() = default;
AuthSession::AuthSession(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<Authenticator> Authenticator::create(const config::Config& config, log::Logger logger) {
    auto settings = read_auth_settings(config);
    if (!settings)
        return settings.status();
    for (const auto& m : settings->mechanisms)
        if (!known_mechanism(m)) {
            auto loc = config.location_of("auth_mechanisms");
            return Status::invalid((loc ? loc->to_string() + ": " : std::string()) +
                                   "auth_mechanisms: unknown mechanism " + m);
        }
    auto impl = std::make_shared<AuthenticatorImpl>();
    impl->settings = std::move(*settings);
    impl->log = logger;
    impl->hostname = impl->settings.hostname;
    if (impl->settings.cache_size > 0)
        impl->cache = std::make_unique<AuthCache>(impl->settings.cache_size, impl->settings.cache_ttl,
                                                  impl->settings.cache_negative_ttl);

    for (const auto& sec : config.sections("passdb")) {
        PassdbBlock b;
        b.driver = sec.get("driver");
        b.where = sec.location();
        if (b.driver.empty())
            return Status::invalid(sec.location().to_string() + ": passdb block without a driver");
        b.name = block_name(sec, b.driver);
        DriverArgs args = driver_args(sec, b.driver, config, logger);
        auto db = make_passdb(args);
        if (!db)
            return db.status();
        b.db = std::move(*db);
        if (auto st = read_common(sec, b); !st)
            return st;
        auto skip = sec.get("skip");
        b.skip = skip == "authenticated"     ? PassdbBlock::Skip::authenticated
                 : skip == "unauthenticated" ? PassdbBlock::Skip::unauthenticated
                                             : PassdbBlock::Skip::never;
        b.deny = sec.get_bool("deny");
        b.pass = sec.get_bool("pass");
        b.master = sec.get_bool("master");
        for (const auto& m : sec.get_list("mechanisms"))
            b.mechanisms.push_back(upper(m));
        b.username_filter = sec.get_list("username_filter");
        impl->passdbs.push_back(std::move(b));
    }
    AuthenticatorImpl* raw = impl.get();
    for (const auto& sec : config.sections("userdb")) {
        UserdbBlock b;
        b.driver = sec.get("driver");
        b.where = sec.location();
        if (b.driver.empty())
            return Status::invalid(sec.location().to_string() + ": userdb block without a driver");
        b.name = block_name(sec, b.driver);
        DriverArgs args = driver_args(sec, b.driver, config, logger);
        // The impl owns the userdbs, so it outlives every call of this.
        args.passdb_lookup = [raw](const AuthRequest& r) { return to_passdb_result(*raw, r); };
        auto db = make_userdb(args);
        if (!db)
            return db.status();
        b.db = std::move(*db);
        if (auto st = read_common(sec, b); !st)
            return st;
        auto skip = sec.get("skip");
        b.skip = skip == "found" ? UserdbBlock::Skip::found
                 : skip == "notfound" ? UserdbBlock::Skip::notfound
                                      : UserdbBlock::Skip::never;
        if (b.driver == "static" && parse_field_string(args.args).get_or("allow_all_users", "no") != "yes") {
            // A static userdb without allow_all_users asks the passdbs
            // whether the user exists, without a password. Drivers that only
            // verify a password (PAM) answer such a lookup with an internal
            // failure, so every login would fail: refuse the config now.
            bool any_lookup = std::any_of(impl->passdbs.begin(), impl->passdbs.end(), [](const PassdbBlock& p) {
                return !p.master && !p.deny && !p.db->verifies_plaintext();
            });
            bool any_normal = std::any_of(impl->passdbs.begin(), impl->passdbs.end(),
                                          [](const PassdbBlock& p) { return !p.master && !p.deny; });
            if (any_normal && !any_lookup)
                return Status::invalid(args.where.to_string() +
                                       ": static userdb without allow_all_users=yes needs a passdb that can look "
                                       "users up without a password, and these passdbs (pam) cannot: set "
                                       "allow_all_users=yes");
        }
        impl->userdbs.push_back(std::move(b));
    }
    return Authenticator(std::move(impl));
}

Authenticator::Authenticator(std::shared_ptr<AuthenticatorImpl> impl) : impl_(std::move(impl)) {}

std::vector<MechanismInfo> Authenticator::mechanisms() const {
    std::vector<MechanismInfo> out;
    for (const auto& name : impl_->settings.mechanisms) {
        if (std::any_of(out.begin(), out.end(), [&](const MechanismInfo& m) { return m.name == name; }))
            continue;
        // APOP needs a plaintext password (RFC 1939 §7): off when no passdb
        // can return one, so POP3 sends no timestamp it cannot honour.
        if (name == "APOP" && std::none_of(impl_->passdbs.begin(), impl_->passdbs.end(), [](const PassdbBlock& b) {
                return !b.deny && !b.master && b.db && b.db->may_store_plaintext();
            }))
            continue;
        auto info = sasl::mechanism_info(name);
        out.push_back(info ? *info : builtin_info(name));
    }
    return out;
}

Result<AuthSession> Authenticator::begin(std::string_view mechanism, const ClientInfo& client) const {
    std::string name = upper(mechanism);
    const auto& enabled = impl_->settings.mechanisms;
    if (std::find(enabled.begin(), enabled.end(), name) == enabled.end())
        return Status::not_found("unsupported authentication mechanism " + log_safe_user(name));
    // APOP's only protection is the greeting's timestamp (RFC 1939 §7),
    // which only a POP3 session makes: any other service (IMAP
    // AUTHENTICATE, an auth client asking for another service) would let a
    // sniffed APOP login be replayed, so it is unknown there.
    if (name == "APOP" && client.service != "pop3")
        return Status::not_found("unsupported authentication mechanism " + log_safe_user(name));
    auto info = sasl::mechanism_info(name);
    bool plaintext = info ? info->plaintext : builtin_info(name).plaintext;
    // Only TLS, a loopback peer or login_trusted_networks make a channel
    // safe for a cleartext password. An empty remote_ip is an auth client
    // that did not say where the user is (no rip=): that is not "local",
    // or any such peer would get PLAIN over an insecure channel.
    // In-process tools say secured instead.
    if (plaintext && impl_->settings.plaintext_only_secured && !client.secured && !is_loopback(client.remote_ip) &&
        !ip_in_networks(client.remote_ip, impl_->settings.trusted_networks))
        return Status::error(Status::Code::permission_denied,
                             "plaintext authentication disallowed on non-secure (SSL/TLS) connections");
    auto state = std::make_unique<AuthSession::State>();
    state->mechanism = name;
    state->impl = impl_;
    state->backend = std::make_unique<SaslBackend>(*impl_, client, name);
    state->mech = sasl::make_mechanism(name, *state->backend, mechanism_settings(impl_->settings, client));
    if (!state->mech)
        return Status::not_found("authentication mechanism " + name + " is not available");
    return AuthSession(std::move(state));
}

AuthReply Authenticator::verify_plain(std::string_view user, std::string_view password,
                                      const ClientInfo& client) const {
    SaslBackend backend(*impl_, client, "PLAIN");
    auto v = backend.verify_password({}, user, password);
    return make_reply(*impl_, backend, v, {}, "PLAIN", {});
}

namespace {

Result<AuthRequest> lookup_request(const AuthenticatorImpl& impl, std::string_view user, const ClientInfo& client) {
    AuthRequest req;
    req.client = client;
    req.log = impl.log;
    req.original_user.assign(user);
    if (!username_allowed(user, impl.settings.username_chars))
        return Status::not_found("invalid user name");
    auto name = format_username(user, impl.settings, req);
    if (!name)
        return Status::error(Status::Code::temporary_failure, name.status().message());
    req.user = std::move(*name);
    return req;
}

} // namespace

LookupResult Authenticator::lookup_user(std::string_view user, const ClientInfo& client) const {
    LookupResult out;
    auto req = lookup_request(*impl_, user, client);
    if (!req) {
        out.kind = req.status().code() == Status::Code::not_found ? LookupResult::Kind::not_found
                                                                  : LookupResult::Kind::temporary_failure;
        out.error = req.status().message();
        return out;
    }
    auto u = impl_->run_userdbs(*req);
    out.user = req->user;
    if (u.kind == UserdbOutcome::Kind::ok) {
        out.kind = LookupResult::Kind::found;
        out.fields = req->userdb_fields;
    } else if (u.kind == UserdbOutcome::Kind::temp_fail) {
        out.kind = LookupResult::Kind::temporary_failure;
        out.error = u.error;
    }
    return out;
}

LookupResult Authenticator::lookup_pass(std::string_view user, const ClientInfo& client) const {
    LookupResult out;
    auto req = lookup_request(*impl_, user, client);
    if (!req) {
        out.kind = req.status().code() == Status::Code::not_found ? LookupResult::Kind::not_found
                                                                  : LookupResult::Kind::temporary_failure;
        out.error = req.status().message();
        return out;
    }
    auto r = impl_->run_passdbs(*req, false, PassdbMode::lookup);
    out.user = req->user;
    if (r.kind == ChainOutcome::Kind::ok) {
        out.kind = LookupResult::Kind::found;
        out.fields = req->passdb_fields;
        // Prefetched userdb fields keep their prefix here, as the passdb
        // returned them.
        for (const auto& [k, v] : req->userdb_fields)
            out.fields.set("userdb_" + k, v);
    } else if (r.kind == ChainOutcome::Kind::temp_fail) {
        out.kind = LookupResult::Kind::temporary_failure;
        out.error = r.error;
    }
    return out;
}

Status Authenticator::iterate_users(const std::function<bool(std::string_view user)>& each) const {
    bool any = false, stop = false;
    for (const auto& b : impl_->userdbs) {
        if (!b.db->can_iterate())
            continue;
        any = true;
        auto st = b.db->iterate([&](std::string_view user) {
            if (!each(user)) {
                stop = true;
                return false;
            }
            return true;
        });
        if (!st)
            return st;
        if (stop)
            break;
    }
    if (!any)
        return Status::not_found("no userdb can list its users");
    return Status::ok();
}

void Authenticator::flush_cache() const {
    if (impl_->cache)
        impl_->cache->flush();
}

Authenticator::CacheStats Authenticator::cache_stats() const {
    if (!impl_->cache)
        return {};
    auto s = impl_->cache->stats();
    return {s.hits, s.misses, s.entries};
}

} // namespace mailstore::auth
