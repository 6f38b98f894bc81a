// An LMTP Session over a real Deliverer and Maildirs in a temporary
// directory, no sockets: the unit tests talk to it as a client talks to
// loft-lmtpd and check the bytes that come back and the files on disk.
//
//   LmtpEnv env;                                  // users alice, bob, carol
//   LmtpClient c(env);                            // greeting read
//   CHECK(c.send("LHLO client\r\n") == "250-...");
//   c.send("MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n");
//   auto files = env.delivered("alice");
#pragma once

#include "../test_support.hpp"

#include <lmtp_session.hpp>

#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lmtp_test {

// A userdb in front of the real one: the names in `temporary` fail with
// temporary_failure (an unreachable userdb), everything else is passed on;
// `lookups` counts the calls.
class FlakyUserdb : public mailstore::auth::LoginBackend {
public:
    explicit FlakyUserdb(std::shared_ptr<mailstore::auth::LoginBackend> real) : real_(std::move(real)) {}
    std::vector<mailstore::auth::MechanismInfo> mechanisms() const override { return real_->mechanisms(); }
    mailstore::Result<std::unique_ptr<mailstore::auth::SaslExchange>>
    begin(std::string_view mechanism, const mailstore::auth::ClientInfo& client) override {
        return real_->begin(mechanism, client);
    }
    mailstore::auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                            const mailstore::auth::ClientInfo& client) override {
        return real_->verify_plain(user, password, client);
    }
    mailstore::auth::LookupResult lookup_user(std::string_view user,
                                              const mailstore::auth::ClientInfo& client) override;

    std::set<std::string> temporary;
    std::vector<std::string> looked_up;        // names asked for, in order
    std::vector<mailstore::auth::ClientInfo> clients; // the client info of each lookup

private:
    std::shared_ptr<mailstore::auth::LoginBackend> real_;
};

// A temporary directory with a config (mail_location
// maildir:DIR/mail/%u/Maildir, passwd-file userdb with alice, bob, carol
// and dave, hostname mx.example.org) and `extra_config` appended.
class LmtpEnv {
public:
    explicit LmtpEnv(std::string_view extra_config = "");
    loft_test::TempDir dir{"loft-lmtp"};
    std::shared_ptr<const mailstore::config::Config> config;
    std::shared_ptr<FlakyUserdb> userdb;
    std::shared_ptr<const mailstore::delivery::Deliverer> deliverer;

    // The files in the user's INBOX (new/ and cur/), sorted by name, as
    // their contents.
    std::vector<std::string> delivered(const std::string& user, const std::string& mailbox = "INBOX") const;
    std::string maildir(const std::string& user) const;
};

struct ClientOptions {
    bool xclient_allowed = false;
    bool starttls_available = false;
    bool tls_active = false;
    std::size_t max_line_length = 4096;
    std::size_t max_recipients = 0;
    std::uint64_t max_message_size = 0;
    std::size_t output_high_water = 64 * 1024;
    std::string session_id = "SESSID";
};

class LmtpClient {
public:
    explicit LmtpClient(LmtpEnv& env, ClientOptions options = {});
    LmtpClient(LmtpEnv& env, lmtpd::SessionOptions options);

    // Feeds `bytes`, runs the session until it wants input (or closes)
    // and returns everything it wrote meanwhile.
    std::string send(std::string_view bytes);
    // The same, one byte per feed() call.
    std::string send_bytewise(std::string_view bytes);
    // LHLO, answered; returns nothing.
    void lhlo();

    const std::string& greeting() const { return greeting_; }
    lmtpd::Step::Kind last_step() const { return last_; }
    bool closed() const { return last_ == lmtpd::Step::Kind::close; }
    lmtpd::Session& session() { return *session_; }
    // Output taken so far across all calls.
    std::string drain();

private:
    std::string pump();
    std::unique_ptr<lmtpd::Session> session_;
    std::string greeting_;
    lmtpd::Step::Kind last_ = lmtpd::Step::Kind::read;
};

// The lines of `text` split at CRLF (without it).
std::vector<std::string> lines(std::string_view text);

// The LHLO reply of the default test session.
std::string default_lhlo_reply();

} // namespace lmtp_test
