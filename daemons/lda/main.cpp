// loft-lda: local delivery from a pipe, Dovecot's dovecot-lda for Loft
// (docs/lda.md).
//
//   loft-lda [-ek] [-a ADDRESS] [-r ADDRESS] [-c CONFIG] [-d USER] [-f FROM] [-m MAILBOX] [-o KEY=VALUE]...
//            [-p FILE]
//
// Reads one message on stdin (or -p FILE) into a temporary file, looks the
// user up (loft-authd's auth-userdb socket, else the config's userdbs) and
// delivers through the same pipeline as LMTP (mailstore::delivery, service
// "lda"). The exit status is what sendmail-style MTAs expect (exit_codes.hpp):
// Postfix's pipe(8) and local(8) (mailbox_command) turn 67 into "User
// unknown", 75 into "try again later", and 77 into a bounce.
#include "config_load.hpp"
#include "exit_codes.hpp"
#include "mail_identity.hpp"
#include "message_input.hpp"
#include "user_lookup.hpp"

#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>
#include <mailstore/storage/user.hpp>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <pwd.h>
#include <string>
#include <sys/random.h>
#include <unistd.h>
#include <vector>

namespace delivery = mailstore::delivery;
namespace auth = mailstore::auth;
namespace mlog = mailstore::log;

namespace {

// RFC 5321 §4.5.3.1.3: a path is at most 256 octets; -d and -a name one.
constexpr std::size_t kMaxAddress = 256;
// A mailbox name: the bound IMAP puts on one (docs/imap.md).
constexpr std::size_t kMaxMailbox = 1024;

struct Options {
    std::string user;      // -d
    std::string address;   // -a: the original recipient
    std::string final_address; // -r: the final recipient
    std::string sender;    // -f
    bool have_sender = false;
    std::string mailbox;   // -m
    std::string path;      // -p
    std::string config;    // -c
    std::vector<std::string> overrides; // -o
    bool stderr_rejections = false;     // -e
    bool keep_environment = false;      // -k
};

// Dovecot-style short session id for the log prefix: unique enough to grep by.
std::string make_session_id() {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[9] = {};
    if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw))
        return std::to_string(::getpid());
    std::string out;
    for (std::size_t i = 0; i < sizeof raw; i += 3) {
        unsigned v = (unsigned(raw[i]) << 16) | (unsigned(raw[i + 1]) << 8) | unsigned(raw[i + 2]);
        for (int k = 3; k >= 0; --k)
            out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
    }
    return out;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

// An address given on the command line: <> stripped ("<>" is the null
// sender), bounded, no control characters.
std::optional<std::string> command_line_address(std::string_view value) {
    if (value.size() >= 2 && value.front() == '<' && value.back() == '>')
        value = value.substr(1, value.size() - 2);
    if (value.size() > kMaxAddress || has_control(value))
        return std::nullopt;
    return std::string(value);
}

// Where errors go: the log (log_path), and stderr as well when the log is
// elsewhere, so the MTA puts the reason into its bounce or log.
class Reporter {
public:
    explicit Reporter(mlog::Logger logger) : logger_(std::move(logger)) {}
    void set_logger(mlog::Logger logger) { logger_ = std::move(logger); }
    const mlog::Logger& logger() const { return logger_; }

    int fail(int code, const std::string& message) const {
        logger_.error(message);
        mlog::flush();
        mlog::LogSettings settings = mlog::current_settings();
        const std::string& path = settings.log_path();
        if (!path.empty() && path != "/dev/stderr")
            std::fprintf(stderr, "loft-lda: Error: %s\n", mlog::escape_control(message).c_str());
        return code;
    }

private:
    mlog::Logger logger_;
};

// dovecot-lda starts from an empty environment unless -k: what the MTA
// set there (HOME, SHELL, IFS ...) must not steer the delivery. TZ keeps
// the local time in Received dates.
void clear_environment() {
    std::optional<std::string> tz;
    if (const char* v = std::getenv("TZ"))
        tz = v;
    ::clearenv();
    if (tz)
        ::setenv("TZ", tz->c_str(), 1);
}

int run(const Options& opt) {
    Reporter report(mlog::Logger("lda"));

    std::string path = lda::config_path(opt.config);
    auto loaded = lda::load_config(path, opt.overrides);
    if (!loaded) {
        int code = loaded.status().code() == mailstore::Status::Code::invalid_argument && opt.overrides.size() &&
                           loaded.status().message().rfind("-o ", 0) == 0
                       ? lda::exit_usage
                       : lda::exit_tempfail;
        std::fprintf(stderr, "loft-lda: Fatal: %s\n", mlog::escape_control(loaded.status().message()).c_str());
        return code;
    }
    auto config = std::make_shared<const mailstore::config::Config>(std::move(*loaded));
    if (!opt.keep_environment)
        clear_environment();

    // An unprivileged user often cannot open the daemons' log files: then
    // the lines go to stderr, which the MTA logs.
    if (auto st = mlog::configure(mlog::settings_from_config(*config, "lda")); !st) {
        (void)mlog::configure(mlog::LogSettings());
        report.logger().warningf("{}; logging to stderr", st.message());
    }
    for (const auto& w : config->warnings())
        report.logger().warningf("{}: {}", w.where.to_string(), w.message);

    // -d USER, else the invoking user, as dovecot-lda (then no userdb
    // lookup: the passwd entry is the environment).
    std::string username = opt.user;
    auth::FieldList fields;
    if (username.empty()) {
        struct passwd* pw = ::getpwuid(::getuid());
        if (pw == nullptr)
            return report.fail(lda::exit_tempfail,
                               "Couldn't look up our username (uid=" + std::to_string(::getuid()) + ")");
        username = pw->pw_name;
        fields.set("uid", std::to_string(pw->pw_uid));
        fields.set("gid", std::to_string(pw->pw_gid));
        if (pw->pw_dir != nullptr && *pw->pw_dir != '\0')
            fields.set("home", pw->pw_dir);
    }
    std::string session_id = make_session_id();
    report.set_logger(mlog::Logger::session("lda", username, session_id));

    // The pipeline adds "(user)<pid><session>" for each recipient itself.
    auto deliverer = delivery::Deliverer::create(config, "lda", mlog::Logger("lda"));
    if (!deliverer)
        return report.fail(lda::exit_tempfail, deliverer.status().message());

    // The recipient: -r (final), else -a (original), else the user.
    std::string address = !opt.final_address.empty() ? opt.final_address
                          : !opt.address.empty()     ? opt.address
                                                     : username;
    std::string canonical = username;
    if (!opt.user.empty()) {
        auth::LookupResult found = lda::lookup_user(*config, username);
        // user+detail: the full name first, then without the detail
        // (Dovecot's order, so a user literally named a+b still works).
        if (found.kind == auth::LookupResult::Kind::not_found) {
            delivery::AddressParts parts = deliverer->split_address(username);
            if (parts.user != username)
                found = lda::lookup_user(*config, parts.user);
        }
        if (found.kind == auth::LookupResult::Kind::temporary_failure)
            return report.fail(lda::exit_tempfail, "userdb lookup failed for " + username + ": " + found.error);
        if (found.kind == auth::LookupResult::Kind::not_found)
            return report.fail(lda::exit_nouser, "User " + username + " doesn't exist");
        canonical = found.user.empty() ? username : found.user;
        fields = std::move(found.fields);
        if (canonical != username)
            report.set_logger(mlog::Logger::session("lda", canonical, session_id));
    }

    mailstore::storage::UserSettings settings = mailstore::storage::user_settings_from_userdb(canonical, fields, "lda");
    if (auto st = lda::become_mail_user(*config, settings); !st)
        return report.fail(lda::exit_tempfail, st.message());

    // The message: read only now, as the user it is delivered for.
    int input = STDIN_FILENO;
    int opened = -1;
    if (!opt.path.empty()) {
        opened = ::open(opt.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (opened < 0)
            return report.fail(errno == ENOENT ? lda::exit_usage : lda::exit_tempfail,
                               "open(" + opt.path + ") failed: " + std::strerror(errno));
        input = opened;
    }
    auto message = lda::read_message(input, deliverer->temp_dir());
    if (opened >= 0)
        ::close(opened);
    if (!message)
        return report.fail(lda::exit_tempfail, message.status().message());
    const delivery::Spool& spool = *message->spool;
    if (spool.size() == 0)
        return report.fail(lda::exit_dataerr, "Empty mail: nothing to deliver");
    // Larger than the storage saves: a permanent refusal (EX_NOPERM, as
    // dovecot-lda exits for a message it will never store), so the MTA
    // bounces instead of retrying it for days.
    if (spool.too_big())
        return report.fail(lda::exit_noperm, "Message size exceeds fixed maximum message size");

    // The envelope sender: -f, else the message's Return-Path, else the
    // mbox From_ line, else MAILER-DAEMON (dovecot-lda's order).
    delivery::Envelope envelope;
    if (opt.have_sender)
        envelope.mail_from = opt.sender;
    else if (auto rp = lda::return_path_of(spool.fd()))
        envelope.mail_from = *rp;
    else if (message->from_line_sender && !message->from_line_sender->empty())
        envelope.mail_from = *message->from_line_sender;
    else
        envelope.mail_from = "MAILER-DAEMON";
    envelope.protocol = "local";
    envelope.session_id = session_id;
    envelope.body_8bitmime = spool.has_8bit();

    delivery::Recipient rcpt;
    rcpt.address = address;
    rcpt.original_address = opt.address;
    rcpt.user = canonical;
    rcpt.detail = deliverer->split_address(address).detail;
    rcpt.userdb_fields = std::move(fields);
    rcpt.mailbox = opt.mailbox;

    std::vector<delivery::RecipientResult> results = deliverer->deliver(envelope, {rcpt}, spool);
    if (results.size() != 1)
        return report.fail(lda::exit_tempfail, "delivery returned no result");
    const delivery::RecipientResult& r = results.front();
    switch (r.outcome) {
    case delivery::RecipientResult::Outcome::delivered:
        mlog::flush();
        return lda::exit_ok;
    case delivery::RecipientResult::Outcome::temporary_failure:
        return report.fail(lda::exit_tempfail, r.enhanced_code + " " + r.text);
    case delivery::RecipientResult::Outcome::permanent_failure:
        // -e: the reason on stderr and EX_NOPERM for the MTA to bounce.
        // Without -e dovecot-lda mails the rejection itself; Loft has no
        // bounce sender yet, so it does the same as with -e (docs/lda.md).
        std::fprintf(stderr, "%s\n", mlog::escape_control(r.text).c_str());
        report.logger().errorf("rejected: {} {}", r.enhanced_code, r.text);
        mlog::flush();
        return lda::exit_noperm;
    }
    return lda::exit_tempfail;
}

} // namespace

int main(int argc, char** argv) {
    // A setuid-root loft-lda would let any local user write into any
    // mailbox: refuse it, as dovecot-lda does.
    if (::getuid() != 0 && ::geteuid() == 0) {
        std::fputs("loft-lda: Fatal: running setuid-root is not allowed: run it as root or as the recipient\n",
                   stderr);
        return lda::exit_tempfail;
    }

    CLI::App app{"Loft local delivery agent (dovecot-lda compatible): delivers the message on stdin", "loft-lda"};
    Options opt;
    app.add_option("-d", opt.user, "Destination user, looked up in the userdb (default: the invoking user)");
    app.add_option("-a", opt.address, "Original envelope recipient (default: the user)");
    app.add_option("-r", opt.final_address, "Final envelope recipient (default: -a, else the user)");
    auto* from = app.add_option("-f", opt.sender, "Envelope sender (default: Return-Path, From_ line, MAILER-DAEMON)");
    app.add_option("-m", opt.mailbox, "Destination mailbox (default INBOX; a missing one means INBOX)");
    app.add_option("-p", opt.path, "Read the message from this file instead of stdin");
    app.add_option("-c", opt.config, "Config file (default: $LOFT_CONFIG, else the installed loft.conf)");
    app.add_option("-o", opt.overrides, "Override a setting: KEY=VALUE (repeatable)")->allow_extra_args(false);
    app.add_flag("-e", opt.stderr_rejections, "A rejection: reason on stderr, exit 77 (EX_NOPERM)");
    app.add_flag("-k", opt.keep_environment, "Keep the environment (default: cleared)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return lda::exit_usage;
    }
    opt.have_sender = from->count() > 0;
    if (opt.have_sender) {
        auto sender = command_line_address(opt.sender);
        if (!sender) {
            std::fputs("loft-lda: Fatal: Invalid -f parameter\n", stderr);
            return lda::exit_usage;
        }
        opt.sender = *sender;
    }
    for (auto [value, name] : {std::pair{&opt.address, "-a"}, std::pair{&opt.final_address, "-r"}}) {
        if (value->empty())
            continue;
        auto address = command_line_address(*value);
        if (!address || address->empty()) {
            std::fprintf(stderr, "loft-lda: Fatal: Invalid %s parameter\n", name);
            return lda::exit_usage;
        }
        *value = *address;
    }
    if (opt.user.size() > kMaxAddress || has_control(opt.user)) {
        std::fputs("loft-lda: Fatal: Invalid -d parameter\n", stderr);
        return lda::exit_usage;
    }
    if (opt.mailbox.size() > kMaxMailbox || has_control(opt.mailbox)) {
        std::fputs("loft-lda: Fatal: Invalid -m parameter\n", stderr);
        return lda::exit_usage;
    }
    return run(opt);
}
