#include "session_harness.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/auth/password.hpp>

#include <fstream>

namespace imap_test {

namespace {

// "{PLAIN}secret" keeps the tests fast (no crypt rounds).
constexpr const char* kUsers = "alice:{PLAIN}secret::::\n"
                               "bob:{PLAIN}secret::::\n"
                               "carol:{PLAIN}secret::::\n";

} // namespace

MailEnv::MailEnv(std::string_view extra_config) {
    std::string users = dir.write("users", kUsers);
    std::string text = "mail_location = maildir:" + dir.str() + "/mail/%u/Maildir\n"
                       "mail_fsync = never\n"
                       "passdb {\n  driver = passwd-file\n  args = " + users + "\n}\n"
                       "userdb {\n  driver = static\n  args = home=" + dir.str() + "/home/%u\n}\n";
    text += std::string(extra_config);
    auto loaded = mailstore::config::Config::load_string(text, "harness.conf");
    REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
    config = std::make_shared<const mailstore::config::Config>(std::move(*loaded));
    auto auth = mailstore::auth::Authenticator::create(*config);
    REQUIRE_MESSAGE(auth.is_ok(), auth.status().message());
    backend = imapproto::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
}

mailstore::storage::User MailEnv::open_user(const std::string& user) const {
    mailstore::auth::FieldList fields;
    fields.set("home", dir.str() + "/home/" + user);
    auto settings = mailstore::storage::user_settings_from_userdb(user, fields, "imap");
    auto opened = mailstore::storage::User::open(*config, settings);
    REQUIRE_MESSAGE(opened.is_ok(), opened.status().message());
    return std::move(*opened);
}

std::string MailEnv::maildir(const std::string& user) const { return dir.str() + "/mail/" + user + "/Maildir"; }

std::uint32_t MailEnv::add_message(const std::string& user, const std::string& mailbox, std::string_view data,
                                   mailstore::storage::MailFlags flags, std::vector<std::string> keywords,
                                   std::optional<std::int64_t> internal_date) {
    auto u = open_user(user);
    auto box = mailstore::storage::Mailbox::open(u, mailbox);
    if (!box.is_ok()) {
        auto created = u.create_mailbox(mailbox);
        REQUIRE_MESSAGE(created.is_ok(), created.message());
        box = mailstore::storage::Mailbox::open(u, mailbox);
    }
    REQUIRE_MESSAGE(box.is_ok(), box.status().message());
    auto tx = box->begin();
    mailstore::storage::SaveRequest req;
    req.data = data;
    req.flags = flags;
    req.keywords = std::move(keywords);
    req.internal_date = internal_date;
    auto st = tx.save(req);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    auto committed = tx.commit();
    REQUIRE_MESSAGE(committed.is_ok(), committed.status().message());
    REQUIRE(committed->saved.size() == 1);
    return committed->saved[0];
}

SessionHarness::SessionHarness(MailEnv& env, HarnessOptions options) : env_(env) {
    imapproto::SessionOptions so;
    so.config = env.config;
    so.client.service = "imap";
    so.client.remote_ip = options.remote_ip;
    so.client.local_ip = "127.0.0.1";
    so.client.remote_port = 40000;
    so.client.local_port = 143;
    so.client.secured = options.secured;
    so.client.session_id = "harness";
    so.tls_active = options.tls_active;
    so.starttls_available = options.starttls_available;
    so.login = env.backend;
    so.preauth_user = options.preauth_user;
    so.limits.spool_dir = env.dir.str();
    so.output_high_water = options.output_high_water;
    so.ssl_required = options.ssl_required;
    so.on_login = options.on_login;
    session_ = std::make_unique<imapproto::Session>(std::move(so));
    session_->start();
    greeting_ = pump();
}

SessionHarness::~SessionHarness() = default;

std::string SessionHarness::drain() {
    std::string out;
    while (session_->has_output()) {
        auto front = session_->output_front();
        out.append(front);
        session_->output_consume(front.size());
    }
    return out;
}

std::string SessionHarness::pump() {
    std::string out = drain();
    for (int guard = 0; guard < 1000000; ++guard) {
        last_ = session_->run();
        out += drain();
        switch (last_.kind) {
        case imapproto::Step::Kind::read:
        case imapproto::Step::Kind::idle:
        case imapproto::Step::Kind::close:
            return out;
        case imapproto::Step::Kind::starttls:
            session_->tls_started();
            break;
        case imapproto::Step::Kind::flush:
        case imapproto::Step::Kind::sleep:
            break;
        }
    }
    FAIL("session never asked for input");
    return out;
}

std::string SessionHarness::send_raw(std::string_view bytes) {
    session_->feed(bytes);
    return pump();
}

std::string SessionHarness::send(std::string_view line) { return send_raw(std::string(line) + "\r\n"); }

std::string SessionHarness::cmd(std::string_view line) {
    std::string out = send(line);
    auto sp = line.find(' ');
    std::string tag(line.substr(0, sp));
    INFO("command: " << line << "\noutput:\n" << out);
    CHECK_MESSAGE(!tagged_line(out, tag).empty(), "no tagged reply");
    return out;
}

void SessionHarness::login(const std::string& user, const std::string& password) {
    std::string out = cmd("a0 LOGIN " + user + " " + password);
    INFO(out);
    REQUIRE(tagged_line(out, "a0").rfind("a0 OK", 0) == 0);
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

std::string tagged_line(std::string_view output, std::string_view tag) {
    std::string prefix = std::string(tag) + " ";
    for (auto& l : lines(output))
        if (l.rfind(prefix, 0) == 0)
            return l;
    return "";
}

std::string without_mailboxid(std::string_view output) {
    std::string out(output);
    for (;;) {
        auto at = out.find("[MAILBOXID (");
        if (at == std::string::npos)
            return out;
        auto end = out.find(")] ", at);
        if (end == std::string::npos)
            return out;
        // A whole "* OK [MAILBOXID (...)] Ok\r\n" line, else just the code.
        if (at >= 5 && out.compare(at - 5, 5, "* OK ") == 0 && (at == 5 || out[at - 6] == '\n') &&
            out.compare(end + 3, 4, "Ok\r\n") == 0)
            out.erase(at - 5, end + 7 - (at - 5));
        else
            out.erase(at, end + 3 - at);
    }
}

bool has_line(std::string_view output, std::string_view prefix) {
    for (auto& l : lines(output))
        if (l.rfind(prefix, 0) == 0)
            return true;
    return false;
}

} // namespace imap_test
