// Maildir file names (docs/maildir.md "File names"). Observed with Dovecot
// 2.3.19: `1795904438.M968104P19982.vm,S=28,W=32:2,Sab` — system flags in
// ASCII order, then keyword letters; a file delivered to new/ without flags
// has no info part; Dovecot keeps letters it does not know.
#include "storage/maildir/filename.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include <unistd.h>

namespace mailstore::storage::maildir {
namespace {

// Sizes in ",S=" / ",W=": digits only, at most 19 (fits 63 bits).
std::optional<std::uint64_t> parse_size(std::string_view digits) {
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

struct FlagLetter {
    char letter;
    MailFlag flag;
};
constexpr FlagLetter flag_letters[] = {
    {'D', flag_draft}, {'F', flag_flagged}, {'R', flag_answered}, {'S', flag_seen}, {'T', flag_deleted},
};

} // namespace

std::string_view filename_base(std::string_view name) {
    const auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(0, colon);
}

MaildirFilename parse_filename(std::string_view name) {
    MaildirFilename out;
    const std::string_view base = filename_base(name);
    out.base = std::string(base);
    // ",KEY=VALUE" fields after the first ',' of the base.
    std::size_t pos = base.find(',');
    while (pos != std::string_view::npos) {
        const std::size_t next = base.find(',', pos + 1);
        const std::string_view field =
            base.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
        if (field.size() > 2 && field[1] == '=') {
            if (field[0] == 'S' && !out.psize) out.psize = parse_size(field.substr(2));
            else if (field[0] == 'W' && !out.vsize) out.vsize = parse_size(field.substr(2));
        }
        pos = next;
    }
    if (base.size() == name.size()) return out;
    const std::string_view info = name.substr(base.size());
    if (info.substr(0, 3) != ":2,") {
        out.other_info = std::string(info); // ":1,..." or anything else: kept whole
        return out;
    }
    out.has_info = true;
    bool seen[256] = {};
    for (char c : info.substr(3)) {
        const auto uc = static_cast<unsigned char>(c);
        if (seen[uc]) continue; // a letter twice: once is enough
        seen[uc] = true;
        bool known = false;
        for (const auto& fl : flag_letters) {
            if (fl.letter == c) {
                out.flags = static_cast<MailFlags>(out.flags | fl.flag);
                known = true;
            }
        }
        if (known) continue;
        if (c == 'P') out.passed = true;
        else if (c >= 'a' && c <= 'z') out.keyword_letters += c;
        else out.other_info += c;
    }
    std::sort(out.keyword_letters.begin(), out.keyword_letters.end());
    return out;
}

std::string make_filename(const MaildirFilename& parsed, bool for_new) {
    std::string letters;
    for (const auto& fl : flag_letters)
        if (parsed.flags & fl.flag) letters += fl.letter;
    if (parsed.passed) letters += 'P';
    if (parsed.has_info) letters += parsed.other_info;
    letters += parsed.keyword_letters;
    std::sort(letters.begin(), letters.end());
    letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
    std::string out = parsed.base;
    if (!parsed.has_info && !parsed.other_info.empty() && letters.empty()) {
        out += parsed.other_info; // a foreign info part we do not understand, untouched
        return out;
    }
    if (for_new && letters.empty()) return out;
    out += ":2,";
    out += letters;
    return out;
}

std::string new_base_name(std::string_view host, std::uint64_t psize, std::uint64_t vsize) {
    // Unique within this process even for saves in the same microsecond
    // (threads): the time never repeats, it moves on by 1 us instead, as
    // Dovecot waits for the next microsecond.
    static std::mutex mutex;
    static std::int64_t last_us = 0;
    std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (now_us <= last_us) now_us = last_us + 1;
        last_us = now_us;
    }
    std::string out = std::to_string(now_us / 1000000) + ".M" + std::to_string(now_us % 1000000) + "P" +
                      std::to_string(::getpid()) + ".";
    for (char c : host) {
        if (c == '/') out += "\\057";
        else if (c == ':') out += "\\072";
        else out += c;
    }
    out += ",S=" + std::to_string(psize);
    if (vsize != psize) out += ",W=" + std::to_string(vsize);
    return out;
}

} // namespace mailstore::storage::maildir
