#include "session_harness.hpp"

#include <mailstore/auth/authenticator.hpp>

namespace pop3_test {

namespace {

// "{PLAIN}" keeps the tests fast (no crypt rounds) and lets APOP work.
constexpr const char* kUsers = "alice:{PLAIN}secret::::\n"
                               "bob:{PLAIN}secret::::\n"
                               "carol:{PLAIN}secret::::\n";

} // namespace

Pop3Env::Pop3Env(std::string_view extra_config) {
    std::string users = dir.write("users", kUsers);
    std::string text = "mail_location = maildir:" + dir.str() + "/mail/%u/Maildir\n"
                       "mail_fsync = never\n"
                       "auth_failure_delay = 0\n"
                       "passdb {\n  driver = passwd-file\n  args = " + users + "\n}\n"
                       "userdb {\n  driver = static\n  args = home=" + dir.str() + "/home/%u\n}\n";
    text += std::string(extra_config);
    auto loaded = mailstore::config::Config::load_string(text, "harness.conf");
    REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
    config = std::make_shared<const mailstore::config::Config>(std::move(*loaded));
    auto auth = mailstore::auth::Authenticator::create(*config);
    REQUIRE_MESSAGE(auth.is_ok(), auth.status().message());
    backend = mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
}

mailstore::storage::User Pop3Env::open_user(const std::string& user) const {
    mailstore::auth::FieldList fields;
    fields.set("home", dir.str() + "/home/" + user);
    auto settings = mailstore::storage::user_settings_from_userdb(user, fields, "pop3");
    auto opened = mailstore::storage::User::open(*config, settings);
    REQUIRE_MESSAGE(opened.is_ok(), opened.status().message());
    return std::move(*opened);
}

std::string Pop3Env::maildir(const std::string& user) const { return dir.str() + "/mail/" + user + "/Maildir"; }

mailstore::storage::Mailbox Pop3Env::open_inbox(const std::string& user) const {
    auto u = open_user(user);
    auto box = mailstore::storage::Mailbox::open(u, "INBOX");
    REQUIRE_MESSAGE(box.is_ok(), box.status().message());
    return std::move(*box);
}

std::uint32_t Pop3Env::add_message(const std::string& user, std::string_view data, mailstore::storage::MailFlags flags,
                                   std::vector<std::string> keywords, std::string pop3_uidl) {
    auto box = open_inbox(user);
    auto tx = box.begin();
    mailstore::storage::SaveRequest req;
    req.data = data;
    req.flags = flags;
    req.keywords = std::move(keywords);
    req.pop3_uidl = std::move(pop3_uidl);
    auto st = tx.save(req);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    auto committed = tx.commit();
    REQUIRE_MESSAGE(committed.is_ok(), committed.status().message());
    REQUIRE(committed->saved.size() == 1);
    return committed->saved[0];
}

Pop3Harness::Pop3Harness(Pop3Env& env, HarnessOptions options) {
    pop3proto::SessionOptions so;
    so.config = env.config;
    so.client.service = "pop3";
    so.client.remote_ip = options.remote_ip;
    so.client.local_ip = "127.0.0.1";
    so.client.remote_port = 40000;
    so.client.local_port = 110;
    so.client.secured = options.secured;
    so.client.session_id = "harness";
    so.tls_active = options.tls_active;
    so.stls_available = options.stls_available;
    so.ssl_required = options.ssl_required;
    so.login = options.backend ? options.backend : env.backend;
    so.preauth_user = options.preauth_user;
    so.output_high_water = options.output_high_water;
    so.max_line_length = options.max_line_length;
    so.on_login = options.on_login;
    session_ = std::make_unique<pop3proto::Session>(std::move(so));
    session_->start();
    greeting_ = pump();
}

Pop3Harness::~Pop3Harness() = default;

std::string Pop3Harness::drain() {
    std::string out;
    while (session_->has_output()) {
        auto front = session_->output_front();
        out.append(front);
        session_->output_consume(front.size());
    }
    return out;
}

std::string Pop3Harness::pump() {
    std::string out;
    for (int guard = 0; guard < 10000000; ++guard) {
        last_ = session_->run();
        steps.push_back(last_.kind);
        max_pending = std::max(max_pending, session_->output_pending());
        out += drain();
        switch (last_.kind) {
        case pop3proto::Step::Kind::read:
        case pop3proto::Step::Kind::close:
            return out;
        case pop3proto::Step::Kind::starttls:
            session_->tls_started();
            break;
        case pop3proto::Step::Kind::flush:
        case pop3proto::Step::Kind::sleep:
            break;
        }
    }
    FAIL("session never asked for input");
    return out;
}

std::string Pop3Harness::send_raw(std::string_view bytes) {
    session_->feed(bytes);
    return pump();
}

void Pop3Harness::login(const std::string& user, const std::string& password) {
    REQUIRE(send("USER " + user) == "+OK\r\n");
    REQUIRE(send("PASS " + password) == "+OK Logged in.\r\n");
}

std::vector<std::string> lines(std::string_view output) {
    std::vector<std::string> result;
    std::size_t pos = 0;
    while (pos < output.size()) {
        auto end = output.find("\r\n", pos);
        if (end == std::string_view::npos) {
            result.emplace_back(output.substr(pos));
            break;
        }
        result.emplace_back(output.substr(pos, end - pos));
        pos = end + 2;
    }
    return result;
}

} // namespace pop3_test
