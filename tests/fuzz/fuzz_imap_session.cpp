// libFuzzer target for the whole IMAP session engine (libimapproto's
// Session: parser, state machine, every command) over a real Maildir.
//
// Once per process: a temporary directory (on /dev/shm when it exists, so
// the mail lives in tmpfs) with a config, a passwd-file user alice/secret
// and a Maildir holding a few messages in INBOX, Sent and Archive.2020,
// copied aside as a template. Per input: the Maildir is restored from the
// template, a Session is started (PREAUTH as alice, or with a "* OK"
// greeting and LOGIN/AUTHENTICATE through the passwd-file when the input
// starts with '!', which is not fed), the input is fed as the client's
// bytes in pieces of random sizes (seeded from a hash of the input) and the
// session is run until it wants input or closes, draining its output after
// every step as a daemon would.
//
// Checks beyond "no crash, no sanitizer report, no leak": the greeting is
// right; run() never loops (bounded steps per input); buffered output stays
// near the session's high-water mark after each step; and afterwards the
// Maildir is consistent: every mailbox the storage lists opens, its UIDs
// strictly increase, and every message opens with the size the index gives.
#include "fuzz_check.hpp"

#include <imapproto/login_backend.hpp>
#include <imapproto/session.hpp>

#include <mailstore/auth/authenticator.hpp>
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

// Output the session may hold after a step: the high-water mark plus one
// piece it could not split (a literal header, a line).
constexpr std::size_t high_water = 16 * 1024;
constexpr std::size_t output_slack = 256 * 1024;
// run() calls per input: far above what any input of libFuzzer's default
// sizes needs, low enough to catch a loop quickly.
constexpr int max_steps = 200000;

const char* const messages[][2] = {
    {"INBOX", "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: hello\r\n"
              "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.com>\r\n\r\nHello world.\r\n"},
    {"INBOX", "From: bob@example.com\r\nSubject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/alternative; boundary=b1\r\n\r\n--b1\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
              "Gr=C3=BC=C3=9Fe\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              "PGI+aGk8L2I+\r\n--b1--\r\n"},
    {"INBOX", "From: carol@example.com\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
              "--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n"
              "From: dave@example.com\r\nSubject: inner\r\n\r\ninner body\r\n--x--\r\n"},
    {"INBOX", "Subject: bare LF\n\nline one\nline two\n"},
    {"Sent", "From: alice@example.com\r\nTo: carol@example.com\r\nSubject: sent\r\n\r\nsent body\r\n"},
    {"Archive.2020", "From: eve@example.com\r\nSubject: old\r\n\r\nold body\r\n"},
};

struct Env {
    fs::path root;
    fs::path mail;     // the live mail (mail_location)
    fs::path home;     // alice's home
    fs::path tmpl;     // the pristine copy of mail/ and home/
    std::shared_ptr<const ms::config::Config> config;
    std::shared_ptr<imapproto::LoginBackend> backend;

    ~Env()
    {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

fs::path make_root()
{
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : fs::temp_directory_path().string();
    std::string tmpl = base + "/loft-fuzz-imap-XXXXXX";
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
    auto settings = ms::storage::user_settings_from_userdb("alice", fields, "imap");
    auto user = ms::storage::User::open(*e.config, settings);
    FUZZ_CHECK(user.is_ok());
    return std::move(*user);
}

void restore(const Env& e)
{
    std::error_code ec;
    fs::remove_all(e.mail, ec);
    fs::remove_all(e.home, ec);
    fs::remove_all(e.root / "spool", ec);
    fs::copy(e.tmpl / "mail", e.mail, fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
    fs::copy(e.tmpl / "home", e.home, fs::copy_options::recursive, ec);
    FUZZ_CHECK(!ec);
    fs::create_directories(e.root / "spool", ec);
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
                             // The optional extensions on, so METADATA and
                             // URLAUTH are fuzzed too (the dict and the
                             // key file live in the home, restored per input).
                             "imap_metadata = yes\n"
                             "mail_attribute_dict = file:%h/dovecot-attributes\n"
                             "imap_urlauth_host = localhost\n"
                             "passdb {\n  driver = passwd-file\n  args = " + users.string() + "\n}\n"
                             "userdb {\n  driver = static\n  args = home=" + e->home.string() + "\n}\n";
    auto loaded = ms::config::Config::load_string(text, "fuzz.conf");
    FUZZ_CHECK(loaded.is_ok());
    e->config = std::make_shared<const ms::config::Config>(std::move(*loaded));
    (void)ms::log::configure(ms::log::LogSettings().set_log_path("/dev/null"));
    auto auth = ms::auth::Authenticator::create(*e->config);
    FUZZ_CHECK(auth.is_ok());
    e->backend = imapproto::authenticator_backend(
        std::make_shared<const ms::auth::Authenticator>(std::move(*auth)));

    std::error_code ec;
    fs::create_directories(e->home, ec);
    {
        ms::storage::User user = open_user(*e);
        for (const auto& m : messages) {
            if (!user.exists(m[0]))
                FUZZ_CHECK(user.create_mailbox(m[0]).is_ok());
            auto box = ms::storage::Mailbox::open(user, m[0]);
            FUZZ_CHECK(box.is_ok());
            auto tx = box->begin();
            ms::storage::SaveRequest req;
            req.data = m[1];
            req.flags = std::string_view(m[0]) == "Sent" ? ms::storage::flag_seen : 0;
            FUZZ_CHECK(tx.save(req).is_ok());
            FUZZ_CHECK(tx.commit().is_ok());
        }
        FUZZ_CHECK(user.subscribe("Sent").is_ok());
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
    // Kept for the whole process; the destructor at exit removes the
    // directory.
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
    imapproto::Session& s;
    // FUZZ_IMAP_TRACE=1 in the environment: the server's output on stderr
    // (for looking at a corpus input by hand).
    bool trace = std::getenv("FUZZ_IMAP_TRACE") != nullptr;
    int steps = 0;
    bool closed = false;

    void drain()
    {
        while (s.has_output()) {
            std::string_view front = s.output_front();
            FUZZ_CHECK(!front.empty());
            if (trace)
                std::fwrite(front.data(), 1, front.size(), stderr);
            s.output_consume(front.size());
        }
    }

    // Runs until the session wants input or closes.
    void pump()
    {
        drain();
        while (!closed) {
            FUZZ_CHECK(++steps <= max_steps);
            imapproto::Step step = s.run();
            FUZZ_CHECK(s.output_pending() <= high_water + output_slack);
            drain();
            switch (step.kind) {
            case imapproto::Step::Kind::read:
            case imapproto::Step::Kind::idle:
                return;
            case imapproto::Step::Kind::close:
                closed = true;
                return;
            case imapproto::Step::Kind::starttls:
                s.tls_started();
                break;
            case imapproto::Step::Kind::flush:
            case imapproto::Step::Kind::sleep:
                break;
            }
        }
    }
};

void check_maildir(const Env& e)
{
    ms::storage::User user = open_user(e);
    ms::storage::ListQuery q;
    q.patterns.push_back("*");
    auto list = user.list(q);
    FUZZ_CHECK(list.is_ok());
    for (const ms::storage::MailboxInfo& info : *list) {
        auto box = ms::storage::Mailbox::open(user, info.name);
        if (!box.is_ok())
            continue; // \Noselect parents
        const ms::storage::View& view = box->view();
        ms::storage::Uid last = 0;
        for (ms::storage::Seq seq = 1; seq <= view.count(); ++seq) {
            const ms::storage::Uid uid = view.uid(seq);
            FUZZ_CHECK(uid > last);
            last = uid;
            ms::storage::Message msg = box->message(seq);
            auto size = msg.physical_size();
            FUZZ_CHECK(size.is_ok());
            auto data = msg.open();
            FUZZ_CHECK(data.is_ok());
            FUZZ_CHECK(data->bytes().size() == *size);
        }
    }
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

    {
        imapproto::SessionOptions so;
        so.config = e.config;
        so.client.service = "imap";
        so.client.remote_ip = "127.0.0.1";
        so.client.local_ip = "127.0.0.1";
        so.client.remote_port = 40000;
        so.client.local_port = 143;
        so.client.secured = true;
        so.client.session_id = "fuzz";
        so.login = e.backend;
        if (!login)
            so.preauth_user = "alice";
        so.limits.spool_dir = (e.root / "spool").string();
        so.limits.spool_threshold = 1024; // reach the spool with short inputs
        so.output_high_water = high_water;
        imapproto::Session s(std::move(so));
        s.start();
        FUZZ_CHECK(s.has_output());
        const std::string_view greeting = s.output_front();
        FUZZ_CHECK(greeting.substr(0, login ? 5 : 10) == (login ? "* OK " : "* PREAUTH "));

        Runner r{s};
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
    }
    check_maildir(e);
    return 0;
}
