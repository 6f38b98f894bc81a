// A POP3 Session over a real Maildir in a temporary directory, no sockets:
// the unit tests talk to it as a client talks to loft-pop3d and check the
// bytes that come back.
//
//   Pop3Env env;                               // users alice, bob, carol / "secret"
//   env.add_message("alice", "Subject: hi\r\n\r\nbody\r\n");
//   Pop3Harness s(env);                        // greeting read
//   s.login();                                 // USER/PASS must say +OK
//   CHECK(s.send("STAT") == "+OK 1 24\r\n");
#pragma once

#include "../test_support.hpp"

#include <pop3proto/session.hpp>

#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pop3_test {

// A temporary directory with a config (maildir:DIR/mail/%u/Maildir,
// passwd-file users alice, bob and carol with password "secret"), the
// extra config lines appended.
class Pop3Env {
public:
    explicit Pop3Env(std::string_view extra_config = "");
    loft_test::TempDir dir{"loft-pop3"};
    std::shared_ptr<const mailstore::config::Config> config;
    std::shared_ptr<mailstore::auth::LoginBackend> backend;

    mailstore::storage::User open_user(const std::string& user) const;
    // Saves a message into INBOX through the storage API; returns its UID.
    std::uint32_t add_message(const std::string& user, std::string_view data, mailstore::storage::MailFlags flags = 0,
                              std::vector<std::string> keywords = {}, std::string pop3_uidl = {});
    std::string maildir(const std::string& user) const;
    // INBOX opened through the storage API (as an IMAP session would).
    mailstore::storage::Mailbox open_inbox(const std::string& user) const;
};

struct HarnessOptions {
    bool secured = true;
    std::string remote_ip = "127.0.0.1";
    bool tls_active = false;
    bool stls_available = false;
    bool ssl_required = false;
    std::string preauth_user;
    std::size_t output_high_water = 256 * 1024;
    std::size_t max_line_length = 8192;
    std::function<mailstore::Status(const std::string&, const mailstore::auth::FieldList&)> on_login;
    std::shared_ptr<mailstore::auth::LoginBackend> backend; // instead of the env's
};

class Pop3Harness {
public:
    explicit Pop3Harness(Pop3Env& env, HarnessOptions options = {});
    ~Pop3Harness();

    pop3proto::Session& session() { return *session_; }
    const std::string& greeting() const { return greeting_; }

    // Feeds `bytes` and runs the session until it wants input or closes,
    // draining the output after every step (sleeps are not waited for).
    std::string send_raw(std::string_view bytes);
    std::string send(std::string_view line) { return send_raw(std::string(line) + "\r\n"); }
    // USER/PASS; REQUIREs "+OK Logged in.".
    void login(const std::string& user = "alice", const std::string& password = "secret");

    const pop3proto::Step& last() const { return last_; }
    bool closed() const { return last_.kind == pop3proto::Step::Kind::close; }
    // Step kinds seen since construction, in order.
    std::vector<pop3proto::Step::Kind> steps;
    // The largest output_pending() seen after any run().
    std::size_t max_pending = 0;

private:
    std::string drain();
    std::string pump();
    std::unique_ptr<pop3proto::Session> session_;
    std::string greeting_;
    pop3proto::Step last_;
};

// Lines of `output` without CRLF.
std::vector<std::string> lines(std::string_view output);

} // namespace pop3_test
