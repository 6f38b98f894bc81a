// loft-storage-tool: the public storage API (mailstore/storage/{user,mailbox}.hpp)
// on the command line, for the storage integration tests (Dovecot interop,
// stress, crash, rebuild). It uses nothing but the public headers, so what
// it shows is what a protocol daemon would see.
//
//   loft-storage-tool -l LOCATION [-H HOME] [-c CONFIG] [-o KEY=VALUE]... CMD ARGS
//
//   save MAILBOX [--flags 'F...'] [--keywords 'K...'] [--date UNIX] < message
//        prints the new UID, written and flushed only after commit() returned
//   save-many MAILBOX N [--size BYTES] [--prefix P] [--batch K]
//        [--flag-pattern] [--keyword-count K]
//        N token messages (see make_message); after each commit one line
//        "UID TOKEN" per message of it
//   flags MAILBOX UIDSET +|-|= [FLAG|KEYWORD]... [--unchangedsince MODSEQ]
//   expunge MAILBOX UIDSET
//   fetch MAILBOX [--verify] [--guid]
//        "# uidvalidity=V uidnext=N highestmodseq=M messages=C guid=G", then per
//        message "UID<TAB>FLAGS<TAB>KEYWORDS<TAB>MODSEQ<TAB>SIZE" (flags and
//        keywords space-separated); --verify appends "<TAB>TOKEN ok|bad" after
//        checking the body against its token, --guid the message GUID
//   list                    "NAME<TAB>ATTRIBUTES" per mailbox
//   create NAME | delete NAME | subscribe NAME | unsubscribe NAME | subscriptions
//   status NAME             "messages=.. uidnext=.. uidvalidity=.. highestmodseq=.. guid=.."
//   stress-writer MAILBOX --seconds S --seed N --log FILE [--id ID]
//   stress-reader MAILBOX --seconds S --seed N
//
// UIDSET is IMAP syntax ("1:3,7") or "all". Exit status: 0 success, 1 an API
// error (its message on stderr), 3 a violated invariant (stress-reader,
// fetch --verify), 64 usage.
#include <mailstore/config.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace mailstore;
using namespace mailstore::storage;

namespace {

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: loft-storage-tool -l LOCATION [-H HOME] [-c CONFIG] [-o KEY=VALUE]... CMD ARGS\n"
                 "  save MAILBOX [--flags F] [--keywords K] [--date UNIX] < message\n"
                 "  save-many MAILBOX N [--size B] [--prefix P] [--batch K] [--flag-pattern] [--keyword-count K]\n"
                 "  flags MAILBOX UIDSET +|-|= FLAGS... [--unchangedsince M]\n"
                 "  expunge MAILBOX UIDSET\n"
                 "  fetch MAILBOX [--verify] [--guid]\n"
                 "  list | create NAME | delete NAME | subscribe NAME | unsubscribe NAME | subscriptions\n"
                 "  status NAME\n"
                 "  stress-writer MAILBOX --seconds S --seed N --log FILE [--id ID]\n"
                 "  stress-reader MAILBOX --seconds S --seed N\n");
    std::exit(64);
}

[[noreturn]] void fail(const Status& st, std::string_view what) {
    std::fprintf(stderr, "loft-storage-tool: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 st.message().c_str());
    std::exit(1);
}

[[noreturn]] void violation(const std::string& msg) {
    std::fprintf(stderr, "loft-storage-tool: INVARIANT VIOLATED: %s\n", msg.c_str());
    std::exit(3);
}

// Writes a whole line to stdout with write(2), unbuffered: the crash and
// syscall-order tests rely on the line being out as soon as this returns,
// and on it being one write() they can find in strace's output.
void emit(const std::string& line) {
    std::string text = line + "\n";
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(1, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::exit(1);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        std::fprintf(stderr, "loft-storage-tool: %.*s: not a number: %.*s\n", static_cast<int>(what.size()),
                     what.data(), static_cast<int>(text.size()), text.data());
        std::exit(64);
    }
    return v;
}

UidSet parse_uidset(std::string_view text) {
    if (text == "all") {
        UidSet all;
        all.add(1, 0xffffffffu);
        return all;
    }
    auto set = UidSet::parse(text);
    if (!set) {
        std::fprintf(stderr, "loft-storage-tool: bad UID set: %.*s\n", static_cast<int>(text.size()), text.data());
        std::exit(64);
    }
    return *set;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += ' ';
        out += w;
    }
    return out;
}

// Splits "\\Seen kw1 \\Flagged" into system flag bits and keywords.
void parse_flag_words(const std::vector<std::string>& words, MailFlags& flags, std::vector<std::string>& keywords) {
    for (const auto& w : words) {
        if (!w.empty() && w[0] == '\\') {
            auto f = parse_flag(w);
            if (!f) {
                std::fprintf(stderr, "loft-storage-tool: not a storable system flag: %s\n", w.c_str());
                std::exit(64);
            }
            flags |= *f;
        } else {
            keywords.push_back(w);
        }
    }
}

// ---- token messages -------------------------------------------------------
//
// A token message carries a unique token in its Subject, Message-ID and
// X-Token header and, in its body, X-Body-Lines lines that are a function of
// the token alone, so that a reader can tell a whole message from a torn or
// mixed-up one without any other record.

std::string body_line(const std::string& token, std::uint64_t i) {
    char num[24];
    std::snprintf(num, sizeof num, "%06llu", static_cast<unsigned long long>(i));
    return token + " " + num + " abcdefghijklmnopqrstuvwxyz0123456789\n";
}

std::string make_body(const std::string& token, std::uint64_t lines) {
    std::string body;
    for (std::uint64_t i = 0; i < lines; ++i)
        body += body_line(token, i);
    return body;
}

std::string make_message(const std::string& token, std::uint64_t size) {
    std::uint64_t per_line = body_line(token, 0).size();
    std::uint64_t lines = std::max<std::uint64_t>(1, size > 300 ? (size - 300) / per_line : 1);
    std::string msg;
    msg += "From: Loft Test <test@loft.example>\n";
    msg += "To: user@loft.example\n";
    msg += "Subject: " + token + "\n";
    msg += "Message-ID: <" + token + "@loft.example>\n";
    msg += "Date: Sat, 28 Nov 2026 12:00:00 +0000\n";
    msg += "X-Token: " + token + "\n";
    msg += "X-Body-Lines: " + std::to_string(lines) + "\n";
    msg += "\n";
    msg += make_body(token, lines);
    return msg;
}

std::optional<std::string> header_value(std::string_view header, std::string_view name) {
    size_t pos = 0;
    while (pos < header.size()) {
        size_t eol = header.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = header.size();
        std::string_view line = header.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':') {
            std::string_view v = line.substr(name.size() + 1);
            while (!v.empty() && v.front() == ' ')
                v.remove_prefix(1);
            return std::string(v);
        }
        pos = eol + 1;
    }
    return std::nullopt;
}

// The token of a message and whether its body is exactly what the token
// says; {"-", false} for a message without a token.
std::pair<std::string, bool> check_token_message(const MessageData& data) {
    auto token = header_value(data.header(), "X-Token");
    auto lines = header_value(data.header(), "X-Body-Lines");
    if (!token || !lines)
        return {"-", false};
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(lines->data(), lines->data() + lines->size(), n);
    if (ec != std::errc() || end != lines->data() + lines->size() || n > 10'000'000)
        return {*token, false};
    std::string want = make_body(*token, n);
    std::string_view body = data.body();
    if (body == want)
        return {*token, true};
    // A CRLF-stored copy (mail_save_crlf) is still whole.
    std::string crlf;
    for (char c : want) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    return {*token, body == crlf};
}

// ---- setup ------------------------------------------------------------------

struct Options {
    std::string location;
    std::string home;
    std::string config_file;
    std::vector<std::string> settings; // KEY=VALUE
};

User open_user(const Options& opt) {
    config::Config cfg = config::Config::defaults();
    if (!opt.config_file.empty()) {
        auto c = config::Config::load_file(opt.config_file);
        if (!c)
            fail(c.status(), "config");
        cfg = *c;
    } else {
        std::string text;
        if (!opt.location.empty())
            text += "mail_location = " + config::format_value(opt.location) + "\n";
        for (const auto& kv : opt.settings) {
            size_t eq = kv.find('=');
            if (eq == std::string::npos)
                usage();
            text += kv.substr(0, eq) + " = " + config::format_value(kv.substr(eq + 1)) + "\n";
        }
        auto c = config::Config::load_string(text, "<storage-tool>");
        if (!c)
            fail(c.status(), "config");
        cfg = *c;
    }
    UserSettings us;
    us.username = "testuser";
    us.home = opt.home;
    if (!opt.config_file.empty())
        us.mail_location = opt.location;
    auto user = User::open(cfg, us);
    if (!user)
        fail(user.status(), "open user");
    return std::move(*user);
}

Mailbox open_mailbox(const User& user, std::string_view name, bool read_only = false) {
    OpenOptions o;
    o.read_only = read_only;
    auto mb = Mailbox::open(user, name, o);
    if (!mb)
        fail(mb.status(), std::string("open ") + std::string(name));
    return std::move(*mb);
}

// Remaining arguments of a command: positional ones and --options.
struct Args {
    std::vector<std::string> pos;
    std::map<std::string, std::string> opt;
    std::set<std::string> flags;
    bool has(const std::string& k) const { return flags.count(k) > 0; }
    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = opt.find(k);
        return it == opt.end() ? def : it->second;
    }
};

Args parse_args(int argc, char** argv, int from, const std::set<std::string>& bool_opts) {
    Args a;
    for (int i = from; i < argc; ++i) {
        std::string s = argv[i];
        if (s.size() > 2 && s.rfind("--", 0) == 0) {
            if (bool_opts.count(s)) {
                a.flags.insert(s);
            } else {
                if (i + 1 >= argc)
                    usage();
                a.opt[s] = argv[++i];
            }
        } else {
            a.pos.push_back(s);
        }
    }
    return a;
}

// ---- commands -----------------------------------------------------------------

int cmd_save(const User& user, const Args& a) {
    if (a.pos.size() != 1)
        usage();
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    Mailbox mb = open_mailbox(user, a.pos[0]);
    SaveRequest req;
    req.data = data;
    parse_flag_words(split_words(a.get("--flags")), req.flags, req.keywords);
    for (auto& k : split_words(a.get("--keywords")))
        req.keywords.push_back(k);
    if (!a.get("--date").empty())
        req.internal_date = static_cast<std::int64_t>(parse_u64(a.get("--date"), "--date"));
    Transaction t = mb.begin();
    if (Status st = t.save(req); !st)
        fail(st, "save");
    auto r = t.commit();
    if (!r)
        fail(r.status(), "commit");
    if (r->saved.size() != 1)
        violation("commit of one save returned " + std::to_string(r->saved.size()) + " UIDs");
    emit(std::to_string(r->saved[0]));
    return 0;
}

int cmd_save_many(const User& user, const Args& a) {
    if (a.pos.size() != 2)
        usage();
    std::uint64_t n = parse_u64(a.pos[1], "N");
    std::uint64_t size = parse_u64(a.get("--size", "1024"), "--size");
    std::uint64_t batch = std::max<std::uint64_t>(1, parse_u64(a.get("--batch", "1"), "--batch"));
    std::uint64_t kwcount = parse_u64(a.get("--keyword-count", "0"), "--keyword-count");
    bool flag_pattern = a.has("--flag-pattern");
    std::string prefix = a.get("--prefix", "tok" + std::to_string(::getpid()));
    Mailbox mb = open_mailbox(user, a.pos[0]);
    for (std::uint64_t i = 0; i < n;) {
        Transaction t = mb.begin();
        std::vector<std::string> tokens;
        for (std::uint64_t j = 0; j < batch && i < n; ++j, ++i) {
            std::string token = prefix + "-" + std::to_string(i);
            std::string msg = make_message(token, size);
            SaveRequest req;
            req.data = msg;
            if (flag_pattern)
                req.flags = static_cast<MailFlags>(i % 32);
            if (kwcount > 0 && i % 3 != 0) {
                // Two keywords per message, spread over all kwcount names, so
                // that names beyond the 26 Dovecot letters and beyond 64 index
                // bits are used.
                req.keywords.push_back("kw" + std::to_string(i % kwcount));
                req.keywords.push_back("kw" + std::to_string((i * 7 + 3) % kwcount));
                if (req.keywords[0] == req.keywords[1])
                    req.keywords.pop_back();
            }
            if (Status st = t.save(req); !st)
                fail(st, "save " + token);
            tokens.push_back(token);
        }
        auto r = t.commit();
        if (!r)
            fail(r.status(), "commit");
        if (r->saved.size() != tokens.size())
            violation("commit returned " + std::to_string(r->saved.size()) + " UIDs for " +
                      std::to_string(tokens.size()) + " saves");
        std::string out;
        for (size_t k = 0; k < tokens.size(); ++k) {
            if (k)
                out += '\n';
            out += std::to_string(r->saved[k]) + " " + tokens[k];
        }
        emit(out);
    }
    return 0;
}

int cmd_flags(const User& user, const Args& a) {
    if (a.pos.size() < 3)
        usage();
    Mailbox mb = open_mailbox(user, a.pos[0]);
    UidSet uids = parse_uidset(a.pos[1]);
    FlagUpdate up;
    const std::string& mode = a.pos[2];
    if (mode == "+")
        up.mode = FlagUpdate::Mode::add;
    else if (mode == "-")
        up.mode = FlagUpdate::Mode::remove;
    else if (mode == "=")
        up.mode = FlagUpdate::Mode::replace;
    else
        usage();
    std::vector<std::string> words(a.pos.begin() + 3, a.pos.end());
    parse_flag_words(words, up.flags, up.keywords);
    if (!a.get("--unchangedsince").empty())
        up.unchanged_since = parse_u64(a.get("--unchangedsince"), "--unchangedsince");
    Transaction t = mb.begin();
    if (Status st = t.update_flags(uids, up); !st)
        fail(st, "flags");
    auto r = t.commit();
    if (!r)
        fail(r.status(), "commit");
    emit("modseq " + std::to_string(r->modseq) + " modified " + r->modified.to_string());
    return 0;
}

int cmd_expunge(const User& user, const Args& a) {
    if (a.pos.size() != 2)
        usage();
    Mailbox mb = open_mailbox(user, a.pos[0]);
    Transaction t = mb.begin();
    if (Status st = t.expunge(parse_uidset(a.pos[1])); !st)
        fail(st, "expunge");
    auto r = t.commit();
    if (!r)
        fail(r.status(), "commit");
    emit("expunged " + r->expunged.to_string());
    return 0;
}

int cmd_fetch(const User& user, const Args& a) {
    if (a.pos.size() != 1)
        usage();
    Mailbox mb = open_mailbox(user, a.pos[0], true);
    const View& v = mb.view();
    bool verify = a.has("--verify");
    bool guid = a.has("--guid");
    std::string out = "# uidvalidity=" + std::to_string(v.uidvalidity()) + " uidnext=" + std::to_string(v.uidnext()) +
                      " highestmodseq=" + std::to_string(v.highest_modseq()) + " messages=" +
                      std::to_string(v.count()) + " guid=" + mb.guid() + "\n";
    bool bad = false;
    Uid prev = 0;
    for (Seq s = 1; s <= v.count(); ++s) {
        Message m = mb.message(s);
        Uid uid = v.uid(s);
        if (uid <= prev)
            violation("UIDs not strictly increasing: " + std::to_string(prev) + " then " + std::to_string(uid));
        prev = uid;
        auto size = m.virtual_size();
        out += std::to_string(uid) + "\t" + format_flags(v.flags(s)) + "\t" + join(v.keywords(s)) + "\t" +
               std::to_string(v.modseq(s)) + "\t" + (size ? std::to_string(*size) : std::string("?"));
        if (verify) {
            auto data = m.open();
            if (!data) {
                out += "\t- unreadable";
                bad = true;
            } else {
                auto [token, ok] = check_token_message(*data);
                out += "\t" + token + (ok ? " ok" : " bad");
                bad = bad || !ok;
            }
        }
        if (guid) {
            auto g = m.guid();
            out += "\t" + (g ? *g : std::string("?"));
        }
        out += "\n";
        if (out.size() > (1u << 20)) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return bad ? 3 : 0;
}

std::string format_attributes(std::uint32_t attrs, std::uint32_t special) {
    std::vector<std::string> w;
    static const std::pair<std::uint32_t, const char*> names[] = {
        {attr_noselect, "\\Noselect"},       {attr_noinferiors, "\\Noinferiors"},
        {attr_nonexistent, "\\NonExistent"}, {attr_has_children, "\\HasChildren"},
        {attr_has_no_children, "\\HasNoChildren"}, {attr_subscribed, "\\Subscribed"},
        {attr_marked, "\\Marked"},           {attr_unmarked, "\\Unmarked"},
    };
    for (auto& [bit, name] : names)
        if (attrs & bit)
            w.push_back(name);
    std::string su = format_special_use(special);
    if (!su.empty())
        w.push_back(su);
    return join(w);
}

int cmd_list(const User& user, const Args&) {
    ListQuery q;
    q.patterns = {"*"};
    auto r = user.list(q);
    if (!r)
        fail(r.status(), "list");
    for (const auto& m : *r)
        emit(m.name + "\t" + format_attributes(m.attributes, m.special_use));
    return 0;
}

int cmd_status(const User& user, const Args& a) {
    if (a.pos.size() != 1)
        usage();
    auto st = user.status(a.pos[0], status_all);
    if (!st)
        fail(st.status(), "status");
    emit("messages=" + std::to_string(st->messages) + " uidnext=" + std::to_string(st->uidnext) +
         " uidvalidity=" + std::to_string(st->uidvalidity) + " highestmodseq=" +
         std::to_string(st->highest_modseq) + " unseen=" + std::to_string(st->unseen) + " guid=" + st->guid);
    return 0;
}

// ---- stress -------------------------------------------------------------------

using Clock = std::chrono::steady_clock;

// Saves, flag changes and expunges in a loop. Every committed action goes to
// the log file (flushed per line) once commit() returned:
//   save UID TOKEN / flags UID... / expunge UID...
int cmd_stress_writer(const User& user, const Args& a) {
    if (a.pos.size() != 1 || a.get("--log").empty())
        usage();
    double seconds = std::strtod(a.get("--seconds", "5").c_str(), nullptr);
    std::mt19937_64 rng(parse_u64(a.get("--seed", "1"), "--seed"));
    std::string id = a.get("--id", std::to_string(::getpid()));
    std::ofstream log(a.get("--log"), std::ios::app);
    if (!log)
        violation("cannot open log " + a.get("--log"));
    Mailbox mb = open_mailbox(user, a.pos[0]);
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t n = 0;
    while (Clock::now() < end) {
        if (auto s = mb.sync(); !s)
            fail(s.status(), "sync");
        const View& v = mb.view();
        unsigned dice = static_cast<unsigned>(rng() % 100);
        Transaction t = mb.begin();
        if (dice < 60 || v.count() == 0) {
            std::string token = "w" + id + "-" + std::to_string(n++);
            std::string msg = make_message(token, 200 + rng() % 3000);
            SaveRequest req;
            req.data = msg;
            req.flags = static_cast<MailFlags>(rng() % 32);
            if (rng() % 2)
                req.keywords.push_back("kw" + std::to_string(rng() % 40));
            if (Status st = t.save(req); !st)
                fail(st, "save");
            auto r = t.commit();
            if (!r)
                fail(r.status(), "commit save");
            if (r->saved.size() != 1)
                violation("save commit returned " + std::to_string(r->saved.size()) + " UIDs");
            log << "save " << r->saved[0] << " " << token << std::endl;
        } else if (dice < 85) {
            UidSet uids;
            for (int k = 0; k < 3; ++k)
                uids.add(v.uid(static_cast<Seq>(1 + rng() % v.count())));
            FlagUpdate up;
            up.mode = static_cast<FlagUpdate::Mode>(rng() % 3);
            up.flags = static_cast<MailFlags>(rng() % 32);
            if (rng() % 2)
                up.keywords.push_back("kw" + std::to_string(rng() % 40));
            if (Status st = t.update_flags(uids, up); !st)
                fail(st, "flags");
            auto r = t.commit();
            if (!r)
                fail(r.status(), "commit flags");
            log << "flags " << uids.to_string() << std::endl;
        } else {
            UidSet uids;
            uids.add(v.uid(static_cast<Seq>(1 + rng() % v.count())));
            if (Status st = t.expunge(uids); !st)
                fail(st, "expunge");
            auto r = t.commit();
            if (!r)
                fail(r.status(), "commit expunge");
            // What was asked for is gone afterwards whether this commit or
            // another writer's expunged it.
            log << "expunge " << uids.to_string() << std::endl;
        }
    }
    return 0;
}

// Syncs repeatedly and checks what every protocol session relies on.
int cmd_stress_reader(const User& user, const Args& a) {
    if (a.pos.size() != 1)
        usage();
    double seconds = std::strtod(a.get("--seconds", "5").c_str(), nullptr);
    std::mt19937_64 rng(parse_u64(a.get("--seed", "1"), "--seed"));
    Mailbox mb = open_mailbox(user, a.pos[0], rng() % 2 == 0);
    auto snapshot = [&]() {
        std::vector<Uid> uids;
        const View& v = mb.view();
        uids.reserve(v.count());
        for (Seq s = 1; s <= v.count(); ++s) {
            Uid u = v.uid(s);
            if (!uids.empty() && u <= uids.back())
                violation("view UIDs not strictly increasing at seq " + std::to_string(s) + ": " +
                          std::to_string(uids.back()) + " then " + std::to_string(u));
            if (v.seq(u) != s)
                violation("seq(uid(" + std::to_string(s) + ")) = " + std::to_string(v.seq(u)));
            if (v.modseq(s) > v.highest_modseq())
                violation("message modseq " + std::to_string(v.modseq(s)) + " above HIGHESTMODSEQ " +
                          std::to_string(v.highest_modseq()));
            if (u >= v.uidnext())
                violation("UID " + std::to_string(u) + " not below UIDNEXT " + std::to_string(v.uidnext()));
            uids.push_back(u);
        }
        return uids;
    };
    std::vector<Uid> old = snapshot();
    std::uint32_t uidvalidity = mb.view().uidvalidity();
    std::uint32_t uidnext = mb.view().uidnext();
    ModSeq hms = mb.view().highest_modseq();
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t syncs = 0;
    while (Clock::now() < end) {
        bool keep_expunges = rng() % 4 == 0;
        auto r = mb.sync(keep_expunges ? static_cast<std::uint32_t>(sync_no_expunges) : 0u);
        if (!r)
            fail(r.status(), "sync");
        ++syncs;
        const View& v = mb.view();
        if (r->uidvalidity_changed || v.uidvalidity() != uidvalidity)
            violation("UIDVALIDITY changed from " + std::to_string(uidvalidity) + " to " +
                      std::to_string(v.uidvalidity()));
        if (v.uidnext() < uidnext)
            violation("UIDNEXT went back from " + std::to_string(uidnext) + " to " + std::to_string(v.uidnext()));
        if (v.highest_modseq() < hms)
            violation("HIGHESTMODSEQ went back from " + std::to_string(hms) + " to " +
                      std::to_string(v.highest_modseq()));
        if (r->old_count != old.size())
            violation("SyncResult.old_count " + std::to_string(r->old_count) + " but the view had " +
                      std::to_string(old.size()));
        if (r->count != v.count())
            violation("SyncResult.count " + std::to_string(r->count) + " but the view has " +
                      std::to_string(v.count()));
        if (keep_expunges && !r->expunged.empty())
            violation("sync_no_expunges reported " + std::to_string(r->expunged.size()) + " expunges");
        // Apply the EXPUNGEs one by one, as a client does.
        std::vector<Uid> applied = old;
        for (Seq s : r->expunged) {
            if (s == 0 || s > applied.size())
                violation("EXPUNGE " + std::to_string(s) + " outside the view of " + std::to_string(applied.size()));
            Uid gone = applied[s - 1];
            if (!r->expunged_uids.contains(gone))
                violation("EXPUNGE " + std::to_string(s) + " is UID " + std::to_string(gone) +
                          ", not in expunged_uids " + r->expunged_uids.to_string());
            applied.erase(applied.begin() + (s - 1));
        }
        if (r->expunged_uids.count() != r->expunged.size())
            violation("expunged_uids " + r->expunged_uids.to_string() + " but " + std::to_string(r->expunged.size()) +
                      " EXPUNGE sequence numbers");
        std::vector<Uid> now = snapshot();
        // Every old UID that was not reported expunged is still there, in
        // order, and everything after them is new mail above the old UIDNEXT.
        if (now.size() < applied.size() || !std::equal(applied.begin(), applied.end(), now.begin()))
            violation("a UID disappeared without an expunge report (view had " + std::to_string(applied.size()) +
                      " after the reported expunges, now " + std::to_string(now.size()) + ")");
        for (size_t i = applied.size(); i < now.size(); ++i)
            if (now[i] < uidnext)
                violation("new UID " + std::to_string(now[i]) + " below the previous UIDNEXT " +
                          std::to_string(uidnext));
        for (Uid c : r->changed)
            if (v.seq(c) == 0)
                violation("changed UID " + std::to_string(c) + " not in the view");
        // Read a message now and then: a whole one or, if someone expunged
        // it meanwhile, not_found.
        if (v.count() > 0 && rng() % 4 == 0) {
            Seq s = static_cast<Seq>(1 + rng() % v.count());
            auto data = mb.message(s).open();
            if (data) {
                auto [token, ok] = check_token_message(*data);
                if (!ok)
                    violation("UID " + std::to_string(v.uid(s)) + " (token " + token + ") has a torn body");
            } else if (data.status().code() != Status::Code::not_found) {
                fail(data.status(), "open UID " + std::to_string(v.uid(s)));
            }
        }
        old = std::move(now);
        uidnext = v.uidnext();
        hms = v.highest_modseq();
    }
    emit("reader ok syncs=" + std::to_string(syncs) + " messages=" + std::to_string(old.size()));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    Options opt;
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view s = argv[i];
        if ((s == "-l" || s == "-H" || s == "-c" || s == "-o") && i + 1 < argc) {
            std::string v = argv[++i];
            if (s == "-l")
                opt.location = v;
            else if (s == "-H")
                opt.home = v;
            else if (s == "-c")
                opt.config_file = v;
            else
                opt.settings.push_back(v);
        } else {
            break;
        }
    }
    if (i >= argc)
        usage();
    std::string cmd = argv[i];
    Args a = parse_args(argc, argv, i + 1, {"--verify", "--guid", "--flag-pattern"});
    User user = open_user(opt);
    if (cmd == "save")
        return cmd_save(user, a);
    if (cmd == "save-many")
        return cmd_save_many(user, a);
    if (cmd == "flags")
        return cmd_flags(user, a);
    if (cmd == "expunge")
        return cmd_expunge(user, a);
    if (cmd == "fetch")
        return cmd_fetch(user, a);
    if (cmd == "list")
        return cmd_list(user, a);
    if (cmd == "status")
        return cmd_status(user, a);
    if (cmd == "stress-writer")
        return cmd_stress_writer(user, a);
    if (cmd == "stress-reader")
        return cmd_stress_reader(user, a);
    if (cmd == "create" || cmd == "delete" || cmd == "subscribe" || cmd == "unsubscribe") {
        if (a.pos.size() != 1)
            usage();
        Status st = cmd == "create"      ? user.create_mailbox(a.pos[0])
                    : cmd == "delete"    ? user.delete_mailbox(a.pos[0])
                    : cmd == "subscribe" ? user.subscribe(a.pos[0], true)
                                         : user.subscribe(a.pos[0], false);
        if (!st)
            fail(st, cmd + " " + a.pos[0]);
        return 0;
    }
    if (cmd == "subscriptions") {
        auto r = user.subscriptions();
        if (!r)
            fail(r.status(), "subscriptions");
        for (const auto& s : *r)
            emit(s);
        return 0;
    }
    usage();
}
