#include "login_tracker.hpp"

namespace loft {

namespace auth = mailstore::auth;

namespace {

class TrackedExchange final : public mailstore::auth::SaslExchange {
public:
    TrackedExchange(std::unique_ptr<mailstore::auth::SaslExchange> inner, LoginTracker& tracker)
        : inner_(std::move(inner)), tracker_(tracker) {}
    auth::AuthReply step(std::string_view response, bool has_initial_response) override {
        auth::AuthReply reply = inner_->step(response, has_initial_response);
        tracker_.note_reply(reply);
        return reply;
    }

private:
    std::unique_ptr<mailstore::auth::SaslExchange> inner_;
    LoginTracker& tracker_; // the session owns both and drops the exchange first
};

} // namespace

std::vector<auth::MechanismInfo> LoginTracker::mechanisms() const { return inner_->mechanisms(); }

mailstore::Result<std::unique_ptr<mailstore::auth::SaslExchange>>
LoginTracker::begin(std::string_view mechanism, const auth::ClientInfo& client) {
    ++attempts_;
    last_mechanism_ = std::string(mechanism);
    auto exchange = inner_->begin(mechanism, client);
    if (!exchange)
        return exchange.status();
    return std::unique_ptr<mailstore::auth::SaslExchange>(std::make_unique<TrackedExchange>(std::move(*exchange), *this));
}

auth::AuthReply LoginTracker::verify_plain(std::string_view user, std::string_view password,
                                           const auth::ClientInfo& client) {
    ++attempts_;
    // Dovecot logs IMAP LOGIN as method=PLAIN: imap-login turns it into a
    // PLAIN exchange with the auth server.
    last_mechanism_ = "PLAIN";
    last_user_ = std::string(user);
    auth::AuthReply reply = inner_->verify_plain(user, password, client);
    note_reply(reply);
    return reply;
}

auth::LookupResult LoginTracker::lookup_user(std::string_view user, const auth::ClientInfo& client) {
    return inner_->lookup_user(user, client);
}

void LoginTracker::note_reply(const auth::AuthReply& reply) {
    if (reply.kind != auth::AuthReply::Kind::challenge && !reply.user.empty())
        last_user_ = reply.user;
}

} // namespace loft
