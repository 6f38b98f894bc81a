#include "mbox_gen.hpp"

#include <string>

namespace bench {

namespace {

// splitmix64: small, fast and the same everywhere.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
    bool chance(unsigned percent) { return below(100) < percent; }
};

constexpr const char* kWords[] = {
    "the", "meeting", "report", "quarterly", "server", "mail", "please", "review", "attached",
    "thanks", "regards", "schedule", "tomorrow", "budget", "draft", "final", "update", "question",
    "project", "deadline", "release", "notes", "build", "test", "configuration", "message",
    "caf\xc3\xa9", "na\xc3\xafve", "Stra\xc3\x9f" "e", "r\xc3\xa9sum\xc3\xa9",
};
constexpr const char* kNames[] = {"Alice Example", "Bob Builder", "Carol Jones", "Dave O'Brien",
                                  "Eve Adams", "Frank M\xc3\xbcller", "Grace Hopper", "Heidi Klum"};
constexpr const char* kHosts[] = {"example.com", "example.org", "mail.example.net", "lists.example.com"};
// Concatenation by appending (GCC 12 warns falsely about `"text" + string&&`).
template <typename... Parts>
std::string cat(const Parts&... parts) {
    std::string s;
    (s.append(std::string_view(parts)), ...);
    return s;
}

std::string num(std::uint64_t n) { return std::to_string(n); }

constexpr const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

class Writer {
public:
    Writer(Rng& rng, const char* eol) : rng_(rng), eol_(eol) {}

    std::string out;

    void line(std::string_view text) {
        out.append(text);
        out.append(eol_);
    }
    std::string address() {
        std::string name = kNames[rng_.below(std::size(kNames))];
        std::string local;
        for (char c : name)
            if (c >= 'A' && c <= 'z' && c != '\'')
                local += static_cast<char>(c | 0x20);
            else if (c == ' ')
                local += '.';
        const char* host = kHosts[rng_.below(std::size(kHosts))];
        if (rng_.chance(20))
            return local + "@" + host;
        return "\"" + name + "\" <" + local + "@" + host + ">";
    }
    std::string words(std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i) {
            if (i)
                s += ' ';
            s += kWords[rng_.below(std::size(kWords))];
        }
        return s;
    }
    // The fields every message has, plus some list traffic noise.
    void top_header(std::size_t index, bool list_mail) {
        std::size_t hops = rng_.between(1, list_mail ? 8 : 3);
        for (std::size_t i = 0; i < hops; ++i) {
            line(cat("Received: from mx", num(i), ".example.net (mx", num(i), ".example.net [192.0.2.",
                     num(i + 1), "])"));
            line(cat("\tby mail.example.com (Postfix) with ESMTPS id 4F", num(index * 7 + i),
                     "; Sat, 28 Nov 2026 16:", two(i), ":00 +0000"));
        }
        line(cat("From: ", address()));
        std::string to = cat("To: ", address());
        for (std::size_t i = rng_.below(4); i > 0; --i)
            to += cat(",", eol_, " ", address());
        line(to);
        if (rng_.chance(30))
            line(cat("Cc: ", address(), ", ", address()));
        std::string subject = words(rng_.between(2, 9));
        if (rng_.chance(25))
            line("Subject: Re: " + subject);
        else if (rng_.chance(15))
            line(cat("Subject: =?utf-8?q?", qp_word(subject), "?="));
        else
            line("Subject: " + subject);
        line(cat("Date: Sat, ", num(1 + index % 28), " Nov 2026 ", two(index % 24), ":", two(index % 60),
                 ":00 +0100"));
        line(cat("Message-ID: <", num(index), ".", num(rng_.next() % 100000), "@example.com>"));
        if (rng_.chance(30))
            line(cat("In-Reply-To: <", num(index / 2), "@example.com>"));
        if (list_mail) {
            line("List-Id: Benchmark discussion <bench.lists.example.com>");
            line("List-Unsubscribe: <mailto:bench-unsubscribe@lists.example.com>");
            line("Precedence: list");
        }
        line("MIME-Version: 1.0");
    }
    void text_body(std::size_t size) {
        std::size_t start = out.size();
        while (out.size() - start < size)
            line(words(rng_.between(4, 12)));
    }
    void base64_body(std::size_t size) {
        for (std::size_t done = 0; done < size; done += 57) {
            std::string l;
            for (int i = 0; i < 76; ++i)
                l += kBase64[rng_.below(64)];
            line(l);
        }
    }
    void plain_part(std::size_t size) {
        bool qp = rng_.chance(30);
        line(std::string("Content-Type: text/plain; charset=") + (qp ? "utf-8" : "us-ascii") +
             (rng_.chance(30) ? "; format=flowed" : ""));
        line(qp ? "Content-Transfer-Encoding: quoted-printable" : "Content-Transfer-Encoding: 7bit");
        line("");
        text_body(size);
    }
    void html_part(std::size_t size) {
        line("Content-Type: text/html; charset=\"utf-8\"");
        line("Content-Transfer-Encoding: quoted-printable");
        line("");
        line("<html><body>");
        text_body(size);
        line("</body></html>");
    }
    void attachment(std::size_t size) {
        static constexpr const char* kTypes[] = {"application/pdf", "image/png", "application/zip",
                                                 "image/jpeg", "application/octet-stream"};
        std::string type = kTypes[rng_.below(std::size(kTypes))];
        std::string name = cat("file", num(rng_.below(1000)), ".bin");
        line("Content-Type: " + type + "; name=\"" + name + "\"");
        line(cat("Content-Disposition: attachment; filename=\"", name, "\"; size=", num(size)));
        line("Content-Transfer-Encoding: base64");
        line("");
        base64_body(size);
    }
    std::string boundary() { return cat("----=_Part_", num(rng_.next() % 1000000000)); }
    void alternative(std::size_t size) {
        std::string b = boundary();
        line("Content-Type: multipart/alternative; boundary=\"" + b + "\"");
        line("");
        line("--" + b);
        plain_part(size);
        line("--" + b);
        html_part(size + size / 2);
        line("--" + b + "--");
    }
    // One body of a random kind (its Content-* fields and body), nested
    // messages at most `depth` more levels down.
    void body(std::size_t depth) {
        std::size_t kind = rng_.below(100);
        std::size_t text = small_size();
        if (kind < 35) {
            plain_part(text);
        } else if (kind < 55) {
            alternative(text);
        } else if (kind < 80) {
            std::string b = boundary();
            line("Content-Type: multipart/mixed; boundary=\"" + b + "\"");
            line("");
            line("This is a multi-part message in MIME format.");
            line("--" + b);
            if (rng_.chance(50))
                alternative(text);
            else
                plain_part(text);
            for (std::size_t i = rng_.between(1, 3); i > 0; --i) {
                line("--" + b);
                attachment(attachment_size());
            }
            line("--" + b + "--");
        } else if (kind < 87) {
            std::string b = boundary();
            line("Content-Type: multipart/related; boundary=\"" + b + "\"; type=\"text/html\"");
            line("");
            line("--" + b);
            html_part(text);
            for (std::size_t i = rng_.between(1, 4); i > 0; --i) {
                line("--" + b);
                line(cat("Content-ID: <img", num(i), "@example.com>"));
                attachment(rng_.between(500, 20000));
            }
            line("--" + b + "--");
        } else if (kind < 95 && depth > 0) {
            std::string b = boundary();
            line("Content-Type: multipart/mixed; boundary=\"" + b + "\"");
            line("");
            line("--" + b);
            plain_part(rng_.between(100, 600));
            line("--" + b);
            line("Content-Type: message/rfc822");
            line("Content-Disposition: inline");
            line("");
            nested_message(depth - 1);
            line("--" + b + "--");
        } else if (depth > 0) {
            std::string b = boundary();
            line("Content-Type: multipart/digest; boundary=\"" + b + "\"");
            line("");
            for (std::size_t i = rng_.between(3, 10); i > 0; --i) {
                line("--" + b);
                line("");
                line(cat("From: ", address()));
                line(cat("Subject: ", words(4)));
                line("");
                text_body(rng_.between(200, 3000));
            }
            line("--" + b + "--");
        } else {
            plain_part(text);
        }
    }
    void nested_message(std::size_t depth) {
        line(cat("From: ", address()));
        line(cat("To: ", address()));
        line(cat("Subject: Fwd: ", words(5)));
        line("Date: Fri, 27 Nov 2026 09:00:00 -0500");
        line("MIME-Version: 1.0");
        body(depth);
    }

private:
    static std::string two(std::size_t n) {
        std::string s = std::to_string(n % 100);
        return s.size() == 1 ? "0" + s : s;
    }
    static std::string qp_word(const std::string& s) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
            if (c == ' ')
                out += '_';
            else if (c >= 0x80 || c == '=' || c == '?' || c == '_') {
                out += '=';
                out += kHex[c >> 4];
                out += kHex[c & 15];
            } else
                out += static_cast<char>(c);
        }
        return out;
    }
    // Mostly short mail, now and then a long one.
    std::size_t small_size() {
        return rng_.chance(85) ? rng_.between(200, 4000) : rng_.between(4000, 60000);
    }
    std::size_t attachment_size() {
        return rng_.chance(85) ? rng_.between(1000, 30000) : rng_.between(30000, 256 * 1024);
    }

    Rng& rng_;
    const char* eol_;
};

} // namespace

std::string generate_mbox(std::size_t count, std::uint64_t seed) {
    Rng rng{seed};
    std::string mbox;
    for (std::size_t i = 0; i < count; ++i) {
        Writer w(rng, rng.chance(25) ? "\r\n" : "\n");
        w.top_header(i, rng.chance(20));
        w.body(3);
        mbox += "From sender@example.com Sat Nov 28 16:00:00 2026\n";
        mbox += w.out;
        mbox += '\n';
    }
    return mbox;
}

std::vector<std::string_view> split_mbox(std::string_view mbox) {
    // A message starts after a "From " line at the start of the file or
    // after an empty line; the generator never writes "From " in a body.
    std::vector<std::string_view> messages;
    constexpr std::string_view kSep = "\nFrom ";
    std::size_t pos = mbox.starts_with("From ") ? 0 : mbox.find(kSep);
    while (pos != std::string_view::npos && pos < mbox.size()) {
        std::size_t line_end = mbox.find('\n', pos + 1);
        if (line_end == std::string_view::npos)
            break;
        std::size_t start = line_end + 1;
        std::size_t next = mbox.find(kSep, start);
        std::size_t end = next == std::string_view::npos ? mbox.size() : next;
        // The empty line before a "From " line belongs to the mbox: it is the
        // LF `next` points at, or the file's last LF.
        std::string_view message = mbox.substr(start, end - start);
        if (next == std::string_view::npos && message.ends_with("\n"))
            message.remove_suffix(1);
        messages.push_back(message);
        pos = next == std::string_view::npos ? next : next + 1;
    }
    return messages;
}

std::string make_message(std::size_t parts, std::size_t part_size) {
    std::string m = "From: a@example.com\r\nTo: b@example.com\r\nSubject: memory\r\nMIME-Version: 1.0\r\n";
    auto text = [&](std::size_t size) {
        std::string line(74, 'x');
        line += "\r\n";
        std::string body;
        body.reserve(size + line.size());
        while (body.size() + line.size() <= size)
            body += line;
        body.append(size - body.size(), 'y');
        return body;
    };
    if (parts <= 1) {
        m += cat("Content-Type: text/plain\r\n\r\n", text(part_size));
        return m;
    }
    m += "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
    for (std::size_t i = 0; i < parts; ++i)
        m += cat("--b\r\nContent-Type: text/plain\r\n\r\n", text(part_size), "\r\n");
    m += "--b--\r\n";
    return m;
}

} // namespace bench
