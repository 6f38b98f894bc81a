#include "imap_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace loadgen {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

[[noreturn]] void malformed(std::string_view what, std::string_view line) {
    throw ProtocolError("malformed " + std::string(what) + ": " + quote_bytes(line));
}

template <typename T>
std::optional<T> to_number(std::string_view s) {
    T v{};
    if (s.empty())
        return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

// "* <n> <WORD>" -> n when WORD matches.
std::optional<std::uint32_t> numbered(const ImapUntagged& u, std::string_view word) {
    std::string_view l = u.line;
    if (!l.starts_with("* "))
        return std::nullopt;
    l.remove_prefix(2);
    std::size_t sp = l.find(' ');
    if (sp == std::string_view::npos || !iequals(l.substr(sp + 1), word))
        return std::nullopt;
    auto n = to_number<std::uint32_t>(l.substr(0, sp));
    if (!n)
        malformed(word, u.line);
    return n;
}

// Walks a response line whose literals were taken out (see ImapUntagged).
class Lexer {
public:
    Lexer(const ImapUntagged& u, std::size_t pos) : u_(u), l_(u.line), pos_(pos) {}

    bool at_end() const { return pos_ >= l_.size(); }
    char peek() const { return at_end() ? '\0' : l_[pos_]; }
    void skip_spaces() {
        while (pos_ < l_.size() && l_[pos_] == ' ')
            ++pos_;
    }
    void expect(char c) {
        if (peek() != c)
            malformed(std::string("response (expected '") + c + "')", l_);
        ++pos_;
    }
    // An atom, with a "[...]" section and a "<n>" partial kept as part of it
    // (BODY[HEADER.FIELDS (FROM)]<0>).
    std::string_view atom() {
        std::size_t start = pos_;
        while (pos_ < l_.size()) {
            char c = l_[pos_];
            if (c == '[') {
                std::size_t close = l_.find(']', pos_);
                if (close == std::string_view::npos)
                    malformed("section", l_);
                pos_ = close + 1;
                continue;
            }
            if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{')
                break;
            ++pos_;
        }
        if (pos_ == start)
            malformed("response (expected an atom)", l_);
        return l_.substr(start, pos_ - start);
    }
    bool literal_marker(std::size_t& n_out) {
        if (peek() != '{')
            return false;
        std::size_t close = l_.find('}', pos_);
        if (close == std::string_view::npos)
            malformed("literal", l_);
        std::string_view digits = l_.substr(pos_ + 1, close - pos_ - 1);
        if (digits.ends_with('+'))
            digits.remove_suffix(1);
        auto n = to_number<std::size_t>(digits);
        if (!n)
            malformed("literal", l_);
        n_out = *n;
        pos_ = close + 1;
        return true;
    }
    const std::string& next_literal(std::size_t n) {
        if (lit_ >= u_.literals.size() || u_.literals[lit_].size() != n)
            malformed("literal (count or size)", l_);
        return u_.literals[lit_++];
    }
    // string / NIL / atom -> its value; `nil` set for NIL.
    std::string nstring(bool* nil = nullptr) {
        if (nil)
            *nil = false;
        if (peek() == '"') {
            ++pos_;
            std::string out;
            while (pos_ < l_.size() && l_[pos_] != '"') {
                if (l_[pos_] == '\\' && pos_ + 1 < l_.size())
                    ++pos_;
                out += l_[pos_++];
            }
            expect('"');
            return out;
        }
        std::size_t n = 0;
        if (literal_marker(n))
            return next_literal(n);
        std::string_view a = atom();
        if (iequals(a, "NIL")) {
            if (nil)
                *nil = true;
            return {};
        }
        return std::string(a);
    }
    // A parenthesised list as text, literals inlined as quoted strings.
    std::string raw_list() {
        std::string out;
        int depth = 0;
        do {
            char c = peek();
            if (at_end())
                malformed("list", l_);
            if (c == '"') {
                std::size_t start = pos_;
                ++pos_;
                while (pos_ < l_.size() && l_[pos_] != '"') {
                    if (l_[pos_] == '\\')
                        ++pos_;
                    ++pos_;
                }
                expect('"');
                out.append(l_.substr(start, pos_ - start));
                continue;
            }
            std::size_t n = 0;
            if (literal_marker(n)) {
                out += '"';
                for (char ch : next_literal(n)) {
                    if (ch == '"' || ch == '\\')
                        out += '\\';
                    out += ch;
                }
                out += '"';
                continue;
            }
            if (c == '(')
                ++depth;
            else if (c == ')')
                --depth;
            out += c;
            ++pos_;
        } while (depth > 0);
        return out;
    }
    std::vector<std::string> flag_list() {
        std::vector<std::string> out;
        expect('(');
        for (;;) {
            skip_spaces();
            if (peek() == ')') {
                ++pos_;
                return out;
            }
            if (at_end())
                malformed("flag list", l_);
            std::size_t start = pos_;
            while (pos_ < l_.size() && l_[pos_] != ' ' && l_[pos_] != ')')
                ++pos_;
            out.emplace_back(l_.substr(start, pos_ - start));
        }
    }
    std::size_t pos() const { return pos_; }

private:
    const ImapUntagged& u_;
    std::string_view l_;
    std::size_t pos_;
    std::size_t lit_ = 0;
};

} // namespace

std::optional<std::uint32_t> parse_exists(const ImapUntagged& u) { return numbered(u, "EXISTS"); }
std::optional<std::uint32_t> parse_expunge(const ImapUntagged& u) { return numbered(u, "EXPUNGE"); }
std::optional<std::uint32_t> parse_recent(const ImapUntagged& u) { return numbered(u, "RECENT"); }

std::optional<std::vector<std::uint32_t>> parse_vanished(const ImapUntagged& u) {
    std::string_view l = u.line;
    if (!l.starts_with("* ") || !iequals(l.substr(2, 9), "VANISHED "))
        return std::nullopt;
    l.remove_prefix(11);
    if (l.size() >= 10 && iequals(l.substr(0, 10), "(EARLIER) "))
        l.remove_prefix(10);
    return parse_uid_set(l);
}

bool FetchData::has_flag(std::string_view flag) const {
    if (!flags)
        return false;
    return std::any_of(flags->begin(), flags->end(), [&](const std::string& f) { return iequals(f, flag); });
}

std::optional<FetchData> parse_fetch(const ImapUntagged& u) {
    std::string_view l = u.line;
    if (!l.starts_with("* "))
        return std::nullopt;
    std::size_t sp = l.find(' ', 2);
    if (sp == std::string_view::npos || l.size() < sp + 7 || !iequals(l.substr(sp + 1, 6), "FETCH "))
        return std::nullopt;
    auto seq = to_number<std::uint32_t>(l.substr(2, sp - 2));
    if (!seq || *seq == 0)
        malformed("FETCH (message number)", l);
    FetchData fd;
    fd.seq = *seq;
    Lexer lx(u, sp + 7);
    lx.expect('(');
    for (;;) {
        lx.skip_spaces();
        if (lx.peek() == ')')
            break;
        if (lx.at_end())
            malformed("FETCH (unterminated)", l);
        std::string name = upper(lx.atom());
        lx.skip_spaces();
        if (name == "UID") {
            auto v = to_number<std::uint32_t>(lx.atom());
            if (!v || *v == 0)
                malformed("FETCH UID", l);
            fd.uid = v;
        } else if (name == "RFC822.SIZE") {
            auto v = to_number<std::uint64_t>(lx.atom());
            if (!v)
                malformed("FETCH RFC822.SIZE", l);
            fd.rfc822_size = v;
        } else if (name == "FLAGS") {
            fd.flags = lx.flag_list();
        } else if (name == "MODSEQ") {
            lx.expect('(');
            auto v = to_number<std::uint64_t>(lx.atom());
            lx.expect(')');
            if (!v)
                malformed("FETCH MODSEQ", l);
            fd.modseq = v;
        } else if (name == "INTERNALDATE") {
            fd.internaldate = lx.nstring();
        } else if (lx.peek() == '(') {
            fd.structures[name] = lx.raw_list();
        } else {
            fd.bodies[name] = lx.nstring();
        }
    }
    return fd;
}

std::optional<std::vector<std::uint32_t>> parse_search(const ImapUntagged& u) {
    std::string_view l = u.line;
    std::size_t skip;
    if (l.size() >= 8 && iequals(l.substr(0, 8), "* SEARCH"))
        skip = 8;
    else if (l.size() >= 6 && iequals(l.substr(0, 6), "* SORT"))
        skip = 6;
    else
        return std::nullopt;
    if (l.size() > skip && l[skip] != ' ')
        return std::nullopt;
    std::vector<std::uint32_t> out;
    l.remove_prefix(skip);
    while (!l.empty()) {
        std::size_t s = l.find_first_not_of(' ');
        if (s == std::string_view::npos)
            break;
        l.remove_prefix(s);
        if (l.starts_with("(")) // "(MODSEQ n)" of RFC 7162 §3.1.5
            break;
        std::size_t e = l.find(' ');
        auto n = to_number<std::uint32_t>(l.substr(0, e));
        if (!n)
            malformed("SEARCH", u.line);
        out.push_back(*n);
        if (e == std::string_view::npos)
            break;
        l.remove_prefix(e);
    }
    return out;
}

std::optional<StatusData> parse_status(const ImapUntagged& u) {
    if (u.line.size() < 9 || !iequals(std::string_view(u.line).substr(0, 9), "* STATUS "))
        return std::nullopt;
    Lexer lx(u, 9);
    StatusData sd;
    sd.mailbox = lx.nstring();
    lx.skip_spaces();
    lx.expect('(');
    for (;;) {
        lx.skip_spaces();
        if (lx.peek() == ')')
            break;
        if (lx.at_end())
            malformed("STATUS", u.line);
        std::string name = upper(lx.atom());
        lx.skip_spaces();
        auto v = to_number<std::uint64_t>(lx.atom());
        if (!v)
            malformed("STATUS", u.line);
        sd.items[name] = *v;
    }
    return sd;
}

std::optional<std::vector<std::string>> parse_flags(const ImapUntagged& u) {
    if (u.line.size() < 8 || !iequals(std::string_view(u.line).substr(0, 8), "* FLAGS "))
        return std::nullopt;
    Lexer lx(u, 8);
    return lx.flag_list();
}

std::optional<std::string> response_code(std::string_view text) {
    if (!text.starts_with('['))
        return std::nullopt;
    std::size_t close = text.find(']');
    if (close == std::string_view::npos)
        return std::nullopt;
    return std::string(text.substr(1, close - 1));
}

std::optional<std::string> untagged_code(const ImapUntagged& u) {
    std::string_view l = u.line;
    if (!l.starts_with("* "))
        return std::nullopt;
    l.remove_prefix(2);
    std::size_t sp = l.find(' ');
    if (sp == std::string_view::npos)
        return std::nullopt;
    std::string word = upper(l.substr(0, sp));
    if (word != "OK" && word != "NO" && word != "BAD" && word != "BYE" && word != "PREAUTH")
        return std::nullopt;
    return response_code(l.substr(sp + 1));
}

std::optional<AppendUid> parse_appenduid(const ImapResponse& r) {
    auto code = response_code(r.text);
    if (!code || code->size() < 10 || !iequals(std::string_view(*code).substr(0, 10), "APPENDUID "))
        return std::nullopt;
    std::string_view rest = std::string_view(*code).substr(10);
    std::size_t sp = rest.find(' ');
    if (sp == std::string_view::npos)
        malformed("APPENDUID", r.text);
    auto v = to_number<std::uint32_t>(rest.substr(0, sp));
    auto uid = to_number<std::uint32_t>(rest.substr(sp + 1));
    if (!v || !uid || *uid == 0)
        malformed("APPENDUID", r.text);
    return AppendUid{*v, *uid};
}

SelectData parse_select(const ImapResponse& r) {
    SelectData sd;
    for (const auto& u : r.untagged) {
        if (auto n = parse_exists(u)) {
            sd.exists = n;
        } else if (auto n2 = parse_recent(u)) {
            sd.recent = n2;
        } else if (auto f = parse_flags(u)) {
            sd.flags = std::move(*f);
        } else if (auto code = untagged_code(u)) {
            std::string_view c = *code;
            std::size_t sp = c.find(' ');
            std::string key = upper(c.substr(0, sp));
            std::string_view val = sp == std::string_view::npos ? std::string_view() : c.substr(sp + 1);
            if (key == "UIDVALIDITY") {
                sd.uidvalidity = to_number<std::uint32_t>(val);
                if (!sd.uidvalidity)
                    malformed("UIDVALIDITY", u.line);
            } else if (key == "UIDNEXT") {
                sd.uidnext = to_number<std::uint32_t>(val);
                if (!sd.uidnext)
                    malformed("UIDNEXT", u.line);
            } else if (key == "HIGHESTMODSEQ") {
                sd.highestmodseq = to_number<std::uint64_t>(val);
            } else if (key == "PERMANENTFLAGS") {
                ImapUntagged tmp{std::string(val), {}};
                Lexer lx(tmp, 0);
                sd.permanentflags = lx.flag_list();
            }
        }
    }
    if (auto code = response_code(r.text)) {
        if (iequals(*code, "READ-ONLY"))
            sd.read_only = true;
    }
    return sd;
}

std::vector<std::uint32_t> parse_uid_set(std::string_view set, std::uint32_t star, std::size_t max) {
    std::vector<std::uint32_t> out;
    auto num = [&](std::string_view s) -> std::uint32_t {
        if (s == "*")
            return star;
        auto n = to_number<std::uint32_t>(s);
        if (!n)
            malformed("sequence set", set);
        return *n;
    };
    std::string_view rest = set;
    while (!rest.empty()) {
        std::size_t comma = rest.find(',');
        std::string_view part = rest.substr(0, comma);
        std::size_t colon = part.find(':');
        std::uint32_t a = num(part.substr(0, colon));
        std::uint32_t b = colon == std::string_view::npos ? a : num(part.substr(colon + 1));
        if (a > b)
            std::swap(a, b);
        if (out.size() + (b - a) + 1 > max)
            throw ProtocolError("sequence set larger than " + std::to_string(max) + ": " + quote_bytes(set));
        for (std::uint64_t i = a; i <= b; ++i)
            out.push_back(static_cast<std::uint32_t>(i));
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

std::string format_uid_set(const std::vector<std::uint32_t>& sorted) {
    std::string out;
    std::size_t i = 0;
    while (i < sorted.size()) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(sorted[i]);
        if (j > i)
            out += ':' + std::to_string(sorted[j]);
        i = j + 1;
    }
    return out;
}

} // namespace loadgen
