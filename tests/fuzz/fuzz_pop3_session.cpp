// libFuzzer target for the whole POP3 session engine (libpop3proto's
// Session: line handling, the AUTHORIZATION/TRANSACTION/UPDATE states,
// every command, the RETR/TOP stream) over a real Maildir.
//
// Once per process: a temporary directory (on /dev/shm when it exists) with
// a config, a passwd-file user alice/secret and a Maildir INBOX holding a
// few messages (bare LF, lines starting with '.', no final newline, no
// body, NUL bytes), copied aside as a template. Per input: the Maildir is
// restored, a Session is started (logged in as alice, or with the greeting
// and USER/PASS/APOP/AUTH through the passwd-file when the input starts with
// '!', which is not fed), the input is fed in pieces of random sizes (seeded
// from a hash of the input) and the session is run until it wants input or
// closes, draining its output after every step as a daemon would.
//
// Checks beyond "no crash, no sanitizer report, no leak": the greeting is
// right; run() never loops; buffered output stays near the high-water mark;
// every line the server sends ends with CRLF (no bare LF reaches the wire,
// whatever the stored message holds); messages are deleted only when QUIT
// said so (RFC 1939 §6); and the Maildir stays consistent.
#include "fuzz_check.hpp"

#include <pop3proto/session.hpp>

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/auth/login_backend.hpp>
#include <mailstore/config.hpp>
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

constexpr std::size_t high_water = 8 * 1024;
// The session stops producing at the high-water mark; one chunk and a
// reply line may come on top.
constexpr std::size_t output_slack = 80 * 1024;
constexpr int max_steps = 200000;

using namespace std::literals;
constexpr std::string_view messages[] = {
    "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\nHello world.\r\n.\r\n..\r\n"sv,
    "Subject: bare LF\n\nline one\n.dot line\nno final newline"sv,
    "Subject: no body\n"sv,
    "X-UIDL: kept-uidl\r\nSubject: nul\r\n\r\na\0b\rc\r\n"sv,
};
constexpr std::size_t message_count = sizeof messages / sizeof messages[0];

struct Env {
    fs::path root;
    fs::path mail;
    fs::path home;
    fs::path tmpl;
    std::shared_ptr<const ms::config::Config> config;
    std::shared_ptr<ms::auth::LoginBackend> backend;

    ~Env()
    {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

fs::path make_root()
{
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : fs::temp_directory_path().string();
    std::string tmpl = base + "/loft-fuzz-pop3-XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
}

void write_file(const fs::path& p, std::string_view text)
{
    std::ofstream out(p, std::ios::binary);
    out << text;
    FUZZ_CHECK(out.good());
}

ms::storage::User open_user(const Env& e)
{
    ms::auth::FieldList fields;
    fields.set("home", e.home.string());
    auto settings = ms::storage::user_settings_from_userdb("alice", fields, "pop3");
    auto user = ms::storage::User::open(*e.config, settings);
    FUZZ_CHECK(user.is_ok());
    return std::move(*user);
}

void restore(const Env& e)
{
    std::error_code ec;
    fs::remove_all(e.mail, ec);
    fs::remove_all(e.home, ec);
    fs::copy(e.tmpl / "mail", e.mail, fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
    fs::copy(e.tmpl / "home", e.home, fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
}

Env* make_env()
{
    auto* e = new Env;
    e->root = make_root();
    e->mail = e->root / "mail";
    e->home = e->root / "home";
    e->tmpl = e->root / "template";
    const fs::path users = e->root / "users";
    write_file(users, "alice:{PLAIN}secret::::\n");
    const std::string text = "mail_location = maildir:" + e->mail.string() + "/%u/Maildir\n"
                             "mail_fsync = never\n"
                             "log_path = /dev/null\n"
                             "auth_failure_delay = 0\n"
                             "auth_mechanisms = plain login cram-md5 apop\n"
                             "pop3_enable_last = yes\n"
                             "pop3_lock_session = yes\n"
                             "pop3_reuse_xuidl = yes\n"
                             "pop3_uidl_duplicates = rename\n"
                             "pop3_uidl_format = %08Xu%08Xv.%m\n"
                             "pop3_client_workarounds = outlook-no-nuls oe-ns-eoh\n"
                             "passdb {\n  driver = passwd-file\n  args = " + users.string() + "\n}\n"
                             "userdb {\n  driver = static\n  args = home=" + e->home.string() + "\n}\n";
    auto loaded = ms::config::Config::load_string(text, "fuzz.conf");
    FUZZ_CHECK(loaded.is_ok());
    e->config = std::make_shared<const ms::config::Config>(std::move(*loaded));
    (void)ms::log::configure(ms::log::LogSettings().set_log_path("/dev/null"));
    auto auth = ms::auth::Authenticator::create(*e->config);
    FUZZ_CHECK(auth.is_ok());
    e->backend = ms::auth::authenticator_backend(std::make_shared<const ms::auth::Authenticator>(std::move(*auth)));

    std::error_code ec;
    fs::create_directories(e->home, ec);
    {
        ms::storage::User user = open_user(*e);
        auto box = ms::storage::Mailbox::open(user, "INBOX");
        FUZZ_CHECK(box.is_ok());
        auto tx = box->begin();
        for (std::string_view m : messages) {
            ms::storage::SaveRequest req;
            req.data = m;
            FUZZ_CHECK(tx.save(req).is_ok());
        }
        FUZZ_CHECK(tx.commit().is_ok());
    }
    fs::create_directories(e->tmpl, ec);
    fs::copy(e->mail, e->tmpl / "mail", fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
    fs::copy(e->home, e->tmpl / "home", fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
    return e;
}

Env& env()
{
    static std::unique_ptr<Env> e(make_env());
    return *e;
}

std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size)
{
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < size; ++i) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct Runner {
    explicit Runner(pop3proto::Session& session) : s(session) {}
    pop3proto::Session& s;
    // FUZZ_POP3_TRACE=1: the server's output on stderr.
    bool trace = std::getenv("FUZZ_POP3_TRACE") != nullptr;
    int steps = 0;
    bool closed = false;
    char last = '\n';             // the last byte sent, across pieces
    bool deleted_said = false;    // "+OK Logging out, messages deleted." was sent
    std::string tail;             // the last bytes, to find that line across pieces

    void drain()
    {
        while (s.has_output()) {
            std::string_view front = s.output_front();
            FUZZ_CHECK(!front.empty());
            if (trace)
                std::fwrite(front.data(), 1, front.size(), stderr);
            // RFC 1939 §3: every line ends with CRLF.
            for (char c : front) {
                if (c == '\n')
                    FUZZ_CHECK(last == '\r');
                last = c;
            }
            tail.append(front.substr(front.size() > 64 ? front.size() - 64 : 0));
            if (tail.find("+OK Logging out, messages deleted.\r\n") != std::string::npos)
                deleted_said = true;
            if (tail.size() > 64)
                tail.erase(0, tail.size() - 64);
            s.output_consume(front.size());
        }
    }

    void pump()
    {
        drain();
        while (!closed) {
            FUZZ_CHECK(++steps <= max_steps);
            pop3proto::Step step = s.run();
            FUZZ_CHECK(s.output_pending() <= high_water + output_slack);
            drain();
            switch (step.kind) {
            case pop3proto::Step::Kind::read:
                return;
            case pop3proto::Step::Kind::close:
                closed = true;
                return;
            case pop3proto::Step::Kind::starttls:
                s.tls_started();
                break;
            case pop3proto::Step::Kind::flush:
            case pop3proto::Step::Kind::sleep:
                break;
            }
        }
    }
};

// Every message opens with the size the index gives; returns how many.
std::size_t check_maildir(const Env& e)
{
    ms::storage::User user = open_user(e);
    auto box = ms::storage::Mailbox::open(user, "INBOX");
    FUZZ_CHECK(box.is_ok());
    const ms::storage::View& view = box->view();
    ms::storage::Uid last = 0;
    for (ms::storage::Seq seq = 1; seq <= view.count(); ++seq) {
        FUZZ_CHECK(view.uid(seq) > last);
        last = view.uid(seq);
        auto msg = box->message(seq);
        auto size = msg.physical_size();
        FUZZ_CHECK(size.is_ok());
        auto data = msg.open();
        FUZZ_CHECK(data.is_ok());
        FUZZ_CHECK(data->bytes().size() == *size);
    }
    return view.count();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Env& e = env();
    restore(e);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    const bool login = !input.empty() && input.front() == '!';
    if (login)
        input.remove_prefix(1);

    bool deleted_said = false;
    {
        pop3proto::SessionOptions so;
        so.config = e.config;
        so.client.service = "pop3";
        so.client.remote_ip = "127.0.0.1";
        so.client.local_ip = "127.0.0.1";
        so.client.remote_port = 40000;
        so.client.local_port = 110;
        so.client.secured = true;
        so.client.session_id = "fuzz";
        so.stls_available = true;
        so.login = e.backend;
        if (!login)
            so.preauth_user = "alice";
        so.max_line_length = 1024;
        so.output_high_water = high_water;
        so.log = ms::log::Logger("pop3");
        pop3proto::Session s(std::move(so));
        s.start();
        if (login) {
            FUZZ_CHECK(s.has_output());
            FUZZ_CHECK(s.output_front().substr(0, 4) == "+OK ");
        }
        Runner r(s);
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
        (void)s.logout_line();
        deleted_said = r.deleted_said;
    }
    const std::size_t left = check_maildir(e);
    // RFC 1939 §6: nothing is deleted unless QUIT entered UPDATE and said so.
    if (!deleted_said)
        FUZZ_CHECK(left == message_count);
    else
        FUZZ_CHECK(left < message_count);
    return 0;
}
