// A Session over a real Maildir in a temporary directory, no sockets: the
// unit tests of the IMAP commands talk to it the way a client talks to the
// daemon and check what comes back on the "wire".
//
//   MailEnv env;                              // users alice/secret and bob/secret
//   env.add_message("alice", "INBOX", "Subject: hi\r\n\r\nbody\r\n");
//   SessionHarness s(env);                    // greeting read
//   s.login();                                // "a0 LOGIN alice secret" must say OK
//   auto r = s.cmd("a1 SELECT INBOX");        // everything up to and including the a1 line
//   CHECK(r.find("* 1 EXISTS") != npos);
#pragma once

#include "../test_support.hpp"

#include <imapproto/login_backend.hpp>
#include <imapproto/session.hpp>

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

namespace imap_test {

// A temporary directory with a config (maildir:DIR/mail/%u/Maildir,
// passwd-file users alice, bob and carol, all with password "secret"),
// the config's extra lines appended.
class MailEnv {
public:
    explicit MailEnv(std::string_view extra_config = "");
    loft_test::TempDir dir{"loft-imap"};
    std::shared_ptr<const mailstore::config::Config> config;
    std::shared_ptr<imapproto::LoginBackend> backend;

    // The user's storage, opened through the same config.
    mailstore::storage::User open_user(const std::string& user) const;
    // Saves a message through the storage API (creating the mailbox when
    // missing) and returns its UID. `internal_date`: Unix seconds.
    std::uint32_t add_message(const std::string& user, const std::string& mailbox, std::string_view data,
                              mailstore::storage::MailFlags flags = 0, std::vector<std::string> keywords = {},
                              std::optional<std::int64_t> internal_date = std::nullopt);
    // The user's Maildir root (DIR/mail/USER/Maildir).
    std::string maildir(const std::string& user) const;
};

struct HarnessOptions {
    bool secured = true;            // the client counts as secure (loopback/TLS)
    std::string remote_ip = "127.0.0.1"; // a loopback client is secured whatever `secured` says
    bool tls_active = false;
    bool starttls_available = false;
    std::string preauth_user;       // PREAUTH instead of a greeting
    std::size_t output_high_water = 256 * 1024;
    bool ssl_required = false;
    // SessionOptions::on_login (the daemon's checks), when set.
    std::function<mailstore::Status(const std::string&, const mailstore::auth::FieldList&)> on_login;
};

class SessionHarness {
public:
    explicit SessionHarness(MailEnv& env, HarnessOptions options = {});
    ~SessionHarness();

    imapproto::Session& session() { return *session_; }
    MailEnv& env() { return env_; }
    // What start() sent.
    const std::string& greeting() const { return greeting_; }

    // Feeds `bytes` as they are and runs the session until it wants
    // input (Step::read or Step::idle) or closes, draining output after
    // every step (Step::sleep is not waited for). Returns the output.
    std::string send_raw(std::string_view bytes);
    // send_raw(line + "\r\n").
    std::string send(std::string_view line);
    // send(line), where line starts with a tag, then checks that the
    // output ends with a tagged reply for that tag and returns all of it.
    std::string cmd(std::string_view line);
    // "a0 LOGIN user secret" and REQUIRE that it says OK.
    void login(const std::string& user = "alice", const std::string& password = "secret");

    // The kind of the last Step returned by run().
    imapproto::Step::Kind last_step() const { return last_.kind; }
    const imapproto::Step& last() const { return last_; }
    bool closed() const { return last_.kind == imapproto::Step::Kind::close; }

private:
    std::string drain();
    std::string pump();
    MailEnv& env_;
    std::unique_ptr<imapproto::Session> session_;
    std::string greeting_;
    imapproto::Step last_;
};

// The tagged line for `tag` in `output` ("" when none).
std::string tagged_line(std::string_view output, std::string_view tag);
// Lines of `output` without CRLF.
std::vector<std::string> lines(std::string_view output);
// Whether `output` has a line starting with `prefix`.
bool has_line(std::string_view output, std::string_view prefix);
// `output` without the RFC 8474 MAILBOXID that CREATE (a "[MAILBOXID
// (...)] " code) and SELECT/EXAMINE (a "* OK [MAILBOXID (...)] Ok" line)
// give: the id is random, so tests of other things compare the rest.
std::string without_mailboxid(std::string_view output);

} // namespace imap_test
