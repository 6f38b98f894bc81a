#include "lmtp_harness.hpp"

#include <mailstore/auth/authenticator.hpp>

#include <algorithm>
#include <filesystem>

namespace lmtp_test {

mailstore::auth::LookupResult FlakyUserdb::lookup_user(std::string_view user,
                                                       const mailstore::auth::ClientInfo& client) {
    looked_up.emplace_back(user);
    clients.push_back(client);
    if (temporary.count(std::string(user)) != 0) {
        mailstore::auth::LookupResult r;
        r.kind = mailstore::auth::LookupResult::Kind::temporary_failure;
        r.error = "userdb unreachable (test)";
        return r;
    }
    return real_->lookup_user(user, client);
}

LmtpEnv::LmtpEnv(std::string_view extra_config) {
    const std::string users = dir.write("users", "alice:{PLAIN}secret:::::" + dir.str() + "/home/alice::\n"
                                                 "bob:{PLAIN}secret:::::" + dir.str() + "/home/bob::\n"
                                                 "carol:{PLAIN}secret:::::" + dir.str() + "/home/carol::\n"
                                                 "dave:{PLAIN}secret:::::" + dir.str() + "/home/dave::\n");
    std::filesystem::create_directories(dir.path / "tmp");
    std::string text = "mail_location = maildir:" + dir.str() + "/mail/%u/Maildir\n"
                       "mail_fsync = never\n"
                       "hostname = mx.example.org\n"
                       "mail_temp_dir = " + dir.str() + "/tmp\n"
                       "passdb {\n  driver = passwd-file\n  args = " + users + "\n}\n"
                       "userdb {\n  driver = passwd-file\n  args = " + users + "\n}\n";
    text += std::string(extra_config);
    auto loaded = mailstore::config::Config::load_string(text, "lmtp-test.conf");
    REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
    config = std::make_shared<const mailstore::config::Config>(std::move(*loaded));
    auto auth = mailstore::auth::Authenticator::create(*config);
    REQUIRE_MESSAGE(auth.is_ok(), auth.status().message());
    userdb = std::make_shared<FlakyUserdb>(mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth))));
    auto d = mailstore::delivery::Deliverer::create(config, "lmtp", mailstore::log::Logger("lmtp"));
    REQUIRE_MESSAGE(d.is_ok(), d.status().message());
    deliverer = std::make_shared<const mailstore::delivery::Deliverer>(std::move(*d));
}

std::string LmtpEnv::maildir(const std::string& user) const { return dir.str() + "/mail/" + user + "/Maildir"; }

std::vector<std::string> LmtpEnv::delivered(const std::string& user, const std::string& mailbox) const {
    std::filesystem::path root = maildir(user);
    if (mailbox != "INBOX")
        root /= "." + mailbox;
    std::vector<std::filesystem::path> files;
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(root / sub, ec))
            if (entry.is_regular_file())
                files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files)
        out.push_back(loft_test::slurp(f));
    return out;
}

namespace {

lmtpd::SessionOptions make_options(LmtpEnv& env, const ClientOptions& c) {
    lmtpd::SessionOptions so;
    so.config = env.config;
    so.client.service = "lmtp";
    so.client.remote_ip = "127.0.0.1";
    so.client.local_ip = "127.0.0.1";
    so.client.remote_port = 40000;
    so.client.local_port = 24;
    so.client.session_id = c.session_id;
    so.userdb = env.userdb;
    so.deliverer = env.deliverer;
    so.xclient_allowed = c.xclient_allowed;
    so.starttls_available = c.starttls_available;
    so.tls_active = c.tls_active;
    so.max_line_length = c.max_line_length;
    so.max_recipients = c.max_recipients;
    so.max_message_size = c.max_message_size;
    so.output_high_water = c.output_high_water;
    return so;
}

} // namespace

LmtpClient::LmtpClient(LmtpEnv& env, ClientOptions options) : LmtpClient(env, make_options(env, options)) {}

LmtpClient::LmtpClient(LmtpEnv&, lmtpd::SessionOptions options)
    : session_(std::make_unique<lmtpd::Session>(std::move(options))) {
    session_->start();
    greeting_ = pump();
}

std::string LmtpClient::drain() {
    std::string out;
    while (session_->has_output()) {
        const std::string_view front = session_->output_front();
        out.append(front);
        session_->output_consume(front.size());
    }
    return out;
}

std::string LmtpClient::pump() {
    std::string out;
    for (int guard = 0; guard < 1000000; ++guard) {
        const lmtpd::Step step = session_->run();
        last_ = step.kind;
        out += drain();
        if (step.kind == lmtpd::Step::Kind::flush)
            continue;
        return out;
    }
    FAIL("the session never asked for input");
    return out;
}

std::string LmtpClient::send(std::string_view bytes) {
    std::string out = pump();
    session_->feed(bytes);
    out += pump();
    return out;
}

std::string LmtpClient::send_bytewise(std::string_view bytes) {
    std::string out;
    for (char c : bytes) {
        session_->feed(std::string_view(&c, 1));
        out += pump();
    }
    return out;
}

void LmtpClient::lhlo() {
    const std::string reply = send("LHLO client.example\r\n");
    REQUIRE(reply.rfind("250-mx.example.org\r\n", 0) == 0);
    REQUIRE(reply.find("\r\n250 ") != std::string::npos);
}

std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find("\r\n", pos);
        if (end == std::string_view::npos) {
            out.emplace_back(text.substr(pos));
            break;
        }
        out.emplace_back(text.substr(pos, end - pos));
        pos = end + 2;
    }
    return out;
}

std::string default_lhlo_reply() {
    return "250-mx.example.org\r\n"
           "250-8BITMIME\r\n"
           "250-BINARYMIME\r\n"
           "250-CHUNKING\r\n"
           "250-ENHANCEDSTATUSCODES\r\n"
           "250-PIPELINING\r\n"
           "250-SIZE\r\n"
           "250 SMTPUTF8\r\n";
}

} // namespace lmtp_test
