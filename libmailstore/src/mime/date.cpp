// RFC 5322 §3.3 / §4.3 dates, IMAP date-time (RFC 3501 §9) and search dates.
#include <mailstore/mime/date.hpp>

#include "date_civil.hpp"
#include "text_util.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace mailstore::mime {
namespace {

constexpr std::array<std::string_view, 12> month_names = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> day_names = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

using detail::iequals;
constexpr auto is_digit = detail::is_ascii_digit;
constexpr auto is_alpha = detail::is_ascii_alpha;

// "Jan", "jan", "January" (any word starting with the three letters).
int month_from_name(std::string_view word)
{
    if (word.size() < 3) return 0;
    for (std::size_t m = 0; m < month_names.size(); ++m)
        if (iequals(word.substr(0, 3), month_names[m])) return static_cast<int>(m) + 1;
    return 0;
}

bool is_day_name(std::string_view word)
{
    if (word.size() < 3) return false;
    for (auto d : day_names)
        if (iequals(word.substr(0, 3), d)) return true;
    return false;
}

// Reads the RFC 5322 tokens of a date: skips CFWS (comments counted, not
// recursed) and the separators sloppy writers use (',' '-' '/').
class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}

    void skip()
    {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (detail::is_lwsp(c) || c == ',' || c == '-' || c == '/') {
                // A '-' right before digits is a zone sign, not a separator.
                if (c == '-' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]) && zone_allowed_) return;
                ++i_;
            } else if (c == '(') {
                i_ = detail::comment_end(s_, i_);
            } else {
                return;
            }
        }
    }

    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void advance() { ++i_; }

    std::string_view word()
    {
        std::size_t start = i_;
        while (i_ < s_.size() && is_alpha(s_[i_])) ++i_;
        return s_.substr(start, i_ - start);
    }

    // Digits; `count` gets how many (at most 9 are taken into the value).
    long number(int& count)
    {
        long v = 0;
        count = 0;
        while (i_ < s_.size() && is_digit(s_[i_])) {
            if (count < 9) v = v * 10 + (s_[i_] - '0');
            ++count;
            ++i_;
        }
        return v;
    }

    void allow_zone_sign(bool on) { zone_allowed_ = on; }
    std::size_t pos() const { return i_; }
    void seek(std::size_t p) { i_ = p; }

private:
    std::string_view s_;
    std::size_t i_ = 0;
    bool zone_allowed_ = false;
};

// RFC 5322 §4.3: two-digit years 00-49 are 20xx and 50-99 19xx; three-digit
// years have 1900 added.
long full_year(long y, int digits)
{
    if (digits <= 2) return y < 50 ? 2000 + y : 1900 + y;
    if (digits == 3) return 1900 + y;
    return y;
}

struct Time {
    int hour = 0, minute = 0, second = 0;
};

// hh:mm[:ss] at the scanner's position.
bool read_time(Scanner& sc, Time& t)
{
    int n = 0;
    long h = sc.number(n);
    if (n < 1 || n > 2 || sc.peek() != ':') return false;
    sc.advance();
    long m = sc.number(n);
    if (n != 2) return false;
    long s = 0;
    if (sc.peek() == ':') {
        sc.advance();
        s = sc.number(n);
        if (n != 2) return false;
    }
    if (h > 23 || m > 59 || s > 60) return false;
    t = Time{static_cast<int>(h), static_cast<int>(m), static_cast<int>(s)};
    return true;
}

// Looks ahead: is the next token a time (digits then ':')?
bool next_is_time(Scanner& sc)
{
    std::size_t p = sc.pos();
    int n = 0;
    sc.number(n);
    bool yes = n >= 1 && n <= 2 && sc.peek() == ':';
    sc.seek(p);
    return yes;
}

// Zone: +hhmm / -hhmm, or an obsolete name (§4.3). Military letters and
// unknown names mean "no information" (-0000), i.e. UTC; so does an
// out-of-range numeric zone (RFC 5256 §2.2: treat as UTC).
int read_zone(Scanner& sc)
{
    char c = sc.peek();
    if (c == '+' || c == '-') {
        sc.advance();
        int n = 0;
        long v = sc.number(n);
        if (n != 4) return 0;
        long hh = v / 100, mm = v % 100;
        if (hh > 23 || mm > 59) return 0;
        int minutes = static_cast<int>(hh * 60 + mm);
        return c == '-' ? -minutes : minutes;
    }
    std::string_view w = sc.word();
    struct Named {
        std::string_view name;
        int hours;
    };
    static constexpr Named names[] = {{"UT", 0},  {"UTC", 0}, {"GMT", 0}, {"Z", 0},
                                      {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                                      {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    for (const auto& n : names)
        if (iequals(w, n.name)) return n.hours * 60;
    return 0;
}

std::optional<DateTime> make(long year, int month, long day, const Time& t, int zone)
{
    if (year < 1000 || year > 9999 || month < 1 || month > 12) return std::nullopt;
    if (day < 1 || day > detail::days_in_month(year, month)) return std::nullopt;
    std::int64_t days = detail::days_from_civil(year, month, static_cast<int>(day));
    DateTime dt;
    dt.utc = days * 86400 + t.hour * 3600 + t.minute * 60 + t.second - std::int64_t{zone} * 60;
    dt.zone_minutes = zone;
    return dt;
}

} // namespace

std::optional<DateTime> parse_message_date(std::string_view value)
{
    Scanner sc(value);
    sc.skip();
    std::size_t p = sc.pos();
    std::string_view first = sc.word();
    if (!first.empty() && is_day_name(first) && month_from_name(first) == 0) {
        sc.skip();
    } else {
        sc.seek(p);
    }

    long day = 0, year = 0;
    int month = 0, n = 0, year_digits = 0;
    Time t;
    bool have_time = false;
    if (is_digit(sc.peek())) {
        // day month year time (RFC 5322), also "1-Jan-2020" and "1/Jan/2020"
        day = sc.number(n);
        if (n > 2) return std::nullopt;
        sc.skip();
        month = month_from_name(sc.word());
        if (month == 0) return std::nullopt;
        sc.skip();
        if (!is_digit(sc.peek())) return std::nullopt;
        year = sc.number(year_digits);
        sc.skip();
        if (is_digit(sc.peek())) {
            if (!read_time(sc, t)) return std::nullopt;
            have_time = true;
        }
    } else {
        // month day [time] year: the asctime() form "Mon Jan  1 10:00:00 2024"
        month = month_from_name(sc.word());
        if (month == 0) return std::nullopt;
        sc.skip();
        day = sc.number(n);
        if (n < 1 || n > 2) return std::nullopt;
        sc.skip();
        if (next_is_time(sc)) {
            if (!read_time(sc, t)) return std::nullopt;
            have_time = true;
            sc.skip();
            if (!is_digit(sc.peek())) return std::nullopt;
            year = sc.number(year_digits);
        } else {
            if (!is_digit(sc.peek())) return std::nullopt;
            year = sc.number(year_digits);
            sc.skip();
            if (is_digit(sc.peek())) {
                if (!read_time(sc, t)) return std::nullopt;
                have_time = true;
            }
        }
    }
    if (year_digits < 2 || year_digits > 4) return std::nullopt;
    year = full_year(year, year_digits);
    int zone = 0;
    if (have_time) {
        sc.allow_zone_sign(true);
        sc.skip();
        zone = read_zone(sc);
    }
    return make(year, month, day, t, zone);
}

std::optional<DateTime> parse_internaldate(std::string_view s)
{
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    // date-day-fixed "-" date-month "-" date-year SP time SP zone; a single
    // unpadded digit is taken too (clients send it, Dovecot accepts it).
    if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    std::size_t i = 0;
    auto digits = [&](std::size_t count, long& v) {
        v = 0;
        for (std::size_t k = 0; k < count; ++k, ++i) {
            if (i >= s.size() || !is_digit(s[i])) return false;
            v = v * 10 + (s[i] - '0');
        }
        return true;
    };
    auto expect = [&](char c) {
        if (i >= s.size() || s[i] != c) return false;
        ++i;
        return true;
    };
    long day = 0;
    std::size_t day_len = s.size() > 1 && is_digit(s[0]) && is_digit(s[1]) ? 2 : 1;
    if (!digits(day_len, day) || !expect('-')) return std::nullopt;
    if (i + 3 > s.size()) return std::nullopt;
    std::string_view mon = s.substr(i, 3);
    int month = 0;
    for (std::size_t m = 0; m < month_names.size(); ++m)
        if (iequals(mon, month_names[m])) month = static_cast<int>(m) + 1;
    if (month == 0) return std::nullopt;
    i += 3;
    long year = 0, h = 0, mi = 0, sec = 0, zone = 0;
    if (!expect('-') || !digits(4, year) || !expect(' ') || !digits(2, h) || !expect(':') ||
        !digits(2, mi) || !expect(':') || !digits(2, sec) || !expect(' '))
        return std::nullopt;
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
    char sign = s[i++];
    if (!digits(4, zone) || i != s.size()) return std::nullopt;
    if (h > 23 || mi > 59 || sec > 60 || zone / 100 > 23 || zone % 100 > 59) return std::nullopt;
    int zone_minutes = static_cast<int>(zone / 100 * 60 + zone % 100);
    if (sign == '-') zone_minutes = -zone_minutes;
    return make(year, month, day, Time{static_cast<int>(h), static_cast<int>(mi), static_cast<int>(sec)},
                zone_minutes);
}

namespace {

struct Local {
    detail::Civil date;
    int weekday;
    int hour, minute, second;
};

// What the formatters can print: a zone of four digits (±23:59) and a
// four-digit year (RFC 3501 date-year, RFC 5322 year as Loft writes it).
// A zone beyond ±23:59 is clamped, which shows the same instant in another
// zone; a local time outside 0000-01-01..9999-12-31 is clamped to that
// range (no other text could be right). Both keep the arithmetic below
// free of overflow for any DateTime.
constexpr int max_zone_minutes = 23 * 60 + 59;
const std::int64_t min_local = detail::days_from_civil(0, 1, 1) * 86400;
const std::int64_t max_local = detail::days_from_civil(9999, 12, 31) * 86400 + 86399;

int printable_zone(int zone) { return std::clamp(zone, -max_zone_minutes, max_zone_minutes); }

Local to_local(const DateTime& dt)
{
    // Clamped before adding the zone so the sum cannot overflow.
    std::int64_t t = std::clamp(dt.utc, min_local - 86400, max_local + 86400);
    t = std::clamp(t + std::int64_t{printable_zone(dt.zone_minutes)} * 60, min_local, max_local);
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    std::int64_t secs = t - days * 86400;
    return Local{detail::civil_from_days(days), detail::weekday_from_days(days), static_cast<int>(secs / 3600),
                 static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60)};
}

std::string zone_text(int zone)
{
    zone = printable_zone(zone);
    // printable_zone keeps |zone| within 23:59; the larger buffer is for the
    // compiler, which cannot see that bound (-Wformat-truncation at -O0).
    char buf[16];
    int a = zone < 0 ? -zone : zone;
    std::snprintf(buf, sizeof buf, "%c%02d%02d", zone < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}

} // namespace

std::string format_internaldate(const DateTime& dt)
{
    Local l = to_local(dt);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%2d-%s-%04lld %02d:%02d:%02d ", l.date.day,
                  month_names[static_cast<std::size_t>(l.date.month - 1)].data(),
                  static_cast<long long>(l.date.year), l.hour, l.minute, l.second);
    return buf + zone_text(dt.zone_minutes);
}

std::string format_message_date(const DateTime& dt)
{
    Local l = to_local(dt);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %d %s %04lld %02d:%02d:%02d ",
                  day_names[static_cast<std::size_t>(l.weekday)].data(), l.date.day,
                  month_names[static_cast<std::size_t>(l.date.month - 1)].data(),
                  static_cast<long long>(l.date.year), l.hour, l.minute, l.second);
    return buf + zone_text(dt.zone_minutes);
}

std::optional<std::int64_t> parse_search_date(std::string_view s)
{
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    // date-text = date-day "-" date-month "-" date-year (RFC 3501 §9)
    std::size_t i = 0;
    long day = 0;
    int n = 0;
    while (i < s.size() && is_digit(s[i]) && n < 3) {
        day = day * 10 + (s[i] - '0');
        ++i;
        ++n;
    }
    if (n < 1 || n > 2 || i >= s.size() || s[i] != '-') return std::nullopt;
    ++i;
    if (i + 3 > s.size()) return std::nullopt;
    int month = 0;
    for (std::size_t m = 0; m < month_names.size(); ++m)
        if (iequals(s.substr(i, 3), month_names[m])) month = static_cast<int>(m) + 1;
    if (month == 0) return std::nullopt;
    i += 3;
    if (i >= s.size() || s[i] != '-') return std::nullopt;
    ++i;
    if (s.size() - i != 4) return std::nullopt;
    long year = 0;
    for (; i < s.size(); ++i) {
        if (!is_digit(s[i])) return std::nullopt;
        year = year * 10 + (s[i] - '0');
    }
    auto dt = make(year, month, day, Time{}, 0);
    if (!dt) return std::nullopt;
    return dt->utc;
}

} // namespace mailstore::mime
