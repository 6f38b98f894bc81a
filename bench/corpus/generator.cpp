#include "corpus/generator.hpp"

#include "corpus/dates.hpp"
#include "corpus/vocabulary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace corpus {

namespace {

// ---------------------------------------------------------------------------
// Sizes. The mixture of two log-normals (natural-log parameters):
//   88 %: mail without attachments, median 5 KiB, sigma 0.9
//   12 %: mail with attachments,    median 60 KiB, sigma 1.3
// Its mean is about 23 KB before the clamp; one message in 2,000 reaches
// 2.5 MB. Sampled with plain arithmetic only: an Irwin-Hall sum of twelve
// uniforms for the normal deviate (within 0.01 of the normal's quantiles
// up to p = 0.999; its tails end at 6 sigma) and exp2 by a series, so
// the bytes do not depend on the libm the program runs with.
constexpr std::uint32_t kAttachPerMille = 120;
constexpr double kTextLog2Median = 12.321928094887362;    // log2(5120)
constexpr double kAttachLog2Median = 15.906890595608518;  // log2(61440)
constexpr double kLn2 = 0.6931471805599453;
constexpr double kTextSigmaLog2 = 0.9 / kLn2;
constexpr double kAttachSigmaLog2 = 1.3 / kLn2;

// 2^x for |x| < 1000, series for the fraction (exact to a few ulps, and the
// same on every IEEE machine: only + and * and ldexp, which is exact).
double exp2_plain(double x) {
    double k = std::floor(x);
    double y = (x - k) * kLn2;  // in [0, ln 2)
    double term = 1.0, sum = 1.0;
    for (int i = 1; i < 18; ++i) {
        term = term * y / i;
        sum += term;
    }
    return std::ldexp(sum, static_cast<int>(k));
}

// ---------------------------------------------------------------------------
// Encodings.

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789ABCDEF";

std::string base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                                (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
        out += kBase64[v >> 18];
        out += kBase64[(v >> 12) & 63];
        out += kBase64[(v >> 6) & 63];
        out += kBase64[v & 63];
    }
    if (i < in.size()) {
        std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
        if (i + 1 < in.size())
            v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
        out += kBase64[v >> 18];
        out += kBase64[(v >> 12) & 63];
        out += i + 1 < in.size() ? kBase64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// RFC 2047 §4.2 "Q" encoding of one encoded-word's text.
std::string q_encode(std::string_view in) {
    std::string out;
    for (unsigned char c : in) {
        if (c == ' ') {
            out += '_';
        } else if (c >= 0x80 || c < 0x20 || c == '=' || c == '?' || c == '_' || c == '"' || c == '(' ||
                   c == ')' || c == ',' || c == '.' || c == ':' || c == ';' || c == '<' || c == '>' ||
                   c == '@' || c == '[' || c == ']' || c == '\\') {
            out += '=';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Words (as bytes of `charset`) as one or more RFC 2047 encoded-words, at
// most three words each so that each stays under 75 characters (§2); the
// space after a word is inside its encoded-word, because white space between
// two encoded-words is dropped when decoding (§6.2). B for the multibyte
// charsets, Q for the others.
std::string encode_words(const std::vector<std::string_view>& words, std::string_view charset,
                         std::string_view eol) {
    const bool b = charset == "utf-8" || charset == "koi8-r" || charset == "iso-2022-jp";
    std::string out;
    for (std::size_t i = 0; i < words.size(); i += 3) {
        std::string chunk;
        for (std::size_t j = i; j < words.size() && j < i + 3; ++j) {
            chunk += words[j];
            if (j + 1 < words.size())
                chunk += ' ';
        }
        if (i)
            out.append(eol).append(" ");
        out += "=?";
        out += charset;
        out += b ? "?B?" : "?Q?";
        out += b ? base64(chunk) : q_encode(chunk);
        out += "?=";
    }
    return out;
}

constexpr int kZones[] = {0, 60, 120, -300, -480, 330, 540, -180, 600, -420, 60, 0, 120, 60};

} // namespace

double size_quantile(double p) {
    // The mixture's CDF, inverted by bisection in log space (tests and docs
    // only: this one uses libm).
    auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
    auto cdf = [&](double log2_size) {
        const double a = (1000.0 - kAttachPerMille) / 1000.0;
        return a * phi((log2_size - kTextLog2Median) / kTextSigmaLog2) +
               (1 - a) * phi((log2_size - kAttachLog2Median) / kAttachSigmaLog2);
    };
    double lo = 0, hi = 40;
    for (int i = 0; i < 200; ++i) {
        const double mid = (lo + hi) / 2;
        (cdf(mid) < p ? lo : hi) = mid;
    }
    return std::exp2((lo + hi) / 2);
}

// ---------------------------------------------------------------------------

// Writes one message into `out`, drawing from the generator's random numbers.
class MessageWriter {
public:
    MessageWriter(Generator& g, std::string& out) : g_(g), out_(out), eol_(g.options_.crlf ? "\r\n" : "\n") {}

    void write();

private:
    Generator& g_;
    std::string& out_;
    std::string_view eol_;
    MessageInfo& info() { return g_.info_; }

    void line(std::string_view s) {
        out_.append(s);
        out_.append(eol_);
    }
    template <typename T>
    const T& pick(std::span<const T> items) {
        return items[g_.below(items.size())];
    }
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + g_.below(hi - lo + 1); }
    std::string boundary() {
        std::string b = "=_Part_";
        for (int i = 0; i < 4; ++i)
            b += kHex[g_.below(16)];
        b += '_';
        b += std::to_string(g_.rand() % 1000000000);
        return b;
    }

    std::uint64_t draw_target(bool& with_attachments);
    std::string sender_field(const Sender& s, std::string_view domain);
    std::string make_subject(std::vector<std::string_view>& words_out, const CharsetWords*& cs_out);
    const CharsetWords& pick_charset();
    std::string text(const CharsetWords& cs, std::size_t bytes, bool needle, bool html);
    void text_part(const CharsetWords& cs, std::size_t bytes, bool needle, bool html);
    void alternative(const CharsetWords& cs, std::size_t bytes, bool needle);
    void attachment(std::size_t bytes);
    void forwarded(std::size_t bytes);
    void base64_random(std::size_t bytes);
    std::size_t remaining(std::uint64_t target, std::size_t reserve) const {
        return out_.size() + reserve < target ? static_cast<std::size_t>(target - out_.size() - reserve) : 0;
    }
};

std::uint64_t MessageWriter::draw_target(bool& with_attachments) {
    with_attachments = g_.below(1000) < kAttachPerMille;
    // Irwin-Hall: the sum of twelve uniforms on [0, 1) minus 6 ~ N(0, 1).
    std::uint64_t sum = 0;
    for (int i = 0; i < 12; ++i)
        sum += g_.rand() >> 32;
    const double z = static_cast<double>(sum) / 4294967296.0 - 6.0;
    const double log2_size =
        with_attachments ? kAttachLog2Median + z * kAttachSigmaLog2 : kTextLog2Median + z * kTextSigmaLog2;
    double size = exp2_plain(std::min(log2_size, 40.0));
    const auto lo = static_cast<double>(g_.options_.min_size + 128);
    const auto hi = static_cast<double>(g_.options_.max_size - 512);
    size = std::clamp(size, lo, std::max(lo, hi));
    return static_cast<std::uint64_t>(size);
}

std::string MessageWriter::sender_field(const Sender& s, std::string_view domain) {
    std::string addr = std::string(s.local) + "@" + std::string(domain);
    if (s.charset == "us-ascii") {
        if (g_.chance(150))
            return addr;
        return std::string(s.display) + " <" + addr + ">";
    }
    return encode_words({s.display}, s.charset, eol_) + " <" + addr + ">";
}

const CharsetWords& MessageWriter::pick_charset() {
    // us-ascii 35 %, utf-8 30 %, iso-8859-1 10 %, iso-8859-15 5 %,
    // windows-1252 8 %, koi8-r 6 %, iso-2022-jp 6 %.
    static constexpr unsigned kCumulative[] = {350, 650, 750, 800, 880, 940, 1000};
    const std::uint64_t r = g_.below(1000);
    std::size_t i = 0;
    while (r >= kCumulative[i])
        ++i;
    return kCharsets[i];
}

std::string MessageWriter::make_subject(std::vector<std::string_view>& words, const CharsetWords*& cs) {
    // A new thread's subject: 2-6 words, one in a legacy charset for 15 %.
    words.clear();
    const std::size_t n = between(2, 6);
    for (std::size_t i = 0; i < n; ++i)
        words.push_back(pick(kSubjectWords));
    cs = &kCharsets[0];
    if (g_.chance(150)) {
        cs = &kCharsets[between(1, kCharsetCount - 1)];
        const auto at = static_cast<std::ptrdiff_t>(g_.below(words.size() + 1));
        words.insert(words.begin() + at, pick(cs->words));
    }
    if (cs->words.empty()) {
        std::string s;
        for (std::size_t i = 0; i < words.size(); ++i) {
            if (i)
                s += ' ';
            s += words[i];
        }
        if (!s.empty() && s[0] >= 'a' && s[0] <= 'z')
            s[0] = static_cast<char>(s[0] - 32);
        return s;
    }
    return encode_words(words, cs->name, eol_);
}

std::string MessageWriter::text(const CharsetWords& cs, std::size_t bytes, bool needle, bool html) {
    // Lines of 6-12 words, about one in eight words from the charset's own
    // words; now and then an empty line (a paragraph) or a line starting
    // with "." (POP3 must dot-stuff it, RFC 1939 §3).
    std::string t;
    t.reserve(bytes + 128);
    std::size_t needle_line = needle ? g_.below(std::max<std::size_t>(1, bytes / 70)) : SIZE_MAX;
    std::size_t line_no = 0;
    if (html)
        t.append("<html><head><meta charset=\"").append(cs.name).append("\"></head><body>").append(eol_);
    while (line_no == 0 || t.size() < bytes || (needle && line_no <= needle_line)) {
        if (html)
            t += "<p>";
        if (g_.chance(10))
            t += '.';
        const std::size_t words = between(6, 12);
        for (std::size_t w = 0; w < words; ++w) {
            if (w)
                t += ' ';
            if (!cs.words.empty() && g_.below(8) == 0)
                t.append(pick(cs.words));
            else
                t.append(pick(kBodyWords));
        }
        if (line_no == needle_line) {
            t += ' ';
            t.append(kBodyNeedle);
        }
        if (html)
            t += "</p>";
        t.append(eol_);
        if (!html && g_.chance(60))
            t.append(eol_);
        ++line_no;
    }
    if (html)
        t.append("</body></html>").append(eol_);
    return t;
}

void MessageWriter::text_part(const CharsetWords& cs, std::size_t bytes, bool needle, bool html) {
    ++info().parts;
    out_.append(html ? "Content-Type: text/html; charset=" : "Content-Type: text/plain; charset=");
    out_.append(cs.name);
    if (!html && g_.chance(200))
        out_.append("; format=flowed");
    out_.append(eol_);
    // Transfer encoding by charset, as mail clients choose them.
    enum { k7bit, k8bit, kQp, kB64 } cte = k7bit;
    const std::uint64_t r = g_.below(10);
    if (cs.name == "utf-8")
        cte = r < 5 ? k8bit : r < 9 ? kQp : kB64;
    else if (cs.name == "koi8-r")
        cte = r < 7 ? k8bit : kB64;
    else if (cs.name == "iso-8859-1" || cs.name == "iso-8859-15" || cs.name == "windows-1252")
        cte = r < 6 ? kQp : k8bit;
    else if (html)
        cte = kQp;
    static constexpr const char* kCte[] = {"7bit", "8bit", "quoted-printable", "base64"};
    line(std::string("Content-Transfer-Encoding: ") + kCte[cte]);
    out_.append(eol_);
    const std::size_t raw_bytes = cte == kB64 ? bytes * 3 / 4 : cte == kQp && cs.name != "us-ascii" ? bytes * 4 / 5 : bytes;
    const std::string t = text(cs, raw_bytes, needle, html);
    if (cte == k7bit || cte == k8bit) {
        out_.append(t);
    } else if (cte == kB64) {
        const std::string enc = base64(t);
        for (std::size_t i = 0; i < enc.size(); i += 76) {
            out_.append(enc, i, 76);
            out_.append(eol_);
        }
    } else {
        // Quoted-printable (RFC 2045 §6.7): lines of at most 76 characters,
        // soft line breaks ("=" at the end) where a line would be longer.
        std::size_t col = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const unsigned char c = static_cast<unsigned char>(t[i]);
            if (c == '\n' || (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n')) {
                if (c == '\r')
                    ++i;
                out_.append(eol_);
                col = 0;
                continue;
            }
            const bool next_is_eol = i + 1 >= t.size() || t[i + 1] == '\n' || t[i + 1] == '\r';
            const bool plain = (c >= 33 && c <= 126 && c != '=') || (c == ' ' && !next_is_eol);
            const std::size_t width = plain ? 1 : 3;
            if (col + width > 75) {
                out_ += '=';
                out_.append(eol_);
                col = 0;
            }
            if (plain) {
                out_ += static_cast<char>(c);
            } else {
                out_ += '=';
                out_ += kHex[c >> 4];
                out_ += kHex[c & 15];
            }
            col += width;
        }
    }
}

void MessageWriter::alternative(const CharsetWords& cs, std::size_t bytes, bool needle) {
    info().parts += 1;
    info().has_html = true;
    const std::string b = boundary();
    line("Content-Type: multipart/alternative; boundary=\"" + b + "\"");
    out_.append(eol_);
    line("--" + b);
    text_part(cs, bytes * 2 / 5, needle, false);
    line("--" + b);
    text_part(cs, bytes * 3 / 5, needle, true);
    line("--" + b + "--");
}

void MessageWriter::base64_random(std::size_t bytes) {
    // Random data, 76 characters a line (RFC 2045 §6.8), a multiple of 4
    // characters in all (no padding needed).
    const std::size_t lines = std::max<std::size_t>(1, bytes / (76 + eol_.size()));
    char buf[80];
    for (std::size_t l = 0; l < lines; ++l) {
        for (int i = 0; i < 76;) {
            std::uint64_t v = g_.rand();
            for (int k = 0; k < 10 && i < 76; ++k, ++i) {
                buf[i] = kBase64[v & 63];
                v >>= 6;
            }
        }
        out_.append(buf, 76);
        out_.append(eol_);
    }
}

void MessageWriter::attachment(std::size_t bytes) {
    struct Kind {
        const char* type;
        const char* ext;
    };
    static constexpr Kind kKinds[] = {
        {"application/pdf", "pdf"},
        {"image/jpeg", "jpg"},
        {"image/png", "png"},
        {"application/zip", "zip"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
        {"application/vnd.ms-excel", "xls"},
        {"application/octet-stream", "bin"},
    };
    static constexpr std::string_view kStems[] = {"report", "invoice", "scan", "photo", "slides",
                                                  "contract", "budget", "notes", "export", "backup"};
    const Kind& k = kKinds[g_.below(std::size(kKinds))];
    // One draw per statement: the order in which the operands of one
    // expression are evaluated is unspecified, and compilers differ.
    std::string name = std::string(pick(std::span<const std::string_view>(kStems))) + "-";
    name += std::to_string(g_.below(10000)) + "." + k.ext;
    ++info().parts;
    ++info().attachments;
    line(std::string("Content-Type: ") + k.type + "; name=\"" + name + "\"");
    line("Content-Transfer-Encoding: base64");
    if (g_.chance(200)) {
        // RFC 2231 filename with a charset (non-ASCII name).
        line("Content-Disposition: attachment;");
        line(" filename*=UTF-8''%C3%9Cbersicht-" + name);
    } else {
        line("Content-Disposition: attachment; filename=\"" + name + "\"");
    }
    out_.append(eol_);
    base64_random(bytes);
}

void MessageWriter::forwarded(std::size_t bytes) {
    // message/rfc822 (RFC 2046 §5.2.1) holding a one-part text message.
    info().parts += 2;
    line("Content-Type: message/rfc822");
    line("Content-Disposition: inline");
    out_.append(eol_);
    const Sender& s = kSenders[1 + g_.below(kSenderCount - 1)];
    line("From: " + sender_field(s, kDomains[g_.below(kDomains.size())]));
    line("To: team@corp.example");
    std::string subject = "Subject: Fwd: " + std::string(pick(kSubjectWords)) + " ";
    subject += pick(kSubjectWords);
    line(subject);
    line("Date: " + format_date(info().date - 86400 - static_cast<std::int64_t>(g_.below(864000)), 0));
    line("Message-ID: <fwd." + std::to_string(info().index) + "@corp.example>");
    line("MIME-Version: 1.0");
    line("Content-Type: text/plain; charset=us-ascii");
    out_.append(eol_);
    out_.append(text(kCharsets[0], bytes, false, false));
}

void MessageWriter::write() {
    MessageInfo& m = info();
    const std::uint64_t index = g_.index_;
    m = MessageInfo{};
    m.index = index;
    bool with_attachments = false;
    const std::uint64_t target = draw_target(with_attachments);
    m.target_size = target;

    // Delivery and Date: a few seconds to a quarter of an hour between
    // sending and delivery; 2 % were sent days before (SORT (DATE) then
    // differs from arrival order).
    g_.clock_ += 1 + static_cast<std::int64_t>(g_.below(2ull * g_.options_.mean_gap_s));
    m.received = g_.clock_;
    m.date = m.received - 5 - static_cast<std::int64_t>(g_.below(900));
    if (g_.chance(20))
        m.date -= static_cast<std::int64_t>(g_.below(3 * 86400));
    const int zone = kZones[g_.below(std::size(kZones))];
    m.date_field = format_date(m.date, zone);

    // Sender: message 0 is always kFromTerm's (the guaranteed search terms).
    const std::size_t sender_index = index == 0 ? 0 : g_.below(kSenderCount);
    const Sender& sender = kSenders[sender_index];
    const std::string_view domain = kDomains[sender_index % kDomains.size()];
    m.from_address = std::string(sender.local) + "@" + std::string(domain);
    m.from_term = sender_index == 0;

    // Thread: 65 % answer the thread of one of the last kRecent messages.
    std::vector<std::string_view> subject_words;
    const CharsetWords* subject_cs = nullptr;
    Generator::Thread* thread = nullptr;
    std::string prefix;
    if (index != 0 && !g_.recent_.empty() && g_.chance(650)) {
        thread = &g_.threads_.at(g_.recent_[g_.below(g_.recent_.size())]);
        static constexpr const char* kPrefixes[] = {"Re: ", "Re: ", "Re: ", "RE: ", "Re: Re: ", "Fwd: ", "AW: "};
        prefix = kPrefixes[g_.below(std::size(kPrefixes))];
    } else {
        if (g_.threads_.size() >= 4 * Generator::kRecent) {
            // Forget the threads no recent message belongs to.
            std::set<std::uint64_t> keep(g_.recent_.begin(), g_.recent_.end());
            std::erase_if(g_.threads_, [&](const auto& t) { return !keep.count(t.first); });
        }
        thread = &g_.threads_[index];
        thread->root = index;
        thread->subject = index == 0 ? "Quarterly budget review" : make_subject(subject_words, subject_cs);
    }
    if (g_.recent_.size() < Generator::kRecent)
        g_.recent_.push_back(thread->root);
    else
        g_.recent_[index % Generator::kRecent] = thread->root;
    m.thread_id = thread->root;
    m.subject = prefix + thread->subject;
    m.message_id = "<" + std::to_string(index) + "." + std::to_string(g_.rand() % 1000000007) + "@" +
                   std::string(domain) + ">";

    // Header.
    out_.reserve(target + 4096);
    line("Return-Path: <" + m.from_address + ">");
    line("Delivered-To: user@bench.example");
    const std::size_t hops = between(1, 3);
    for (std::size_t h = 0; h < hops; ++h) {
        const std::string n = std::to_string(between(1, 40));
        line("Received: from mx" + n + ".example.net (mx" + n + ".example.net [192.0.2." + n + "])");
        line("\tby mx.bench.example (Postfix) with ESMTPS id " + std::to_string(g_.rand() % 100000000) +
             " for <user@bench.example>; " + format_date(m.received - static_cast<std::int64_t>(h), 0));
    }
    if (g_.chance(250)) {
        line("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + std::string(domain) +
             "; s=s1; h=from:to:subject:date:message-id; bh=" + base64(std::to_string(g_.rand())) + ";");
        std::string sig;
        for (int i = 0; i < 5; ++i) {
            sig.clear();
            for (int k = 0; k < 60; ++k)
                sig += kBase64[g_.below(64)];
            line("\t" + std::string(i == 0 ? "b=" : "") + sig);
        }
    }
    line("From: " + sender_field(sender, domain));
    std::string to = "To: Bench User <user@bench.example>";
    if (g_.chance(300)) {
        const Sender& o = kSenders[1 + g_.below(kSenderCount - 1)];
        to += "," + std::string(eol_) + " " + sender_field(o, kDomains[g_.below(kDomains.size())]);
    }
    line(to);
    if (g_.chance(200)) {
        const Sender& o = kSenders[1 + g_.below(kSenderCount - 1)];
        line("Cc: " + sender_field(o, kDomains[g_.below(kDomains.size())]));
    }
    line("Subject: " + m.subject);
    line("Date: " + m.date_field);
    line("Message-ID: " + m.message_id);
    if (!prefix.empty() && !thread->message_ids.empty()) {
        line("In-Reply-To: " + thread->message_ids.back());
        std::string refs = "References:";
        for (const auto& id : thread->message_ids)
            refs.append(refs.size() > 11 ? std::string(eol_) + " " : std::string(" ")).append(id);
        line(refs);
    }
    thread->message_ids.push_back(m.message_id);
    if (thread->message_ids.size() > 10)
        thread->message_ids.erase(thread->message_ids.begin());
    if (g_.chance(300)) {
        static constexpr const char* kMailers[] = {"Mozilla Thunderbird 115.5", "Microsoft Outlook 16.0",
                                                   "Apple Mail (2.3774)", "Roundcube Webmail/1.6.5", "Mutt/2.2.9"};
        line(std::string("X-Mailer: ") + kMailers[g_.below(std::size(kMailers))]);
    }
    if (g_.chance(150)) {
        line("List-Id: Engineering <eng.lists.example.org>");
        line("List-Unsubscribe: <mailto:eng-unsubscribe@lists.example.org>");
        line("Precedence: list");
    }
    line("MIME-Version: 1.0");

    const CharsetWords& cs = pick_charset();
    m.charset = std::string(cs.name);
    m.has_needle = index == 0 || g_.chance(20);
    // Closing boundaries and part headers still to come are reserved, so
    // the fill ends near the target.
    if (with_attachments || target - std::min(target, out_.size()) > 64 * 1024) {
        // multipart/mixed: a text (or text and HTML) part and 1-3
        // attachments, sometimes a forwarded message; or, below 12 KiB, one
        // small inline image.
        m.parts = 1;
        const std::string b = boundary();
        line("Content-Type: multipart/mixed; boundary=\"" + b + "\"");
        out_.append(eol_);
        line("This is a multi-part message in MIME format.");
        line("--" + b);
        const std::size_t text_bytes = between(300, 3000);
        if (g_.chance(400))
            alternative(cs, text_bytes, m.has_needle);
        else
            text_part(cs, text_bytes, m.has_needle, false);
        const std::size_t count = target < 12 * 1024 ? 1 : between(1, 3);
        const bool fwd = g_.chance(50);
        for (std::size_t i = 0; i < count; ++i) {
            line("--" + b);
            const std::size_t left = count - i;
            const std::size_t room = remaining(target, 300 * left + 64);
            const std::size_t bytes = left == 1 ? room : room / left + g_.below(room / left / 2 + 1);
            if (fwd && i == 0)
                forwarded(std::max<std::size_t>(bytes, 200));
            else
                attachment(bytes);
        }
        line("--" + b + "--");
    } else {
        // Mail without attachments: plain text 60 %, text and HTML 30 %,
        // text with a small calendar invitation 10 %.
        const std::uint64_t kind = g_.below(10);
        if (kind < 6) {
            m.parts = 0;
            text_part(cs, remaining(target, 0), m.has_needle, false);
        } else if (kind < 9) {
            m.parts = 0;
            alternative(cs, remaining(target, 200), m.has_needle);
        } else {
            m.parts = 1;
            const std::string b = boundary();
            line("Content-Type: multipart/mixed; boundary=\"" + b + "\"");
            out_.append(eol_);
            line("--" + b);
            text_part(cs, remaining(target, 600), m.has_needle, false);
            line("--" + b);
            ++m.parts;
            line("Content-Type: text/calendar; charset=utf-8; method=REQUEST");
            line("Content-Transfer-Encoding: 7bit");
            out_.append(eol_);
            line("BEGIN:VCALENDAR");
            line("METHOD:REQUEST");
            line("BEGIN:VEVENT");
            line("UID:" + std::to_string(index) + "@corp.example");
            std::string summary = "SUMMARY:" + std::string(pick(kSubjectWords)) + " ";
            summary += pick(kSubjectWords);
            line(summary);
            line("DTSTART:20250301T100000Z");
            line("END:VEVENT");
            line("END:VCALENDAR");
            line("--" + b + "--");
        }
    }
    m.size = out_.size();
    m.vsize = m.size;
    if (!g_.options_.crlf)
        m.vsize += static_cast<std::uint64_t>(std::count(out_.begin(), out_.end(), '\n'));
    ++g_.index_;
}

// ---------------------------------------------------------------------------

Generator::Generator(std::uint64_t seed, Options options)
    : state_(seed * 0x9e3779b97f4a7c15ull + 0x1234567), options_(options), clock_(options.start_time) {
    options_.max_size = std::max<std::uint64_t>(options_.max_size, 4096);
    options_.min_size = std::min(options_.min_size, options_.max_size / 2);
}

std::uint64_t Generator::rand() {
    // splitmix64: small, fast and the same everywhere.
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::uint64_t Generator::below(std::uint64_t n) { return n ? rand() % n : 0; }

bool Generator::chance(unsigned per_mille) { return below(1000) < per_mille; }

std::string Generator::next() {
    std::string out;
    next(out);
    return out;
}

void Generator::next(std::string& out) {
    out.clear();
    MessageWriter(*this, out).write();
}

} // namespace corpus
