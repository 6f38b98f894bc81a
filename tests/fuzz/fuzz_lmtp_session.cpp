// libFuzzer target for the LMTP engine (daemons/lmtpd: lmtp_session.hpp and
// the path, parameter, DATA and BDAT code behind it) over a real Deliverer
// and Maildirs.
//
// Once per process: a temporary directory (on /dev/shm when it exists) with
// a config and a passwd-file userdb holding alice and bob. Per input: the
// mail directory is emptied, a Session is started (the client counts as
// trusted for XCLIENT and may STARTTLS when the input starts with '!',
// which is not fed), the input is fed as the client's bytes in pieces of
// random sizes (seeded from a hash of the input) and the session is run
// until it wants input or closes, draining its output after every step as
// the daemon would.
//
// Checks beyond "no crash, no sanitizer report, no leak": every reply line
// is well-formed ("NNN" + " " or "-" + text, CRLF-terminated, no bare CR or
// LF), every line after the greeting that is not part of the LHLO list or
// the 354/220 go-aheads carries an enhanced status code whose class
// matches the reply code (RFC 2034), lines are bounded; run() never loops
// (bounded steps per input); buffered output stays near the high-water
// mark after each step; and afterwards every delivered message in the
// Maildirs opens with the size the index gives.
#include "fuzz_check.hpp"

#include <lmtp_session.hpp>

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace fs = std::filesystem;
namespace ms = mailstore;

namespace {

constexpr std::size_t high_water = 4 * 1024;
// One batch of per-recipient replies or an LHLO list may go past the mark.
constexpr std::size_t output_slack = 64 * 1024;
constexpr int max_steps = 200000;
constexpr std::size_t max_line = 512;
constexpr std::size_t max_reply_line = 2 * max_line + 256;

struct Env {
    fs::path root;
    fs::path mail;
    fs::path spool;
    std::shared_ptr<const ms::config::Config> config;
    std::shared_ptr<ms::auth::LoginBackend> userdb;
    std::shared_ptr<const ms::delivery::Deliverer> deliverer;

    ~Env() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

fs::path make_root() {
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : fs::temp_directory_path().string();
    std::string tmpl = base + "/loft-fuzz-lmtp-XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
}

void write_file(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    FUZZ_CHECK(out.good());
}

Env* make_env() {
    auto* e = new Env;
    e->root = make_root();
    e->mail = e->root / "mail";
    e->spool = e->root / "spool";
    const fs::path users = e->root / "users";
    write_file(users, "alice:{PLAIN}secret:::::" + (e->root / "home/alice").string() + "::\n"
                      "bob:{PLAIN}secret:::::" + (e->root / "home/bob").string() + "::\n");
    const std::string text = "mail_location = maildir:" + e->mail.string() + "/%u/Maildir\n"
                             "mail_fsync = never\n"
                             "log_path = /dev/null\n"
                             "hostname = mx.example.org\n"
                             "mail_temp_dir = " + e->spool.string() + "\n"
                             "lmtp_save_to_detail_mailbox = yes\n"
                             "passdb {\n  driver = passwd-file\n  args = " + users.string() + "\n}\n"
                             "userdb {\n  driver = passwd-file\n  args = " + users.string() + "\n}\n";
    auto loaded = ms::config::Config::load_string(text, "fuzz.conf");
    FUZZ_CHECK(loaded.is_ok());
    e->config = std::make_shared<const ms::config::Config>(std::move(*loaded));
    (void)ms::log::configure(ms::log::LogSettings().set_log_path("/dev/null"));
    auto auth = ms::auth::Authenticator::create(*e->config);
    FUZZ_CHECK(auth.is_ok());
    e->userdb = ms::auth::authenticator_backend(std::make_shared<const ms::auth::Authenticator>(std::move(*auth)));
    auto d = ms::delivery::Deliverer::create(e->config, "lmtp", ms::log::Logger("lmtp"));
    FUZZ_CHECK(d.is_ok());
    e->deliverer = std::make_shared<const ms::delivery::Deliverer>(std::move(*d));
    return e;
}

Env& env() {
    static std::unique_ptr<Env> e(make_env());
    return *e;
}

void restore(const Env& e) {
    std::error_code ec;
    fs::remove_all(e.mail, ec);
    fs::remove_all(e.spool, ec);
    fs::create_directories(e.spool, ec);
    FUZZ_CHECK(!ec);
}

std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < size; ++i) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// "d.ddd.ddd " at the start of `text`, with class `cls`.
bool enhanced_code(std::string_view text, char cls) {
    if (text.size() < 6 || text[0] != cls || text[1] != '.')
        return false;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = i;
        while (i < text.size() && digit(text[i]) && i - start < 3)
            ++i;
        if (i == start || i >= text.size())
            return false;
        if (part == 0) {
            if (text[i] != '.')
                return false;
            ++i;
        }
    }
    return i < text.size() && text[i] == ' ';
}

// Checks the server's output line by line as it arrives.
struct ReplyChecker {
    std::string partial;
    bool greeted = false;
    bool in_multiline = false; // inside an LHLO list

    void line(std::string_view l) {
        FUZZ_CHECK(l.size() <= max_reply_line);
        FUZZ_CHECK(l.size() >= 4);
        FUZZ_CHECK(digit(l[0]) && digit(l[1]) && digit(l[2]));
        FUZZ_CHECK(l[3] == ' ' || l[3] == '-');
        FUZZ_CHECK(l[0] >= '2' && l[0] <= '5');
        for (char c : l)
            FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
        const std::string_view code = l.substr(0, 3);
        const std::string_view text = l.substr(4);
        const bool continuation = in_multiline;
        in_multiline = l[3] == '-';
        if (l[3] == '-')
            FUZZ_CHECK(code == "250"); // only LHLO answers with several lines
        if (!greeted) {
            FUZZ_CHECK(code == "220");
            greeted = true;
            return;
        }
        if (continuation || l[3] == '-' || code == "354" || (code == "220" && text.rfind("mx.example.org ", 0) == 0))
            return;
        FUZZ_CHECK(enhanced_code(text, l[0]));
    }

    void feed(std::string_view bytes) {
        partial.append(bytes);
        std::size_t pos = 0;
        for (;;) {
            const std::size_t end = partial.find("\r\n", pos);
            if (end == std::string::npos)
                break;
            line(std::string_view(partial).substr(pos, end - pos));
            pos = end + 2;
        }
        partial.erase(0, pos);
        FUZZ_CHECK(partial.size() <= max_reply_line);
    }
};

struct Runner {
    lmtpd::Session& s;
    ReplyChecker check;
    bool trace = std::getenv("FUZZ_LMTP_TRACE") != nullptr;
    int steps = 0;
    bool closed = false;

    void drain() {
        while (s.has_output()) {
            std::string_view front = s.output_front();
            FUZZ_CHECK(!front.empty());
            if (trace)
                std::fwrite(front.data(), 1, front.size(), stderr);
            check.feed(front);
            s.output_consume(front.size());
        }
    }

    void pump() {
        drain();
        while (!closed) {
            FUZZ_CHECK(++steps <= max_steps);
            lmtpd::Step step = s.run();
            FUZZ_CHECK(s.output_pending() <= high_water + output_slack);
            drain();
            switch (step.kind) {
            case lmtpd::Step::Kind::read:
                return;
            case lmtpd::Step::Kind::close:
                closed = true;
                return;
            case lmtpd::Step::Kind::starttls:
                s.tls_started();
                break;
            case lmtpd::Step::Kind::flush:
                break;
            }
        }
    }
};

void check_maildirs(const Env& e) {
    for (const char* name : {"alice", "bob"}) {
        if (!fs::exists(e.mail / name))
            continue;
        ms::auth::FieldList fields;
        fields.set("home", (e.root / "home" / name).string());
        auto settings = ms::storage::user_settings_from_userdb(name, fields, "lmtp");
        auto user = ms::storage::User::open(*e.config, settings);
        FUZZ_CHECK(user.is_ok());
        ms::storage::ListQuery q;
        q.patterns.push_back("*");
        auto list = user->list(q);
        FUZZ_CHECK(list.is_ok());
        for (const ms::storage::MailboxInfo& info : *list) {
            auto box = ms::storage::Mailbox::open(*user, info.name);
            if (!box.is_ok())
                continue;
            const ms::storage::View& view = box->view();
            for (ms::storage::Seq seq = 1; seq <= view.count(); ++seq) {
                ms::storage::Message msg = box->message(seq);
                auto size = msg.physical_size();
                FUZZ_CHECK(size.is_ok());
                auto data = msg.open();
                FUZZ_CHECK(data.is_ok());
                FUZZ_CHECK(data->bytes().size() == *size);
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Env& e = env();
    restore(e);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    const bool trusted = !input.empty() && input.front() == '!';
    if (trusted)
        input.remove_prefix(1);
    {
        lmtpd::SessionOptions so;
        so.config = e.config;
        so.client.service = "lmtp";
        so.client.remote_ip = "127.0.0.1";
        so.client.local_ip = "127.0.0.1";
        so.client.remote_port = 40000;
        so.client.local_port = 24;
        so.client.session_id = "fuzz";
        so.userdb = e.userdb;
        so.deliverer = e.deliverer;
        so.xclient_allowed = trusted;
        so.starttls_available = trusted;
        so.max_line_length = max_line;
        so.max_recipients = 5;
        so.max_message_size = 4096;
        so.output_high_water = high_water;
        lmtpd::Session s(std::move(so));
        s.start();
        FUZZ_CHECK(s.has_output());
        FUZZ_CHECK(s.output_front() == "220 mx.example.org Loft ready.\r\n");

        Runner r{s, {}};
        r.pump();
        std::uint64_t rng = fnv1a(data, size) | 1;
        while (!input.empty() && !r.closed) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            const std::size_t n = std::min<std::size_t>(input.size(), 1 + rng % 256);
            s.feed(input.substr(0, n));
            input.remove_prefix(n);
            r.pump();
        }
        FUZZ_CHECK(r.check.partial.empty());
    }
    check_maildirs(e);
    return 0;
}
