// bench_storage: the storage core's two figures of issue 5, through the
// public API only (mailstore/storage/{user,mailbox}.hpp). Driven by
// bench/storage/run_bench.py (make bench-storage), which also runs Dovecot.
//
//   bench_storage open --maildir=DIR [--messages=100000] [--runs=21]
//       Makes DIR (a Maildir of --messages messages) unless DIR/.complete
//       exists, warms its index with one open, then times --runs times
//       "Mailbox::open(INBOX) + read every UID and flags of the view".
//       Prints "open_ms <t1> <t2> ..." and "messages <n>".
//   bench_storage save --maildir=DIR [--count=10000] [--size=4096]
//       [--fsync=optimized] [--batch=1]
//       Saves --count messages of --size bytes into a new Maildir DIR, --batch
//       per transaction (1: one commit per message, as LMTP delivery does).
//       Prints "save_s <seconds>" and "saved <n>".
//   bench_storage mbox --out=FILE [--count=10000] [--size=4096]
//       Writes the same messages as an mbox file (for doveadm import).
//
// Exit status 0, or 1 with a message naming what failed.
#include <mailstore/config.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace mailstore;
using namespace mailstore::storage;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what, const Status& st) {
    std::fprintf(stderr, "bench_storage: %s: %s\n", what.c_str(), st.message().c_str());
    std::exit(1);
}

std::map<std::string, std::string> parse_options(int argc, char** argv) {
    std::map<std::string, std::string> out;
    for (int i = 2; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.rfind("--", 0) != 0) {
            std::fprintf(stderr, "bench_storage: unexpected argument %s\n", argv[i]);
            std::exit(64);
        }
        auto eq = a.find('=');
        if (eq == std::string_view::npos)
            out[std::string(a.substr(2))] = "1";
        else
            out[std::string(a.substr(2, eq - 2))] = std::string(a.substr(eq + 1));
    }
    return out;
}

std::string opt(const std::map<std::string, std::string>& o, const std::string& k, const std::string& def) {
    auto it = o.find(k);
    return it == o.end() ? def : it->second;
}

unsigned long num(const std::map<std::string, std::string>& o, const std::string& k, unsigned long def) {
    auto it = o.find(k);
    if (it == o.end())
        return def;
    char* end = nullptr;
    unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
    if (!end || *end != '\0' || it->second.empty()) {
        std::fprintf(stderr, "bench_storage: --%s: not a number: %s\n", k.c_str(), it->second.c_str());
        std::exit(64);
    }
    return v;
}

// A plain text message of exactly `size` bytes (for size >= 400): headers,
// then body lines of 64 bytes, the last one cut to fit.
std::string make_message(unsigned long i, unsigned long size) {
    std::string m = "From: Bench <bench@loft.example>\n"
                    "To: user@loft.example\n"
                    "Subject: benchmark message " + std::to_string(i) + "\n"
                    "Message-ID: <bench-" + std::to_string(i) + "@loft.example>\n"
                    "Date: Sat, 28 Nov 2026 12:00:00 +0000\n"
                    "\n";
    std::string line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit " + std::to_string(i % 10);
    line.resize(63, '.');
    line += '\n';
    while (m.size() + line.size() <= size)
        m += line;
    if (m.size() < size) {
        std::string tail(size - m.size(), 'x');
        tail.back() = '\n';
        m += tail;
    }
    return m;
}

User open_user(const std::string& maildir, const std::string& fsync_mode) {
    std::string text = "mail_location = " + config::format_value("maildir:" + maildir) + "\n" +
                       "mail_fsync = " + fsync_mode + "\n";
    auto cfg = config::Config::load_string(text, "<bench>");
    if (!cfg)
        die("config", cfg.status());
    UserSettings us;
    us.username = "bench";
    auto user = User::open(*cfg, us);
    if (!user)
        die("open user", user.status());
    return std::move(*user);
}

unsigned long save_messages(const User& user, unsigned long count, unsigned long size, unsigned long batch) {
    auto mb = Mailbox::open(user, "INBOX");
    if (!mb)
        die("open INBOX", mb.status());
    unsigned long saved = 0;
    std::vector<std::string> bodies;
    for (unsigned long i = 0; i < count;) {
        Transaction t = mb->begin();
        bodies.clear();
        for (unsigned long j = 0; j < batch && i < count; ++j, ++i)
            bodies.push_back(make_message(i, size));
        for (const auto& b : bodies) {
            SaveRequest req;
            req.data = b;
            req.flags = (saved % 3 == 0) ? flag_seen : 0;
            if (Status st = t.save(req); !st)
                die("save", st);
        }
        auto r = t.commit();
        if (!r)
            die("commit", r.status());
        saved += r->saved.size();
    }
    return saved;
}

int cmd_open(const std::map<std::string, std::string>& o) {
    std::string dir = opt(o, "maildir", "");
    if (dir.empty())
        std::exit(64);
    unsigned long messages = num(o, "messages", 100000);
    unsigned long runs = std::max(1ul, num(o, "runs", 21));
    std::filesystem::path marker = std::filesystem::path(dir) / ".complete";
    if (!std::filesystem::exists(marker)) {
        // Made once and cached, without fsyncs: only opening it is timed.
        std::filesystem::remove_all(dir);
        std::fprintf(stderr, "bench_storage: creating %lu messages in %s (once; cached)\n", messages, dir.c_str());
        save_messages(open_user(dir, "never"), messages, 1024, 1000);
        std::ofstream(marker) << messages << "\n";
    }
    User user = open_user(dir, "optimized");
    std::vector<double> times;
    Seq count = 0;
    std::uint64_t checksum = 0;
    for (unsigned long run = 0; run <= runs; ++run) {
        auto t0 = Clock::now();
        auto mb = Mailbox::open(user, "INBOX", OpenOptions{.read_only = true, .claim_recent = false});
        if (!mb)
            die("open INBOX", mb.status());
        const View& v = mb->view();
        count = v.count();
        for (Seq s = 1; s <= count; ++s)
            checksum += v.uid(s) + v.flags(s);
        auto t1 = Clock::now();
        if (run > 0) // run 0 warms the index and the page cache
            times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("open_ms");
    for (double t : times)
        std::printf(" %.3f", t);
    std::printf("\nmessages %u\nchecksum %llu\n", count, static_cast<unsigned long long>(checksum));
    return 0;
}

int cmd_save(const std::map<std::string, std::string>& o) {
    std::string dir = opt(o, "maildir", "");
    if (dir.empty())
        std::exit(64);
    std::filesystem::remove_all(dir);
    User user = open_user(dir, opt(o, "fsync", "optimized"));
    unsigned long count = num(o, "count", 10000);
    auto t0 = Clock::now();
    unsigned long saved = save_messages(user, count, num(o, "size", 4096), std::max(1ul, num(o, "batch", 1)));
    auto t1 = Clock::now();
    std::printf("save_s %.4f\nsaved %lu\n", std::chrono::duration<double>(t1 - t0).count(), saved);
    return saved == count ? 0 : 1;
}

int cmd_mbox(const std::map<std::string, std::string>& o) {
    std::string out = opt(o, "out", "");
    if (out.empty())
        std::exit(64);
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    unsigned long count = num(o, "count", 10000);
    unsigned long size = num(o, "size", 4096);
    for (unsigned long i = 0; i < count; ++i) {
        // No body line starts with "From ", so no >From quoting is needed.
        f << "From bench@loft.example Sat Nov 28 12:00:00 2026\n" << make_message(i, size) << "\n";
    }
    f.close();
    if (!f) {
        std::fprintf(stderr, "bench_storage: cannot write %s\n", out.c_str());
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_storage open|save|mbox --OPTION=VALUE...\n");
        return 64;
    }
    std::string cmd = argv[1];
    auto o = parse_options(argc, argv);
    if (cmd == "open")
        return cmd_open(o);
    if (cmd == "save")
        return cmd_save(o);
    if (cmd == "mbox")
        return cmd_mbox(o);
    std::fprintf(stderr, "bench_storage: unknown command %s\n", cmd.c_str());
    return 64;
}
