// The userdb chain: every userdb { } block in file order with skip
// (never|found|notfound) and the result_* rules, as for passdbs. Fields of
// every userdb that finds the user are merged, later ones winning; the
// passdb's prefetched userdb_* fields are already in the request.
#include "auth/authenticator_impl.hpp"

namespace mailstore::auth {
namespace {

void merge_userdb_fields(AuthRequest& request, const FieldList& fields) {
    for (const auto& [key, value] : fields) {
        if (key == "user") {
            if (!value.empty())
                request.user = value;
            continue;
        }
        if (key == "home")
            request.home = value;
        request.userdb_fields.set(key, value);
    }
}

} // namespace

UserdbOutcome AuthenticatorImpl::run_userdbs(AuthRequest& request) const {
    using K = UserdbResult::Kind;
    bool success = false, seen_internal = false;
    UserdbOutcome out;
    for (std::size_t i = 0; i < userdbs.size(); ++i) {
        const UserdbBlock& b = userdbs[i];
        // "found" is the chain's success state, as in Dovecot: a userdb that
        // found the user with result_success = continue does not count.
        if ((b.skip == UserdbBlock::Skip::found && success) || (b.skip == UserdbBlock::Skip::notfound && !success)) {
            debug_line(b.name, request, "Skipping userdb (skip)");
            continue;
        }
        debug_line(b.name, request, "Performing userdb lookup");
        std::string key;
        bool cacheable = cache && cache->enabled() && !b.db->cache_key().empty();
        if (cacheable) {
            auto expanded = request.expand(b.db->cache_key());
            key = "U" + std::to_string(i);
            key += '\0';
            key += request.user;
            key += '\0';
            key += expanded ? *expanded : b.db->cache_key();
            // Prefetched fields are part of what a prefetch userdb returns.
            for (const auto& [k, v] : request.userdb_fields) {
                key += '\0';
                key += k + "=" + v;
            }
        }
        UserdbResult r;
        bool from_cache = false;
        if (cacheable) {
            if (auto hit = cache->get_userdb(key, b.db->generation())) {
                r = std::move(*hit);
                from_cache = true;
            }
        }
        if (!from_cache) {
            r = b.db->lookup(request);
            if (cacheable)
                cache->put_userdb(key, b.db->generation(), r);
        }
        if (r.kind == K::ok) {
            if (!b.default_fields.empty())
                for (const auto& [k, v] : expand_fields(b.default_fields, request))
                    if (!r.fields.has(k))
                        r.fields.set(k, v);
            if (!b.override_fields.empty())
                for (const auto& [k, v] : expand_fields(b.override_fields, request))
                    r.fields.set(k, v);
            merge_userdb_fields(request, r.fields);
        } else if (r.kind == K::user_unknown) {
            verbose_line(b.verbose, b.name, request, "unknown user");
        } else {
            seen_internal = true;
            out.error = r.error.empty() ? "userdb internal failure" : r.error;
            log.log(log::Level::error, log::Category::general,
                    driver_log_prefix(b.name, request) + ": " + out.error);
        }
        DbRule rule = r.kind == K::ok ? b.on_success : r.kind == K::user_unknown ? b.on_failure : b.on_internalfail;
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
            break;
        case DbRule::continue_ok:
            go_on = true;
            success = true;
            break;
        case DbRule::continue_fail:
            go_on = true;
            success = false;
            break;
        }
        if (!go_on)
            break;
    }
    if (success)
        out.kind = UserdbOutcome::Kind::ok;
    else if (seen_internal)
        out.kind = UserdbOutcome::Kind::temp_fail;
    else
        out.kind = UserdbOutcome::Kind::unknown;
    return out;
}

} // namespace mailstore::auth
